#include "server/call_context.h"

#include "absl/random/random.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/grpc_status.h"
#include "server/logging.h"

namespace dns {
namespace {

// Caller-supplied ids go into logs and headers: keep them printable and short.
bool AcceptableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

}  // namespace

std::string NewRequestId() {
  // absl::BitGen seeds from a shared pool: cheap on short-lived threads,
  // unlike a std::random_device per thread.
  thread_local absl::BitGen rng;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(rng),
                         absl::Uniform<uint64_t>(rng));
}

CallContext::CallContext(grpc::ServerContext* context, const char* method)
    : context_(context), method_(method), start_(absl::Now()) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(kRequestIdHeader);
  if (it != metadata.end()) {
    absl::string_view id(it->second.data(), it->second.size());
    if (AcceptableRequestId(id)) request_id_ = std::string(id);
  }
  if (request_id_.empty()) request_id_ = NewRequestId();
  context->AddInitialMetadata(kRequestIdHeader, request_id_);
}

absl::StatusOr<WeightedGate::Ticket> AdmitLargeRequest(WeightedGate* gate, size_t bytes,
                                                       grpc::ServerContext* context) {
  if (gate == nullptr) return WeightedGate::Ticket();
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + absl::Minutes(1));
  return gate->Acquire(static_cast<int64_t>(bytes), deadline, "large requests");
}

absl::Status CallContext::Escaped(const char* what, absl::StatusCode code) {
  Log(spdlog::level::err, "unexpected exception in a handler",
      {{"request_id", request_id_}, {"method", method_}, {"exception", what}});
  if (code == absl::StatusCode::kResourceExhausted) {
    return absl::ResourceExhaustedError(
        absl::StrCat(method_, " ran out of memory; request id ", request_id_));
  }
  // The exception's text may hold internals; the caller gets the id to
  // quote, the log has the rest.
  return absl::InternalError(absl::StrCat("internal error in ", method_, "; request id ",
                                          request_id_, " (the service logged the cause)"));
}

grpc::Status CallContext::Finish(const absl::Status& status) {
  const double ms = absl::ToDoubleMilliseconds(absl::Now() - start_);
  const auto level = status.ok() ? spdlog::level::info
                     : (absl::IsInternal(status) || absl::IsUnknown(status))
                         ? spdlog::level::err
                         : spdlog::level::warn;
  if (!spdlog::should_log(level)) return ToGrpcStatus(status);
  Log(level, "rpc",
      {{"request_id", request_id_},
       {"method", method_},
       {"peer", context_->peer()},
       {"code", absl::StatusCodeToString(status.code())},
       {"duration_ms", absl::StrFormat("%.2f", ms)},
       {"error", std::string(status.message())}});
  return ToGrpcStatus(status);
}

}  // namespace dns
