#include "server/zone_service.h"

#include "server/proto_convert.h"
#include "server/write_reply.h"

namespace dns {

grpc::ServerUnaryReactor* ZoneServiceImpl::CreateZone(grpc::CallbackServerContext* context,
                                                      const v1::CreateZoneRequest* request,
                                                      v1::Zone* response) {
  return runner_.Serve(context, "CreateZone", [this, request, response](const CallInfo& call,
                                                                        Reply reply) {
    if (absl::Status scoped =
            ScopeGuard::CheckAccount(call.principal, request->zone().account(), "zone.account");
        !scoped.ok()) {
      return reply(scoped);
    }
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    const RequestKey* key = &write->key;
    WriteOptions* w = &write->options;
    absl::StatusOr<Zone> in = ZoneFromProto(request->zone());
    if (!in.ok()) return reply(in.status());
    std::vector<FieldViolation> violations;
    std::vector<RRsetChange> initial = InitialRRsetsFromProto(request->zone().rrsets(), violations);
    if (!violations.empty()) return reply(InvalidFields(violations));
    const absl::Time since = absl::Now();
    absl::StatusOr<Zone> zone = manager_.CreateZone(*std::move(in), *key, *w, std::move(initial));
    if (!zone.ok()) return reply(zone.status());
    ZoneToProto(*zone, response);
    if (w->validate_only) return reply(absl::OkStatus());
    ReplyAfterPropagation(
        manager_.propagation(), *w, zone->name, zone->serial, false, since,
        [response](const auto& states) { FillZonePropagation(response, states); }, reply);
  });
}

grpc::ServerUnaryReactor* ZoneServiceImpl::GetZone(grpc::CallbackServerContext* context,
                                                   const v1::GetZoneRequest* request,
                                                   v1::Zone* response) {
  return runner_.Serve(context, "GetZone", [this, request, response](const CallInfo& call,
                                                                     Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone()); !out.ok()) return reply(out);
    if (!v1::ZoneView_IsValid(request->view())) {
      return reply(InvalidField(
          "view", absl::StrCat("unknown value ", request->view(),
                               "; use ZONE_VIEW_BASIC, ZONE_VIEW_FULL or leave it unset")));
    }
    if (request->view() == v1::ZONE_VIEW_FULL) {
      absl::StatusOr<std::pair<Zone, std::vector<RRset>>> full =
          manager_.GetZoneWithRRsets(request->zone());
      if (!full.ok()) return reply(full.status());
      ZoneToProto(full->first, response);
      for (const auto& rrset : full->second) RRsetToProto(rrset, response->add_rrsets());
      return reply(absl::OkStatus());
    }
    absl::StatusOr<Zone> zone = manager_.GetZone(request->zone());
    if (zone.ok()) ZoneToProto(*zone, response);
    reply(zone.status());
  });
}

