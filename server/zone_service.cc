#include "server/zone_service.h"

#include "server/call_context.h"
#include "server/proto_convert.h"

namespace dns {

grpc::Status ZoneServiceImpl::CreateZone(grpc::ServerContext* context,
                                         const v1::CreateZoneRequest* request,
                                         v1::Zone* response) {
  CallContext call(context, "CreateZone");
  absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
  if (!key.ok()) return call.Finish(key.status());
  absl::StatusOr<Zone> zone = manager_.CreateZone(ZoneFromProto(request->zone()), *key);
  if (zone.ok()) ZoneToProto(*zone, response);
  return call.Finish(zone.status());
}

grpc::Status ZoneServiceImpl::GetZone(grpc::ServerContext* context,
                                      const v1::GetZoneRequest* request, v1::Zone* response) {
  CallContext call(context, "GetZone");
  absl::StatusOr<Zone> zone = manager_.GetZone(request->zone());
  if (!zone.ok()) return call.Finish(zone.status());
  ZoneToProto(*zone, response);
  if (request->view() == v1::ZONE_VIEW_FULL) {
    absl::StatusOr<std::vector<RRset>> rrsets = manager_.GetZoneRRsets(zone->name);
    if (!rrsets.ok()) return call.Finish(rrsets.status());
    for (const auto& rrset : *rrsets) RRsetToProto(rrset, response->add_rrsets());
  }
  return call.Finish(absl::OkStatus());
}

grpc::Status ZoneServiceImpl::ListZones(grpc::ServerContext* context,
                                        const v1::ListZonesRequest* request,
                                        v1::ListZonesResponse* response) {
  CallContext call(context, "ListZones");
  ListZonesQuery query;
  query.filter.account = request->account();
  query.filter.customer_id = request->customer_id();
  query.filter.hosting_service_id = request->hosting_service_id();
  query.filter.name_prefix = request->name_prefix();
  query.page_size = request->page_size();
  query.page_token = request->page_token();
  absl::StatusOr<ListResult<Zone>> result = manager_.ListZones(query);
  if (!result.ok()) return call.Finish(result.status());
  for (const auto& zone : result->items) ZoneToProto(zone, response->add_zones());
  response->set_next_page_token(result->next_page_token);
  return call.Finish(absl::OkStatus());
}

grpc::Status ZoneServiceImpl::UpdateZone(grpc::ServerContext* context,
                                         const v1::UpdateZoneRequest* request,
                                         v1::Zone* response) {
  CallContext call(context, "UpdateZone");
  absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
  if (!key.ok()) return call.Finish(key.status());
  ZonePatch patch{ZoneFromProto(request->zone()),
                  {request->update_mask().paths().begin(), request->update_mask().paths().end()}};
  absl::StatusOr<Zone> zone = manager_.UpdateZone(patch, *key);
  if (zone.ok()) ZoneToProto(*zone, response);
  return call.Finish(zone.status());
}

grpc::Status ZoneServiceImpl::DeleteZone(grpc::ServerContext* context,
                                         const v1::DeleteZoneRequest* request,
                                         google::protobuf::Empty* response) {
  CallContext call(context, "DeleteZone");
  absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
  if (!key.ok()) return call.Finish(key.status());
  return call.Finish(
      manager_.DeleteZone(request->zone(), request->etag(), request->allow_missing(), *key));
}

grpc::Status ZoneServiceImpl::ImportZone(grpc::ServerContext* context,
                                         const v1::ImportZoneRequest* request,
                                         v1::Zone* response) {
  CallContext call(context, "ImportZone");
  absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
  if (!key.ok()) return call.Finish(key.status());
  if (request->source_case() != v1::ImportZoneRequest::kZoneFile) {
    return call.Finish(InvalidField("source", "give zone_file"));
  }
  absl::StatusOr<Zone> zone =
      manager_.ImportZone(ZoneFromProto(request->zone()), request->zone_file(), *key);
  if (zone.ok()) ZoneToProto(*zone, response);
  return call.Finish(zone.status());
}

grpc::Status ZoneServiceImpl::ExportZone(grpc::ServerContext* context,
                                         const v1::ExportZoneRequest* request,
                                         v1::ExportZoneResponse* response) {
  CallContext call(context, "ExportZone");
  auto exported = manager_.ExportZone(request->zone());
  if (exported.ok()) {
    response->set_zone_file(exported->first);
    response->set_serial(exported->second);
  }
  return call.Finish(exported.status());
}

}  // namespace dns
