#include "server/record_service.h"

#include "server/proto_convert.h"
#include "server/write_reply.h"

namespace dns {

grpc::ServerUnaryReactor* RecordServiceImpl::ListRRsets(grpc::CallbackServerContext* context,
                                                        const v1::ListRRsetsRequest* request,
                                                        v1::ListRRsetsResponse* response) {
  return runner_.Serve(context, "ListRRsets", [this, request, response](const CallInfo& call,
                                                                        Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone()); !out.ok()) return reply(out);
    ListRRsetsQuery query{request->zone(), request->name(), request->type(), request->page_size(),
                          request->page_token()};
    absl::StatusOr<ListResult<RRset>> result = manager_.ListRRsets(query);
    if (!result.ok()) return reply(result.status());
    for (const auto& rrset : result->items) RRsetToProto(rrset, response->add_rrsets());
    response->set_next_page_token(result->next_page_token);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* RecordServiceImpl::GetRRset(grpc::CallbackServerContext* context,
                                                      const v1::GetRRsetRequest* request,
                                                      v1::RRset* response) {
  return runner_.Serve(context, "GetRRset", [this, request, response](const CallInfo& call,
                                                                      Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone()); !out.ok()) return reply(out);
    absl::StatusOr<RRset> rrset =
        manager_.GetRRset(request->zone(), request->name(), request->type());
    if (rrset.ok()) RRsetToProto(*rrset, response);
    reply(rrset.status());
  });
}

grpc::ServerUnaryReactor* RecordServiceImpl::ChangeRRsets(grpc::CallbackServerContext* context,
                                                          const v1::ChangeRRsetsRequest* request,
                                                          v1::ChangeRRsetsResponse* response) {
  return runner_.Serve(context, "ChangeRRsets", [this, request, response](const CallInfo& call,
                                                                          Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone()); !out.ok()) return reply(out);
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    const RequestKey* key = &write->key;
    WriteOptions* w = &write->options;
    std::vector<FieldViolation> violations;
    std::vector<RRsetChange> changes = ChangesFromProto(request->changes(), violations);
    if (!violations.empty()) return reply(InvalidFields(violations));
    Expectations expect;
    if (request->has_expected_serial()) expect.serial = request->expected_serial();
    expect.etag = request->etag();
    const absl::Time since = absl::Now();
    absl::StatusOr<ChangeResult> result =
        manager_.ChangeRRsets(request->zone(), std::move(changes), expect, *key, *w);
    if (!result.ok()) return reply(result.status());
    response->set_serial(result->serial);
    response->set_etag(result->etag);
    if (request->return_rrsets()) {
      for (const RRsetChange& c : result->changes) {
        if (c.type == ChangeType::kReplace) RRsetToProto(c.rrset, response->add_rrsets());
      }
    }
    if (w->validate_only) return reply(absl::OkStatus());
    auto fill = [response](const std::vector<ServerPropagation>& states) {
      response->clear_propagation();
      for (const auto& p : states) PropagationToProto(p, response->add_propagation());
    };
    fill(result->propagation);
    ReplyAfterPropagation(manager_.propagation(), *w, result->zone, result->serial, false, since,
                          fill, reply);
  }, large_requests_, static_cast<int64_t>(request->ByteSizeLong()));
}

}  // namespace dns
