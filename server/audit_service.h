#ifndef DNS_SERVER_AUDIT_SERVICE_H_
#define DNS_SERVER_AUDIT_SERVICE_H_

#include "dns/v1/audit_service.grpc.pb.h"
#include "server/audit_manager.h"
#include "server/auth/scope_guard.h"
#include "server/rpc_runner.h"

namespace dns {

// Thin handlers over AuditManager (reader role to read, admin to revert, by
// the role table).
class AuditServiceImpl final : public v1::AuditService::CallbackService {
 public:
  AuditServiceImpl(AuditManager& manager, RpcRunner& runner, ScopeGuard& scope)
      : manager_(manager), runner_(runner), scope_(scope) {}

  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const v1::ListAuditEntriesRequest* request,
                                             v1::ListAuditEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetAuditEntry(grpc::CallbackServerContext* context,
                                          const v1::GetAuditEntryRequest* request,
                                          v1::AuditEntry* response) override;
  grpc::ServerUnaryReactor* RevertChange(grpc::CallbackServerContext* context,
                                         const v1::RevertChangeRequest* request,
                                         v1::RevertChangeResponse* response) override;

 private:
  AuditManager& manager_;
  RpcRunner& runner_;
  ScopeGuard& scope_;
};

// `with_rrsets`: GetAuditEntry's full entry; listings leave the RRsets out.
void AuditEntryToProto(const AuditEntry& entry, bool with_rrsets, v1::AuditEntry* proto);

}  // namespace dns

#endif  // DNS_SERVER_AUDIT_SERVICE_H_
