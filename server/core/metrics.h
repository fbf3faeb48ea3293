// Prometheus metrics of dnsd (prometheus-cpp's registry and text format).
// Counters and histograms are updated where things happen; gauges that
// describe state (propagation backlog, circuit breakers, pools, leadership)
// are refreshed by collectors just before each scrape.
//
// The gRPC metrics use the names of go-grpc-prometheus, so its dashboards
// and alerts work unchanged: grpc_server_started_total,
// grpc_server_handled_total{grpc_code="OK"|"NotFound"|...},
// grpc_server_handling_seconds.
#ifndef DNS_SERVER_CORE_METRICS_H_
#define DNS_SERVER_CORE_METRICS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace dns {

// "OK", "NotFound", ... as go-grpc-prometheus writes status codes.
std::string GrpcCodeName(int code);

class Metrics {
 public:
  Metrics();

  // gRPC calls (grpc_type: unary, server_stream, ...).
  void RpcStarted(const std::string& type, const std::string& service, const std::string& method);
  void RpcHandled(const std::string& type, const std::string& service, const std::string& method,
                  int code, absl::Duration elapsed);
  // One PowerDNS API call (each attempt).
  void PdnsCall(const std::string& server, const std::string& operation,
                const std::string& outcome, absl::Duration elapsed);
  void JobRan(const std::string& job, bool ok, absl::Duration elapsed);

  // Gauges, set by collectors.
  void SetCircuitState(const std::string& server, int state);
  void SetPropagationBacklog(const std::string& server, int64_t pending, absl::Duration oldest);
  void SetSubscribers(int64_t n);
  void SetLeader(bool leader);
  void SetPool(const std::string& pool, int in_use, int size);
  // Health: one check of a round (where it ran), each server's status as a
  // state set (1 for the current one), its alerts, the WatchHealth streams.
  void HealthCheck(const std::string& server, const std::string& check, bool passed,
                   absl::Duration elapsed);
  void SetServerStatus(const std::string& server, const std::string& status);
  void SetAlert(const std::string& server, const std::string& alert, bool active);
  void SetHealthWatchers(int64_t n);
  // Drops the series of servers no longer registered.
  void ForgetServer(const std::string& server);

  // Runs before every scrape (quick, or cached by the collector).
  void AddCollector(std::function<void(Metrics&)> collector);
  // The text exposition format, collectors run first.
  std::string Render();

  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& rpc_started_;
  prometheus::Family<prometheus::Counter>& rpc_handled_;
  prometheus::Family<prometheus::Histogram>& rpc_seconds_;
  prometheus::Family<prometheus::Counter>& pdns_requests_;
  prometheus::Family<prometheus::Histogram>& pdns_seconds_;
  prometheus::Family<prometheus::Gauge>& circuit_;
  prometheus::Family<prometheus::Gauge>& pending_;
  prometheus::Family<prometheus::Gauge>& oldest_;
  prometheus::Family<prometheus::Gauge>& subscribers_;
  prometheus::Family<prometheus::Counter>& job_runs_;
  prometheus::Family<prometheus::Gauge>& job_last_success_;
  prometheus::Family<prometheus::Histogram>& job_seconds_;
  prometheus::Family<prometheus::Gauge>& leader_;
  prometheus::Family<prometheus::Gauge>& pool_in_use_;
  prometheus::Family<prometheus::Gauge>& pool_size_;
  prometheus::Family<prometheus::Counter>& health_checks_;
  prometheus::Family<prometheus::Histogram>& health_check_seconds_;
  prometheus::Family<prometheus::Gauge>& server_status_;
  prometheus::Family<prometheus::Gauge>& alerts_;
  prometheus::Family<prometheus::Gauge>& watchers_;
  absl::Mutex mu_;
  std::vector<std::function<void(Metrics&)>> collectors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_SERVER_CORE_METRICS_H_
