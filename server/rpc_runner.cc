#include "server/rpc_runner.h"

#include <new>

#include "absl/strings/str_cat.h"
#include "server/call_observer.h"
#include "server/grpc_status.h"
#include "server/tls_config.h"
#include "common/logging.h"

namespace dns {
namespace {

absl::Status Escaped(const CallInfo& call, const char* what, absl::StatusCode code) {
  Log(spdlog::level::err, "unexpected exception in a handler",
      {{"request_id", call.request_id}, {"method", call.method}, {"exception", what}});
  if (code == absl::StatusCode::kResourceExhausted) {
    return absl::ResourceExhaustedError(
        absl::StrCat(call.method, " ran out of memory; request id ", call.request_id));
  }
  // The exception's text may hold internals; the caller gets the id to
  // quote, the log has the rest.
  return absl::InternalError(absl::StrCat("internal error in ", call.method, "; request id ",
                                          call.request_id, " (the service logged the cause)"));
}

// The `authorization` metadata's value; empty when absent.
std::string AuthorizationOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<Principal> AuthorizeWith(Authenticator* auth, absl::string_view authorization,
                                        absl::string_view method) {
  if (auth == nullptr) return Principal{"anonymous", Role::kAdmin, {}};
  return auth->Authorize(authorization, method);
}

}  // namespace

Reply::Reply(grpc::ServerUnaryReactor* reactor) : state_(std::make_shared<State>()) {
  state_->reactor = reactor;
}

void Reply::operator()(const absl::Status& status) const {
  if (state_ == nullptr || state_->done.exchange(true)) return;
  state_->reactor->Finish(ToGrpcStatus(status));
}

absl::StatusOr<Principal> RpcRunner::Authorize(const grpc::ServerContextBase& context,
                                               absl::string_view method) {
  return AuthorizeWith(options_.auth, AuthorizationOf(context), method);
}

WriteOrigin OriginOf(const CallInfo& call, const std::string& write_request_id) {
  WriteOrigin origin;
  origin.actor = call.principal.name;
  origin.client_subject = call.client_subject;
  origin.rpc = call.method;
  origin.request_id = write_request_id.empty() ? call.request_id : write_request_id;
  origin.peer = call.peer;
  return origin;
}

RpcRunner::RpcRunner(Options options)
    : options_(options), executor_(Executor::Options{options.threads, options.max_queued}) {}

RpcRunner::~RpcRunner() { Shutdown(); }

void RpcRunner::Shutdown() { executor_.Shutdown(); }

grpc::ServerUnaryReactor* RpcRunner::Serve(grpc::CallbackServerContext* context,
                                           const char* method, Body body, WeightedGate* gate,
                                           int64_t weight) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Reply reply(reactor);
  CallInfo call;
  call.request_id = RequestIdOf(*context);
  call.method = method;
  call.peer = context->peer();
  call.client_subject = ClientSubject(*context);
  call.deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + options_.longest_call);
  std::string authorization = AuthorizationOf(*context);
  absl::Status scheduled = executor_.Schedule(
      [this, call, reply, body = std::move(body), gate, weight,
       authorization = std::move(authorization)]() mutable {
        try {
          absl::StatusOr<Principal> who = AuthorizeWith(options_.auth, authorization, call.method);
          if (!who.ok()) return reply(who.status());
          call.principal = *std::move(who);
          absl::StatusOr<WeightedGate::Ticket> admitted =
              gate == nullptr ? absl::StatusOr<WeightedGate::Ticket>(WeightedGate::Ticket())
                              : gate->Acquire(weight, call.deadline, "large requests");
          if (!admitted.ok()) return reply(admitted.status());
          body(call, reply);
        } catch (const std::bad_alloc&) {
          reply(Escaped(call, "std::bad_alloc", absl::StatusCode::kResourceExhausted));
        } catch (const std::exception& e) {
          reply(Escaped(call, e.what(), absl::StatusCode::kInternal));
        } catch (...) {
          reply(Escaped(call, "non-standard exception", absl::StatusCode::kInternal));
        }
      });
  if (!scheduled.ok()) {
    reply(absl::UnavailableError(
        absl::StrCat("the service is overloaded or stopping (", scheduled.message(),
                     "); retry with backoff")));
  }
  return reactor;
}

}  // namespace dns
