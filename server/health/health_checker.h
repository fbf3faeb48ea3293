// One round of health checks on one PowerDNS server, every figure measured:
//   api               GET /api/v1/servers/localhost (version), its latency
//   statistics        GET .../statistics, from which memory (real-memory-usage),
//                     cpu (user-msec + sys-msec per wall time since the last
//                     round), query_rate (udp + tcp queries per second),
//                     packet/query cache hit rates, servfail_rate, latency
//                     (PowerDNS's average, us), fd_usage, uptime
//   dns_probe         a UDP SOA query (c-ares) for a zone the truth holds in
//                     sync on the server, its serial compared with the
//                     truth's; a server with no such zone is asked for a
//                     name it does not serve, and any answer (REFUSED
//                     included) shows it serves DNS
//   zones             API servers: the server's zone list (dnssec=false),
//                     at most once per zone_check_every (a list of 100,000
//                     zones is megabytes)
//   zones_out_of_sync zones in sync per the truth that the server lacks or
//                     holds at another serial, plus zones whose propagation
//                     keeps failing (SHARED_DB servers read the truth itself:
//                     only the latter); with the zone list
//   propagation_lag   age of the oldest change not yet confirmed there
// The API calls run at once and the probe meanwhile; the round ends at its
// timeout whatever a stalled server does, so it never delays another's.
#ifndef DNS_SERVER_HEALTH_HEALTH_CHECKER_H_
#define DNS_SERVER_HEALTH_HEALTH_CHECKER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "client/dns_prober.h"
#include "client/pdns_client.h"
#include "common/health.h"
#include "storage/health_store.h"

namespace dns {

struct HealthCheckOptions {
  // The whole round.
  absl::Duration timeout = absl::Seconds(5);
  absl::Duration probe_timeout = absl::Seconds(2);
  // Alert thresholds (defaults of the original design).
  double api_latency_ms = 5000;
  // memory > memory_percent of memory_limit_bytes; no memory alert while
  // the limit is 0 (PowerDNS does not report its host's memory).
  double memory_percent = 90;
  int64_t memory_limit_bytes = 0;
  double cpu_percent = 80;
  double zones_out_of_sync = 0;
  // How often an API server's zone list is fetched and compared.
  absl::Duration zone_check_every = absl::Seconds(60);
};

class HealthChecker {
 public:
  // Age of the oldest unconfirmed change on a server; nullopt: none.
  using LagSource = std::function<absl::StatusOr<std::optional<absl::Duration>>(
      const std::string& server)>;

  HealthChecker(HealthStore& store, DnsProber& prober, LagSource lag, HealthCheckOptions options,
                std::shared_ptr<Clock> clock = RealClock());

  // Blocks for at most options.timeout (plus the database reads). `server`
  // needs name, mode and dns_address; `client` talks to its API.
  HealthReport Run(const Server& server, pdns::PdnsClient& client);

  const HealthCheckOptions& options() const { return options_; }

 private:
  struct Counters {
    absl::Time time;
    double uptime = 0;
    double cpu_msec = 0;
    double queries = 0;
    double servfail = 0;
    double packet_hit = 0, packet_miss = 0;
    double query_hit = 0, query_miss = 0;
  };
  void AddStatistics(const std::string& server, const pdns::Statistics& stats, absl::Time now,
                     HealthReport& report);

  HealthStore& store_;
  DnsProber& prober_;
  const LagSource lag_;
  const HealthCheckOptions options_;
  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  // The last round's counters per server, for rates (kept in memory: the
  // first round on a new leader has no rates yet).
  std::map<std::string, Counters> last_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> last_zone_check_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_SERVER_HEALTH_HEALTH_CHECKER_H_
