#ifndef DNS_SERVER_RECORD_SERVICE_H_
#define DNS_SERVER_RECORD_SERVICE_H_

#include "dns/v1/record_service.grpc.pb.h"
#include "server/auth/scope_guard.h"
#include "server/rpc_runner.h"
#include "server/core/weighted_gate.h"
#include "server/zone_manager.h"

namespace dns {

// Thin handlers: decode, call ZoneManager on the runner, encode; a write
// that waits for propagation hands its reply to the wait.
class RecordServiceImpl final : public v1::RecordService::CallbackService {
 public:
  // `large_requests` (may be null) bounds the bytes of large batches
  // being worked on at once.
  // `scope` keeps account-scoped callers to their accounts' zones.
  RecordServiceImpl(ZoneManager& manager, RpcRunner& runner, ScopeGuard& scope,
                  WeightedGate* large_requests = nullptr)
      : manager_(manager), runner_(runner), scope_(scope), large_requests_(large_requests) {}

  grpc::ServerUnaryReactor* ListRRsets(grpc::CallbackServerContext* context,
                                       const v1::ListRRsetsRequest* request,
                                       v1::ListRRsetsResponse* response) override;
  grpc::ServerUnaryReactor* GetRRset(grpc::CallbackServerContext* context,
                                     const v1::GetRRsetRequest* request,
                                     v1::RRset* response) override;
  grpc::ServerUnaryReactor* ChangeRRsets(grpc::CallbackServerContext* context,
                                         const v1::ChangeRRsetsRequest* request,
                                         v1::ChangeRRsetsResponse* response) override;

 private:
  ZoneManager& manager_;
  RpcRunner& runner_;
  ScopeGuard& scope_;
  WeightedGate* const large_requests_;
};

}  // namespace dns

#endif  // DNS_SERVER_RECORD_SERVICE_H_
