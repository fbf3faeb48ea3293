#ifndef DNS_SERVER_SERVER_SERVICE_H_
#define DNS_SERVER_SERVER_SERVICE_H_

#include "dns/v1/server_service.grpc.pb.h"
#include "server/rpc_runner.h"
#include "server/health/fleet_health.h"
#include "server/health/health_feed.h"
#include "server/check_consistency.h"
#include "server/consistency/reconciler.h"
#include "server/server_manager.h"
#include "server/watch_health.h"

namespace dns {

// Thin handlers: decode, call ServerManager on the runner, encode. The API
// key of a request is never logged, never echoed, and never enters a
// request fingerprint as such (the store adds a keyed digest of it).
// What the health RPCs need; without it they answer UNIMPLEMENTED.
struct HealthServices {
  FleetHealth* fleet = nullptr;
  HealthFeed* feed = nullptr;
  TimerQueue* timers = nullptr;
  Metrics* metrics = nullptr;
  WatchHealthOptions watch;
  // Consistency; without them those RPCs answer UNIMPLEMENTED.
  ConsistencyChecker* checker = nullptr;
  Reconciler* reconciler = nullptr;
  BackgroundCalls* background = nullptr;
};

class ServerServiceImpl final : public v1::ServerService::CallbackService {
 public:
  ServerServiceImpl(ServerManager& manager, RpcRunner& runner, HealthServices health = {})
      : manager_(manager), runner_(runner), health_(health) {}

  grpc::ServerUnaryReactor* RegisterServer(grpc::CallbackServerContext* context,
                                           const v1::RegisterServerRequest* request,
                                           v1::Server* response) override;
  grpc::ServerUnaryReactor* GetServer(grpc::CallbackServerContext* context,
                                      const v1::GetServerRequest* request,
                                      v1::Server* response) override;
  grpc::ServerUnaryReactor* ListServers(grpc::CallbackServerContext* context,
                                        const v1::ListServersRequest* request,
                                        v1::ListServersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateServer(grpc::CallbackServerContext* context,
                                         const v1::UpdateServerRequest* request,
                                         v1::Server* response) override;
  grpc::ServerUnaryReactor* DeregisterServer(grpc::CallbackServerContext* context,
                                             const v1::DeregisterServerRequest* request,
                                             google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* CheckServerHealth(grpc::CallbackServerContext* context,
                                              const v1::CheckServerHealthRequest* request,
                                              v1::HealthReport* response) override;
  grpc::ServerUnaryReactor* GetServerMetrics(grpc::CallbackServerContext* context,
                                             const v1::GetServerMetricsRequest* request,
                                             v1::GetServerMetricsResponse* response) override;
  grpc::ServerWriteReactor<v1::HealthEvent>* WatchHealth(
      grpc::CallbackServerContext* context, const v1::WatchHealthRequest* request) override;
  grpc::ServerWriteReactor<v1::CheckConsistencyResponse>* CheckConsistency(
      grpc::CallbackServerContext* context,
      const v1::CheckConsistencyRequest* request) override;
  grpc::ServerUnaryReactor* ReconcileServer(grpc::CallbackServerContext* context,
                                            const v1::ReconcileServerRequest* request,
                                            v1::ReconcileServerResponse* response) override;
  grpc::ServerWriteReactor<v1::ConsistencyEvent>* WatchConsistency(
      grpc::CallbackServerContext* context, const v1::WatchConsistencyRequest* request) override;

 private:
  ServerManager& manager_;
  RpcRunner& runner_;
  const HealthServices health_;
};

}  // namespace dns

#endif  // DNS_SERVER_SERVER_SERVICE_H_
