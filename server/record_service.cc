#include "server/record_service.h"

#include "server/call_context.h"
#include "server/proto_convert.h"

namespace dns {

grpc::Status RecordServiceImpl::ListRRsets(grpc::ServerContext* context,
                                           const v1::ListRRsetsRequest* request,
                                           v1::ListRRsetsResponse* response) {
  CallContext call(context, "ListRRsets");
  return call.Run([&]() -> absl::Status {
    ListRRsetsQuery query{request->zone(), request->name(), request->type(), request->page_size(),
                          request->page_token()};
    absl::StatusOr<ListResult<RRset>> result = manager_.ListRRsets(query);
    if (!result.ok()) return result.status();
    for (const auto& rrset : result->items) RRsetToProto(rrset, response->add_rrsets());
    response->set_next_page_token(result->next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status RecordServiceImpl::GetRRset(grpc::ServerContext* context,
                                         const v1::GetRRsetRequest* request,
                                         v1::RRset* response) {
  CallContext call(context, "GetRRset");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<RRset> rrset = manager_.GetRRset(request->zone(), request->name(), request->type());
    if (rrset.ok()) RRsetToProto(*rrset, response);
    return rrset.status();
  });
}

grpc::Status RecordServiceImpl::ChangeRRsets(grpc::ServerContext* context,
                                             const v1::ChangeRRsetsRequest* request,
                                             v1::ChangeRRsetsResponse* response) {
  CallContext call(context, "ChangeRRsets");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<WeightedGate::Ticket> admitted =
        AdmitLargeRequest(large_requests_, request->ByteSizeLong(), context);
    if (!admitted.ok()) return admitted.status();
    absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
    if (!key.ok()) return key.status();
    std::vector<FieldViolation> violations;
    std::vector<RRsetChange> changes = ChangesFromProto(request->changes(), violations);
    if (!violations.empty()) return InvalidFields(violations);
    Expectations expect;
    if (request->has_expected_serial()) expect.serial = request->expected_serial();
    expect.etag = request->etag();
    absl::StatusOr<WriteOptions> w = WriteOptionsOf(call.request_id(), request->propagation_timeout(),
                                                    context->deadline());
    if (!w.ok()) return w.status();
    absl::StatusOr<ChangeResult> result =
        manager_.ChangeRRsets(request->zone(), std::move(changes), expect, *key, *w);
    if (result.ok()) {
      response->set_serial(result->serial);
      response->set_etag(result->etag);
      for (const auto& p : result->propagation) PropagationToProto(p, response->add_propagation());
    }
    return result.status();
  });
}

}  // namespace dns
