#include "server/zone_service.h"

#include "server/call_context.h"
#include "server/proto_convert.h"

namespace dns {

grpc::Status ZoneServiceImpl::CreateZone(grpc::ServerContext* context,
                                         const v1::CreateZoneRequest* request,
                                         v1::Zone* response) {
  CallContext call(context, "CreateZone");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
    if (!key.ok()) return key.status();
    absl::StatusOr<WriteOptions> w = WriteOptionsOf(call.request_id(), request->propagation_timeout(),
                                                    context->deadline());
    if (!w.ok()) return w.status();
    absl::StatusOr<Zone> in = ZoneFromProto(request->zone());
    if (!in.ok()) return in.status();
    absl::StatusOr<Zone> zone = manager_.CreateZone(*std::move(in), *key, *w);
    if (zone.ok()) ZoneToProto(*zone, response);
    return zone.status();
  });
}

grpc::Status ZoneServiceImpl::GetZone(grpc::ServerContext* context,
                                      const v1::GetZoneRequest* request, v1::Zone* response) {
  CallContext call(context, "GetZone");
  return call.Run([&]() -> absl::Status {
    if (!v1::ZoneView_IsValid(request->view())) {
      return InvalidField(
          "view", absl::StrCat("unknown value ", request->view(),
                               "; use ZONE_VIEW_BASIC, ZONE_VIEW_FULL or leave it unset"));
    }
    if (request->view() == v1::ZONE_VIEW_FULL) {
      absl::StatusOr<std::pair<Zone, std::vector<RRset>>> full =
          manager_.GetZoneWithRRsets(request->zone());
      if (!full.ok()) return full.status();
      ZoneToProto(full->first, response);
      for (const auto& rrset : full->second) RRsetToProto(rrset, response->add_rrsets());
      return absl::OkStatus();
    }
    absl::StatusOr<Zone> zone = manager_.GetZone(request->zone());
    if (zone.ok()) ZoneToProto(*zone, response);
    return zone.status();
  });
}

grpc::Status ZoneServiceImpl::ListZones(grpc::ServerContext* context,
                                        const v1::ListZonesRequest* request,
                                        v1::ListZonesResponse* response) {
  CallContext call(context, "ListZones");
  return call.Run([&]() -> absl::Status {
    ListZonesQuery query;
    query.filter.account = request->account();
    query.filter.customer_id = request->customer_id();
    query.filter.hosting_service_id = request->hosting_service_id();
    query.filter.name_prefix = request->name_prefix();
    query.page_size = request->page_size();
    query.page_token = request->page_token();
    absl::StatusOr<ListResult<Zone>> result = manager_.ListZones(query);
    if (!result.ok()) return result.status();
    for (const auto& zone : result->items) ZoneToProto(zone, response->add_zones());
    response->set_next_page_token(result->next_page_token);
    return absl::OkStatus();
  });
}

grpc::Status ZoneServiceImpl::UpdateZone(grpc::ServerContext* context,
                                         const v1::UpdateZoneRequest* request,
                                         v1::Zone* response) {
  CallContext call(context, "UpdateZone");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
    if (!key.ok()) return key.status();
    absl::StatusOr<Zone> in = ZoneFromProto(request->zone());
    if (!in.ok()) return in.status();
    ZonePatch patch{*std::move(in),
                    {request->update_mask().paths().begin(), request->update_mask().paths().end()}};
    absl::StatusOr<WriteOptions> w = WriteOptionsOf(call.request_id(), request->propagation_timeout(),
                                                    context->deadline());
    if (!w.ok()) return w.status();
    absl::StatusOr<Zone> zone = manager_.UpdateZone(patch, *key, *w);
    if (zone.ok()) ZoneToProto(*zone, response);
    return zone.status();
  });
}

grpc::Status ZoneServiceImpl::DeleteZone(grpc::ServerContext* context,
                                         const v1::DeleteZoneRequest* request,
                                         google::protobuf::Empty* response) {
  CallContext call(context, "DeleteZone");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
    if (!key.ok()) return key.status();
    absl::StatusOr<WriteOptions> w = WriteOptionsOf(call.request_id(), request->propagation_timeout(),
                                                    context->deadline());
    if (!w.ok()) return w.status();
    return manager_.DeleteZone(request->zone(), request->etag(), request->allow_missing(), *key, *w);
  });
}

grpc::Status ZoneServiceImpl::ImportZone(grpc::ServerContext* context,
                                         const v1::ImportZoneRequest* request,
                                         v1::Zone* response) {
  CallContext call(context, "ImportZone");
  return call.Run([&]() -> absl::Status {
    absl::StatusOr<WeightedGate::Ticket> admitted =
        AdmitLargeRequest(large_requests_, request->ByteSizeLong(), context);
    if (!admitted.ok()) return admitted.status();
    absl::StatusOr<RequestKey> key = RequestKeyOf(*request, request->request_id());
    if (!key.ok()) return key.status();
    absl::StatusOr<WriteOptions> w = WriteOptionsOf(call.request_id(), request->propagation_timeout(),
                                                    context->deadline());
    if (!w.ok()) return w.status();
    absl::StatusOr<Zone> in = ZoneFromProto(request->zone());
    if (!in.ok()) return in.status();
    absl::StatusOr<Zone> zone;
    switch (request->source_case()) {
      case v1::ImportZoneRequest::kZoneFile:
        zone = manager_.ImportZone(*std::move(in), request->zone_file(), *key, *w);
        break;
      case v1::ImportZoneRequest::kFromServer:
        zone = manager_.ImportZoneFromServer(*std::move(in), request->from_server(), *key, *w);
        break;
      default:
        return InvalidField("source", "give zone_file or from_server");
    }
    if (zone.ok()) ZoneToProto(*zone, response);
    return zone.status();
  });
}

grpc::Status ZoneServiceImpl::ExportZone(grpc::ServerContext* context,
                                         const v1::ExportZoneRequest* request,
                                         v1::ExportZoneResponse* response) {
  CallContext call(context, "ExportZone");
  return call.Run([&]() -> absl::Status {
    auto exported = manager_.ExportZone(request->zone());
    if (exported.ok()) {
      response->set_zone_file(exported->first);
      response->set_serial(exported->second);
    }
    return exported.status();
  });
}

}  // namespace dns

namespace dns {

grpc::Status ZoneServiceImpl::SyncZone(grpc::ServerContext* context,
                                       const v1::SyncZoneRequest* request,
                                       v1::SyncZoneResponse* response) {
  CallContext call(context, "SyncZone");
  return call.Run([&]() -> absl::Status {
    google::protobuf::Duration timeout = request->timeout();
    if (!request->has_timeout()) timeout.set_seconds(30);
    absl::StatusOr<WriteOptions> w =
        WriteOptionsOf(call.request_id(), timeout, context->deadline(), "timeout");
    if (!w.ok()) return w.status();
    absl::StatusOr<SyncResult> result = manager_.SyncZone(
        request->zone(), {request->servers().begin(), request->servers().end()}, *w);
    if (result.ok()) {
      response->set_serial(result->serial);
      for (const auto& p : result->propagation) PropagationToProto(p, response->add_propagation());
    }
    return result.status();
  });
}

}  // namespace dns
