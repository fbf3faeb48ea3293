#ifndef DNS_SERVER_FAILOVER_SERVICE_H_
#define DNS_SERVER_FAILOVER_SERVICE_H_

#include "dns/v1/failover_service.grpc.pb.h"
#include "server/core/event_hub.h"
#include "server/core/timer_queue.h"
#include "server/failover/failover_manager.h"
#include "server/auth/scope_guard.h"
#include "server/rpc_runner.h"
#include "server/zone_manager.h"

namespace dns {

// Thin handlers over FailoverManager (failovers) and ZoneManager
// (ProvisionDomain). ExecuteFailover is a write reactor fed by the
// operation's progress events: it holds no thread while it waits.
class FailoverServiceImpl final : public v1::FailoverService::CallbackService {
 public:
  FailoverServiceImpl(FailoverManager& failovers, ZoneManager& zones, RpcRunner& runner,
                      EventHub& hub, TimerQueue& timers, ScopeGuard& scope)
      : failovers_(failovers),
        zones_(zones),
        runner_(runner),
        hub_(hub),
        timers_(timers),
        scope_(scope) {}

  grpc::ServerUnaryReactor* PlanFailover(grpc::CallbackServerContext* context,
                                         const v1::PlanFailoverRequest* request,
                                         v1::FailoverPlan* response) override;
  grpc::ServerWriteReactor<v1::FailoverProgress>* ExecuteFailover(
      grpc::CallbackServerContext* context, const v1::ExecuteFailoverRequest* request) override;
  grpc::ServerUnaryReactor* GetFailover(grpc::CallbackServerContext* context,
                                        const v1::GetFailoverRequest* request,
                                        v1::Failover* response) override;
  grpc::ServerUnaryReactor* ListFailovers(grpc::CallbackServerContext* context,
                                          const v1::ListFailoversRequest* request,
                                          v1::ListFailoversResponse* response) override;
  grpc::ServerUnaryReactor* ProvisionDomain(grpc::CallbackServerContext* context,
                                            const v1::ProvisionDomainRequest* request,
                                            v1::Zone* response) override;

 private:
  FailoverManager& failovers_;
  ZoneManager& zones_;
  RpcRunner& runner_;
  EventHub& hub_;
  TimerQueue& timers_;
  ScopeGuard& scope_;
};

}  // namespace dns

#endif  // DNS_SERVER_FAILOVER_SERVICE_H_
