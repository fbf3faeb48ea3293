#ifndef DNS_SERVER_ZONE_SERVICE_H_
#define DNS_SERVER_ZONE_SERVICE_H_

#include "dns/v1/zone_service.grpc.pb.h"
#include "server/weighted_gate.h"
#include "server/zone_manager.h"

namespace dns {

// Thin handlers: decode, call ZoneManager, encode.
class ZoneServiceImpl final : public v1::ZoneService::Service {
 public:
  // `large_requests` (may be null) bounds the bytes of large imports being
  // worked on at once.
  explicit ZoneServiceImpl(ZoneManager& manager, WeightedGate* large_requests = nullptr)
      : manager_(manager), large_requests_(large_requests) {}

  grpc::Status CreateZone(grpc::ServerContext* context, const v1::CreateZoneRequest* request,
                          v1::Zone* response) override;
  grpc::Status GetZone(grpc::ServerContext* context, const v1::GetZoneRequest* request,
                       v1::Zone* response) override;
  grpc::Status ListZones(grpc::ServerContext* context, const v1::ListZonesRequest* request,
                         v1::ListZonesResponse* response) override;
  grpc::Status UpdateZone(grpc::ServerContext* context, const v1::UpdateZoneRequest* request,
                          v1::Zone* response) override;
  grpc::Status DeleteZone(grpc::ServerContext* context, const v1::DeleteZoneRequest* request,
                          google::protobuf::Empty* response) override;
  grpc::Status ImportZone(grpc::ServerContext* context, const v1::ImportZoneRequest* request,
                          v1::Zone* response) override;
  grpc::Status ExportZone(grpc::ServerContext* context, const v1::ExportZoneRequest* request,
                          v1::ExportZoneResponse* response) override;
  grpc::Status SyncZone(grpc::ServerContext* context, const v1::SyncZoneRequest* request,
                        v1::SyncZoneResponse* response) override;

 private:
  ZoneManager& manager_;
  WeightedGate* const large_requests_;
};

}  // namespace dns

#endif  // DNS_SERVER_ZONE_SERVICE_H_
