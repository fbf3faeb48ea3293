#ifndef DNS_SERVER_ZONE_SERVICE_H_
#define DNS_SERVER_ZONE_SERVICE_H_

#include "dns/v1/zone_service.grpc.pb.h"
#include "server/auth/scope_guard.h"
#include "server/rpc_runner.h"
#include "server/core/weighted_gate.h"
#include "server/zone_manager.h"

namespace dns {

// Thin handlers: decode, call ZoneManager on the runner, encode; writes that
// wait for propagation hand their reply to the wait.
class ZoneServiceImpl final : public v1::ZoneService::CallbackService {
 public:
  // `large_requests` (may be null) bounds the bytes of large imports being
  // worked on at once.
  // `scope` keeps account-scoped callers to their accounts' zones.
  ZoneServiceImpl(ZoneManager& manager, RpcRunner& runner, ScopeGuard& scope,
                  WeightedGate* large_requests = nullptr)
      : manager_(manager), runner_(runner), scope_(scope), large_requests_(large_requests) {}

  grpc::ServerUnaryReactor* CreateZone(grpc::CallbackServerContext* context,
                                       const v1::CreateZoneRequest* request,
                                       v1::Zone* response) override;
  grpc::ServerUnaryReactor* GetZone(grpc::CallbackServerContext* context,
                                    const v1::GetZoneRequest* request, v1::Zone* response) override;
  grpc::ServerUnaryReactor* ListZones(grpc::CallbackServerContext* context,
                                      const v1::ListZonesRequest* request,
                                      v1::ListZonesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateZone(grpc::CallbackServerContext* context,
                                       const v1::UpdateZoneRequest* request,
                                       v1::Zone* response) override;
  grpc::ServerUnaryReactor* DeleteZone(grpc::CallbackServerContext* context,
                                       const v1::DeleteZoneRequest* request,
                                       google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ImportZone(grpc::CallbackServerContext* context,
                                       const v1::ImportZoneRequest* request,
                                       v1::Zone* response) override;
  grpc::ServerUnaryReactor* ExportZone(grpc::CallbackServerContext* context,
                                       const v1::ExportZoneRequest* request,
                                       v1::ExportZoneResponse* response) override;
  grpc::ServerUnaryReactor* SyncZone(grpc::CallbackServerContext* context,
                                     const v1::SyncZoneRequest* request,
                                     v1::SyncZoneResponse* response) override;

 private:
  ZoneManager& manager_;
  RpcRunner& runner_;
  ScopeGuard& scope_;
  WeightedGate* const large_requests_;
};

}  // namespace dns

#endif  // DNS_SERVER_ZONE_SERVICE_H_
