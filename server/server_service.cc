#include "server/server_service.h"

#include <thread>

#include "google/protobuf/util/time_util.h"
#include "server/consistency_proto.h"
#include "server/domain/server_name.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"
#include "server/stream_reactor.h"

namespace dns {
namespace {

// RequestKeyOf over the request without its API key: the fingerprint is
// stored in dnsv1.requests, and a plain hash of a weak key could be
// brute-forced from a database dump. The store appends a digest keyed with
// the secret key instead.
template <typename Request>
absl::StatusOr<RequestKey> KeyWithoutSecret(const Request& request) {
  if (request.request_id().empty()) return RequestKey{};
  Request copy = request;
  copy.mutable_server()->clear_api_key();
  return RequestKeyOf(copy, request.request_id());
}

ServerCallOptions CallOptionsOf(const CallInfo& call) {
  return ServerCallOptions{call.request_id, call.deadline};
}

absl::Status NoHealth() {
  return absl::UnimplementedError("the health monitor is not configured in this process");
}

absl::Status NoConsistency() {
  return absl::UnimplementedError("consistency checks are not configured in this process");
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace

grpc::ServerUnaryReactor* ServerServiceImpl::RegisterServer(
    grpc::CallbackServerContext* context, const v1::RegisterServerRequest* request,
    v1::Server* response) {
  return runner_.Serve(context, "RegisterServer", [this, request, response](const CallInfo& call,
                                                                            Reply reply) {
    absl::StatusOr<RequestKey> key = KeyWithoutSecret(*request);
    if (!key.ok()) return reply(key.status());
    key->origin = OriginOf(call, request->request_id());
    ServerRegistration reg;
    reg.server = ServerFromProto(request->server());
    reg.mode = ServerModeFromProto(request->server().mode());
    reg.skip_check = request->skip_check();
    absl::StatusOr<Server> server =
        manager_.RegisterServer(std::move(reg), *key, CallOptionsOf(call));
    if (server.ok()) ServerToProto(*server, response);
    reply(server.status());
  });
}

grpc::ServerUnaryReactor* ServerServiceImpl::GetServer(grpc::CallbackServerContext* context,
                                                       const v1::GetServerRequest* request,
                                                       v1::Server* response) {
  return runner_.Serve(context, "GetServer", [this, request, response](const CallInfo&,
                                                                       Reply reply) {
    absl::StatusOr<Server> server = manager_.GetServer(request->name());
    if (server.ok()) ServerToProto(*server, response);
    reply(server.status());
  });
}

grpc::ServerUnaryReactor* ServerServiceImpl::ListServers(grpc::CallbackServerContext* context,
                                                         const v1::ListServersRequest* request,
                                                         v1::ListServersResponse* response) {
  return runner_.Serve(context, "ListServers", [this, request, response](const CallInfo&,
                                                                         Reply reply) {
    ListServersQuery query;
    query.filter.location = request->location();
    if (request->mode() != v1::SERVER_MODE_UNSPECIFIED) {
      query.filter.mode = ServerModeFromProto(request->mode());
      if (!query.filter.mode) {
        return reply(
            InvalidField("mode", "must be SERVER_MODE_SHARED_DB, SERVER_MODE_API or unset"));
      }
    }
    query.page_size = request->page_size();
    query.page_token = request->page_token();
    absl::StatusOr<ListResult<Server>> result = manager_.ListServers(query);
    if (!result.ok()) return reply(result.status());
    for (const auto& server : result->items) ServerToProto(server, response->add_servers());
    response->set_next_page_token(result->next_page_token);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* ServerServiceImpl::UpdateServer(grpc::CallbackServerContext* context,
                                                          const v1::UpdateServerRequest* request,
                                                          v1::Server* response) {
  return runner_.Serve(context, "UpdateServer", [this, request, response](const CallInfo& call,
                                                                          Reply reply) {
    absl::StatusOr<RequestKey> key = KeyWithoutSecret(*request);
    if (!key.ok()) return reply(key.status());
    key->origin = OriginOf(call, request->request_id());
    ServerPatch patch{ServerFromProto(request->server()),
                      {request->update_mask().paths().begin(),
                       request->update_mask().paths().end()}};
    absl::StatusOr<Server> server = manager_.UpdateServer(patch, *key, CallOptionsOf(call));
    if (server.ok()) ServerToProto(*server, response);
    reply(server.status());
  });
}

grpc::ServerUnaryReactor* ServerServiceImpl::DeregisterServer(
    grpc::CallbackServerContext* context, const v1::DeregisterServerRequest* request,
    google::protobuf::Empty*) {
  return runner_.Serve(context, "DeregisterServer", [this, request](const CallInfo& call,
                                                                    Reply reply) {
    reply(manager_.DeregisterServer(request->name(), request->allow_missing(), OriginOf(call)));
  });
}

grpc::ServerUnaryReactor* ServerServiceImpl::CheckServerHealth(
    grpc::CallbackServerContext* context, const v1::CheckServerHealthRequest* request,
    v1::HealthReport* response) {
  return runner_.Serve(context, "CheckServerHealth", [this, request, response](const CallInfo&,
                                                                               Reply reply) {
    if (!health_.fleet) return reply(NoHealth());
    absl::StatusOr<HealthReport> report = health_.fleet->CheckNow(request->name());
    if (report.ok()) HealthReportToProto(*report, response);
    reply(report.status());
  });
}

grpc::ServerUnaryReactor* ServerServiceImpl::GetServerMetrics(
    grpc::CallbackServerContext* context, const v1::GetServerMetricsRequest* request,
    v1::GetServerMetricsResponse* response) {
  return runner_.Serve(context, "GetServerMetrics", [this, request, response](const CallInfo&,
                                                                              Reply reply) {
    if (!health_.fleet) return reply(NoHealth());
    MetricsRequest query;
    query.server = request->name();
    if (request->has_start_time()) query.start = TimeOf(request->start_time());
    if (request->has_end_time()) query.end = TimeOf(request->end_time());
    if (request->has_step()) {
      query.step = absl::Microseconds(
          google::protobuf::util::TimeUtil::DurationToMicroseconds(request->step()));
    }
    query.metrics.assign(request->metrics().begin(), request->metrics().end());
    absl::StatusOr<MetricsAnswer> answer = health_.fleet->QueryMetrics(std::move(query));
    if (answer.ok()) MetricsToProto(answer->result, answer->step, response);
    reply(answer.status());
  });
}

grpc::ServerWriteReactor<v1::HealthEvent>* ServerServiceImpl::WatchHealth(
    grpc::CallbackServerContext* context, const v1::WatchHealthRequest* request) {
  absl::StatusOr<Principal> who = runner_.Authorize(*context, "WatchHealth");
  if (!who.ok()) return new RefusedStream<v1::HealthEvent>(who.status());
  if (!health_.feed || !health_.timers) return new RefusedStream<v1::HealthEvent>(NoHealth());
  return StartWatchHealth(context, request, *health_.feed, *health_.timers, runner_,
                          health_.metrics, health_.watch);
}

grpc::ServerWriteReactor<v1::CheckConsistencyResponse>* ServerServiceImpl::CheckConsistency(
    grpc::CallbackServerContext* context, const v1::CheckConsistencyRequest* request) {
  absl::StatusOr<Principal> who = runner_.Authorize(*context, "CheckConsistency");
  if (!who.ok()) return new RefusedStream<v1::CheckConsistencyResponse>(who.status());
  if (!health_.checker || !health_.background) {
    return new RefusedStream<v1::CheckConsistencyResponse>(NoConsistency());
  }
  return StartCheckConsistency(context, request, *health_.checker, *health_.background);
}

grpc::ServerUnaryReactor* ServerServiceImpl::ReconcileServer(
    grpc::CallbackServerContext* context, const v1::ReconcileServerRequest* request,
    v1::ReconcileServerResponse* response) {
  return runner_.Serve(context, "ReconcileServer", [this, request, response](
                                                       const CallInfo& call, Reply reply) {
    if (!health_.reconciler || !health_.background) return reply(NoConsistency());
    std::vector<FieldViolation> violations;
    ReconcileRequest in;
    in.server = request->server();
    if (auto bad = CheckServerName(in.server)) violations.push_back({"server", *bad});
    in.scope = ScopeFromProto(request->zones(), request->name_prefix(), request->account(),
                              violations);
    in.dry_run = !request->has_dry_run() || request->dry_run();
    in.delete_extra = request->delete_extra();
    std::optional<ConsistencyDepth> depth =
        DepthFromProto(request->depth(), ConsistencyDepth::kContent);
    if (!depth) {
      violations.push_back({"depth", "must be ZONES, SERIALS or CONTENT"});
    } else {
      in.depth = *depth;
    }
    in.max_actions = request->max_actions() == 0 ? 1000 : request->max_actions();
    if (in.max_actions < 1 || in.max_actions > 10000) {
      violations.push_back({"max_actions", "must be 0 to 10000"});
    }
    absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
    if (!key.ok()) return reply(key.status());
    in.key = *key;
    if (in.key.request_id.empty()) in.key.request_id = call.request_id;
    in.key.origin = OriginOf(call, request->request_id());
    if (!violations.empty()) return reply(InvalidFields(violations));
    if (!health_.background->Enter()) {
      return reply(WithReason(
          absl::ResourceExhaustedError("too many consistency checks and reconciles are running; "
                                       "try again when one has finished"),
          "TOO_MANY_CHECKS"));
    }
    // A reconcile reads the whole server: on a thread of its own, not the
    // runner's.
    BackgroundCalls* background = health_.background;
    Reconciler* reconciler = health_.reconciler;
    std::thread([in = std::move(in), reply = std::move(reply), response, background,
                 reconciler]() mutable {
      absl::StatusOr<ReconcileResult> result = reconciler->Reconcile(in);
      if (result.ok()) ReconcileResultToProto(*result, response);
      reply(result.status());
      background->Leave();
    }).detach();
  });
}

grpc::ServerWriteReactor<v1::ConsistencyEvent>* ServerServiceImpl::WatchConsistency(
    grpc::CallbackServerContext* context, const v1::WatchConsistencyRequest* request) {
  absl::StatusOr<Principal> who = runner_.Authorize(*context, "WatchConsistency");
  if (!who.ok()) return new RefusedStream<v1::ConsistencyEvent>(who.status());
  if (!health_.feed || !health_.timers) return new RefusedStream<v1::ConsistencyEvent>(NoHealth());
  return StartWatchConsistency(context, request, *health_.feed, *health_.timers, runner_,
                               health_.metrics, health_.watch);
}

}  // namespace dns