grpc::ServerUnaryReactor* ZoneServiceImpl::ListZones(grpc::CallbackServerContext* context,
                                                     const v1::ListZonesRequest* request,
                                                     v1::ListZonesResponse* response) {
  return runner_.Serve(context, "ListZones", [this, request, response](const CallInfo& call,
                                                                       Reply reply) {
    if (call.principal.Scoped() && !request->account().empty() &&
        !call.principal.MayUseAccount(request->account())) {
      return reply(absl::OkStatus());  // another account's zones: none to see
    }
    ListZonesQuery query;
    query.filter.account = request->account();
    query.filter.accounts_any = call.principal.accounts;
    query.filter.customer_id = request->customer_id();
    query.filter.hosting_service_id = request->hosting_service_id();
    query.filter.name_prefix = request->name_prefix();
    query.filter.server = request->server();
    for (int i = 0; i < request->propagation_states_size(); ++i) {
      std::optional<PropagationState> state =
          PropagationStateFromProto(request->propagation_states(i));
      if (!state) {
        return reply(InvalidField(absl::StrCat("propagation_states[", i, "]"),
                                  "must be PENDING, IN_SYNC, ERROR or SKIPPED"));
      }
      query.filter.states.push_back(*state);
    }
    query.page_size = request->page_size();
    query.page_token = request->page_token();
    absl::StatusOr<ListResult<Zone>> result = manager_.ListZones(query);
    if (!result.ok()) return reply(result.status());
    for (const auto& zone : result->items) ZoneToProto(zone, response->add_zones());
    response->set_next_page_token(result->next_page_token);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* ZoneServiceImpl::UpdateZone(grpc::CallbackServerContext* context,
                                                      const v1::UpdateZoneRequest* request,
                                                      v1::Zone* response) {
  return runner_.Serve(context, "UpdateZone", [this, request, response](const CallInfo& call,
                                                                        Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone().name()); !out.ok()) {
      return reply(out);
    }
    for (const std::string& path : request->update_mask().paths()) {
      if (path != "account") continue;
      if (absl::Status scoped =
              ScopeGuard::CheckAccount(call.principal, request->zone().account(), "zone.account");
          !scoped.ok()) {
        return reply(scoped);
      }
    }
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    const RequestKey* key = &write->key;
    WriteOptions* w = &write->options;
    absl::StatusOr<Zone> in = ZoneFromProto(request->zone());
    if (!in.ok()) return reply(in.status());
    ZonePatch patch{*std::move(in),
                    {request->update_mask().paths().begin(), request->update_mask().paths().end()}};
    const absl::Time since = absl::Now();
    absl::StatusOr<Zone> zone = manager_.UpdateZone(patch, *key, *w);
    if (!zone.ok()) return reply(zone.status());
    ZoneToProto(*zone, response);
    if (w->validate_only) return reply(absl::OkStatus());
    ReplyAfterPropagation(
        manager_.propagation(), *w, zone->name, zone->serial, false, since,
        [response](const auto& states) { FillZonePropagation(response, states); }, reply);
  });
}

grpc::ServerUnaryReactor* ZoneServiceImpl::DeleteZone(grpc::CallbackServerContext* context,
                                                      const v1::DeleteZoneRequest* request,
                                                      google::protobuf::Empty*) {
  return runner_.Serve(context, "DeleteZone", [this, context, request](const CallInfo& call,
                                                                        Reply reply) {
    if (absl::Status scoped = scope_.CheckZone(call.principal, request->zone()); !scoped.ok()) {
      // Outside the scope looks like missing, allow_missing included.
      return reply(absl::IsNotFound(scoped) && request->allow_missing() ? absl::OkStatus()
                                                                         : scoped);
    }
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    const RequestKey* key = &write->key;
    WriteOptions* w = &write->options;
    const absl::Time since = absl::Now();
    absl::StatusOr<std::string> deleted =
        manager_.DeleteZone(request->zone(), request->etag(), request->allow_missing(), *key, *w);
    if (!deleted.ok()) return reply(deleted.status());
    if (deleted->empty() || w->validate_only) return reply(absl::OkStatus());
    // The response stays Empty for existing clients: each server's outcome
    // travels in the trailing metadata.
    std::string zone = *deleted;
    ReplyAfterPropagation(manager_.propagation(), *w, *deleted, 0, true, since,
                          [context, zone](const std::vector<ServerPropagation>& states) {
                            v1::PropagationReport report;
                            report.set_zone(zone);
                            for (const ServerPropagation& p : states) {
                              PropagationToProto(p, report.add_servers());
                            }
                            context->AddTrailingMetadata("dns-propagation-bin",
                                                         report.SerializeAsString());
                          },
                          reply);
  });
}

grpc::ServerUnaryReactor* ZoneServiceImpl::ImportZone(grpc::CallbackServerContext* context,
                                                      const v1::ImportZoneRequest* request,
                                                      v1::Zone* response) {
  return runner_.Serve(context, "ImportZone", [this, request, response](const CallInfo& call,
                                                                        Reply reply) {
    if (absl::Status scoped =
            ScopeGuard::CheckAccount(call.principal, request->zone().account(), "zone.account");
        !scoped.ok()) {
      return reply(scoped);
    }
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    const RequestKey* key = &write->key;
    WriteOptions* w = &write->options;
    absl::StatusOr<Zone> in = ZoneFromProto(request->zone());
    if (!in.ok()) return reply(in.status());
    const absl::Time since = absl::Now();
    absl::StatusOr<Zone> zone;
    switch (request->source_case()) {
      case v1::ImportZoneRequest::kZoneFile:
        zone = manager_.ImportZone(*std::move(in), request->zone_file(), *key, *w);
        break;
      case v1::ImportZoneRequest::kFromServer:
        zone = manager_.ImportZoneFromServer(*std::move(in), request->from_server(), *key, *w);
        break;
      default:
        return reply(InvalidField("source", "give zone_file or from_server"));
    }
    if (!zone.ok()) return reply(zone.status());
    ZoneToProto(*zone, response);
    if (w->validate_only) return reply(absl::OkStatus());
    ReplyAfterPropagation(
        manager_.propagation(), *w, zone->name, zone->serial, false, since,
        [response](const auto& states) { FillZonePropagation(response, states); }, reply);
  }, large_requests_, static_cast<int64_t>(request->ByteSizeLong()));
}

grpc::ServerUnaryReactor* ZoneServiceImpl::ExportZone(grpc::CallbackServerContext* context,
                                                      const v1::ExportZoneRequest* request,
                                                      v1::ExportZoneResponse* response) {
  return runner_.Serve(context, "ExportZone", [this, request, response](const CallInfo& call,
                                                                        Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone()); !out.ok()) return reply(out);
    auto exported = manager_.ExportZone(request->zone());
    if (exported.ok()) {
      response->set_zone_file(exported->first);
      response->set_serial(exported->second);
    }
    reply(exported.status());
  });
}

grpc::ServerUnaryReactor* ZoneServiceImpl::SyncZone(grpc::CallbackServerContext* context,
                                                    const v1::SyncZoneRequest* request,
                                                    v1::SyncZoneResponse* response) {
  return runner_.Serve(context, "SyncZone", [this, request, response](const CallInfo& call,
                                                                      Reply reply) {
    if (auto out = scope_.CheckZone(call.principal, request->zone()); !out.ok()) return reply(out);
    google::protobuf::Duration timeout = request->timeout();
    if (!request->has_timeout()) timeout.set_seconds(30);
    absl::StatusOr<WriteOptions> w = WriteOptionsFor(call, timeout, "timeout");
    if (!w.ok()) return reply(w.status());
    const absl::Time since = absl::Now();
    std::vector<std::string> servers(request->servers().begin(), request->servers().end());
    absl::StatusOr<SyncResult> result = manager_.SyncZone(request->zone(), servers, *w);
    if (!result.ok()) return reply(result.status());
    response->set_serial(result->serial);
    auto fill = [response, servers](const std::vector<ServerPropagation>& states) {
      response->clear_propagation();
      for (const auto& p : states) {
        if (!servers.empty() && std::find(servers.begin(), servers.end(), p.server) == servers.end()) {
          continue;
        }
        PropagationToProto(p, response->add_propagation());
      }
    };
    if (w->wait <= absl::ZeroDuration()) fill(result->propagation);
    ReplyAfterPropagation(manager_.propagation(), *w, result->zone, result->serial, false, since,
                          fill, reply);
  });
}

}  // namespace dns
