#include "server/server_service.h"

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

ServerCallOptions CallOptionsOf(const CallInfo& call) {
  return ServerCallOptions{call.request_id, call.deadline};
}

}  // namespace

grpc::ServerUnaryReactor* ServerServiceImpl::RegisterServer(
    grpc::CallbackServerContext* context, const v1::RegisterServerRequest* request,
    v1::Server* response) {
  return runner_.Serve(context, "RegisterServer", [this, request, response](const CallInfo& call,
                                                                            Reply reply) {
    absl::StatusOr<RequestKey> key = KeyWithoutSecret(*request);
    if (!key.ok()) return reply(key.status());
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
  return runner_.Serve(context, "DeregisterServer", [this, request](const CallInfo&,
                                                                    Reply reply) {
    reply(manager_.DeregisterServer(request->name(), request->allow_missing()));
  });
}

}  // namespace dns
