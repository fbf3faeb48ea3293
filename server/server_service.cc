#include "server/server_service.h"

#include "server/call_context.h"
#include "server/proto_convert.h"

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

ServerCallOptions CallOptionsOf(const CallContext& call, grpc::ServerContext* context) {
  return ServerCallOptions{call.request_id(), absl::FromChrono(context->deadline())};
}

}  // namespace

grpc::Status ServerServiceImpl::RegisterServer(grpc::ServerContext* context,
                                               const v1::RegisterServerRequest* request,
                                               v1::Server* response) {
  CallContext call(context, "RegisterServer");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<RequestKey> key = KeyWithoutSecret(*request);
    if (!key.ok()) return key.status();
    ServerRegistration reg;
    reg.server = ServerFromProto(request->server());
    reg.mode = ServerModeFromProto(request->server().mode());
    reg.skip_check = request->skip_check();
    absl::StatusOr<Server> server =
        manager_.RegisterServer(std::move(reg), *key, CallOptionsOf(call, context));
    if (server.ok()) ServerToProto(*server, response);
    return server.status();
  });
}

grpc::Status ServerServiceImpl::GetServer(grpc::ServerContext* context,
                                          const v1::GetServerRequest* request,
                                          v1::Server* response) {
  CallContext call(context, "GetServer");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<Server> server = manager_.GetServer(request->name());
    if (server.ok()) ServerToProto(*server, response);
    return server.status();
  });
}

grpc::Status ServerServiceImpl::ListServers(grpc::ServerContext* context,
                                            const v1::ListServersRequest* request,
                                            v1::ListServersResponse* response) {
  CallContext call(context, "ListServers");
  return call.Run([&]() -> absl::Status {
    ListServersQuery query;
    query.filter.location = request->location();
    if (request->mode() != v1::SERVER_MODE_UNSPECIFIED) {
      query.filter.mode = ServerModeFromProto(request->mode());
      if (!query.filter.mode) {
        return InvalidField("mode", "must be SERVER_MODE_SHARED_DB, SERVER_MODE_API or unset");
      }
    }
    query.page_size = request->page_size();
    query.page_token = request->page_token();
    absl::StatusOr<ListResult<Server>> result = manager_.ListServers(query);
    if (!result.ok()) return result.status();
    for (const auto& server : result->items) ServerToProto(server, response->add_servers());
    response->set_next_page_token(result->next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status ServerServiceImpl::UpdateServer(grpc::ServerContext* context,
                                             const v1::UpdateServerRequest* request,
                                             v1::Server* response) {
  CallContext call(context, "UpdateServer");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<RequestKey> key = KeyWithoutSecret(*request);
    if (!key.ok()) return key.status();
    ServerPatch patch{ServerFromProto(request->server()),
                      {request->update_mask().paths().begin(), request->update_mask().paths().end()}};
    absl::StatusOr<Server> server = manager_.UpdateServer(patch, *key, CallOptionsOf(call, context));
    if (server.ok()) ServerToProto(*server, response);
    return server.status();
  });
}

grpc::Status ServerServiceImpl::DeregisterServer(grpc::ServerContext* context,
                                                 const v1::DeregisterServerRequest* request,
                                                 google::protobuf::Empty* response) {
  CallContext call(context, "DeregisterServer");
  return call.Run([&]() -> absl::Status {
    return manager_.DeregisterServer(request->name(), request->allow_missing());
  });
}

}  // namespace dns
