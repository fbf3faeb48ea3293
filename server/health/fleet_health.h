// The health monitor and the domain side of the health RPCs.
//
// The monitor is a job on the leader (JobRunner): each tick, every server
// whose interval (with jitter) has passed since its last round — by anyone:
// CheckServerHealth on any replica counts — gets a round on the monitor's
// own threads, through PowerDNS clients of its own (no circuit breaker, no
// retries: a check must see what the server does now, and must not take
// propagation's capacity). Rounds are bounded by their timeout, so a stalled
// server holds one thread for at most that long and never delays another
// server's round while threads remain. Every round is counted by the status
// machine in the database (under the server row's lock) with its sample and
// events; any replica serves the result.
#ifndef DNS_SERVER_HEALTH_FLEET_HEALTH_H_
#define DNS_SERVER_HEALTH_FLEET_HEALTH_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "client/executor.h"
#include "client/pdns_client_pool.h"
#include "common/health.h"
#include "server/core/metrics.h"
#include "server/health/health_checker.h"
#include "server/health/status_machine.h"
#include "storage/health_store.h"
#include "storage/server_store.h"

namespace dns {

struct FleetHealthOptions {
  absl::Duration interval = absl::Seconds(10);
  // Each server's next round is interval * (1 ± jitter), so rounds spread.
  double jitter = 0.1;
  // Rounds at once (threads).
  int concurrency = 8;
  StatusPolicy policy;
  absl::Duration sample_retention = absl::Hours(24 * 30);
  absl::Duration event_retention = absl::Hours(24 * 7);
  // A propagation failure counts toward a server's status at most this often.
  absl::Duration failure_report_every = absl::Seconds(10);
};

// GetServerMetrics's input as the handler decodes it; unset times are
// InfinitePast / InfiniteFuture, an unset step zero.
struct MetricsRequest {
  std::string server;
  absl::Time start = absl::InfinitePast();
  absl::Time end = absl::InfiniteFuture();
  absl::Duration step;
  std::vector<std::string> metrics;
};

struct MetricsAnswer {
  MetricsResult result;
  absl::Duration step;
};

class FleetHealth {
 public:
  // `metrics` may be null. `clients` makes the monitor's PowerDNS clients.
  FleetHealth(ServerStore& servers, HealthStore& store, HealthChecker& checker,
              pdns::PdnsClientPool& clients, Metrics* metrics, FleetHealthOptions options,
              std::shared_ptr<Clock> clock = RealClock());
  ~FleetHealth();  // Stop()

  // The leader's tick: starts the rounds that are due and returns.
  absl::Status Tick();
  // The leader's housekeeping: partitions ahead, old partitions and events
  // gone.
  absl::Status Housekeep();

  // CheckServerHealth: a round now on one server, counted once. NOT_FOUND
  // for an unknown server, INVALID_ARGUMENT for a bad name.
  absl::StatusOr<HealthReport> CheckNow(const std::string& name);
  // GetServerMetrics: validated, defaults filled, then asked of the store.
  absl::StatusOr<MetricsAnswer> QueryMetrics(MetricsRequest request);

  // Propagation could not reach `server` (transport error, timeout, 5xx):
  // counted like a round that found it degraded, at most once per
  // failure_report_every. Never blocks the caller.
  void ReportFailure(const std::string& server, const absl::Status& status);

  // Waits until no round is running (tests).
  void WaitIdle();
  // Waits for the rounds in flight; no new ones start.
  void Stop();

  const FleetHealthOptions& options() const { return options_; }

 private:
  // Runs one round on `server` (with its key) and records it.
  absl::StatusOr<HealthReport> Round(const Server& server);
  void Observe(const HealthReport& report);

  ServerStore& servers_;
  HealthStore& store_;
  HealthChecker& checker_;
  pdns::PdnsClientPool& clients_;
  Metrics* const metrics_;
  const FleetHealthOptions options_;
  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  // Servers with a round running (never two at once on one server).
  std::set<std::string> running_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> next_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> last_failure_report_ ABSL_GUARDED_BY(mu_);
  absl::BitGen rng_ ABSL_GUARDED_BY(mu_);
  bool partitions_ready_ ABSL_GUARDED_BY(mu_) = false;
  // Rounds and failure reports run here; declared last so that it is
  // destroyed (finishing its work) before what that work uses.
  Executor executor_;
};

}  // namespace dns

#endif  // DNS_SERVER_HEALTH_FLEET_HEALTH_H_
