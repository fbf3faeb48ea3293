#ifndef DNS_SERVER_RECORD_SERVICE_H_
#define DNS_SERVER_RECORD_SERVICE_H_

#include "dns/v1/record_service.grpc.pb.h"
#include "server/weighted_gate.h"
#include "server/zone_manager.h"

namespace dns {

// Thin handlers: decode, call ZoneManager, encode.
class RecordServiceImpl final : public v1::RecordService::Service {
 public:
  // `large_requests` (may be null) bounds the bytes of large batches
  // being worked on at once.
  explicit RecordServiceImpl(ZoneManager& manager, WeightedGate* large_requests = nullptr)
      : manager_(manager), large_requests_(large_requests) {}

  grpc::Status ListRRsets(grpc::ServerContext* context, const v1::ListRRsetsRequest* request,
                          v1::ListRRsetsResponse* response) override;
  grpc::Status GetRRset(grpc::ServerContext* context, const v1::GetRRsetRequest* request,
                        v1::RRset* response) override;
  grpc::Status ChangeRRsets(grpc::ServerContext* context, const v1::ChangeRRsetsRequest* request,
                            v1::ChangeRRsetsResponse* response) override;

 private:
  ZoneManager& manager_;
  WeightedGate* const large_requests_;
};

}  // namespace dns

#endif  // DNS_SERVER_RECORD_SERVICE_H_
