// The health status machine: how rounds of checks become a server's status,
// alerts and events. Pure: the store hands it the state kept on the server
// row (under the row's lock) and writes back what it returns.
//
// Hysteresis both ways: a server becomes UNAVAILABLE after
// `failure_threshold` rounds in a row without a DNS answer, DEGRADED after as
// many rounds in a row with a failed check, and HEALTHY again only after
// `recovery_threshold` good rounds in a row, so a flapping server does not
// flap its status. MAINTENANCE is set and cleared by UpdateServer only;
// rounds during it still count, so the status after it reflects them.
#ifndef DNS_SERVER_HEALTH_STATUS_MACHINE_H_
#define DNS_SERVER_HEALTH_STATUS_MACHINE_H_

#include <string>
#include <vector>

#include "common/health.h"

namespace dns {

struct StatusPolicy {
  int failure_threshold = 3;
  int recovery_threshold = 2;
};

// The observation a round makes: kDown when the server gave no DNS answer
// (or, having no DNS address, no API answer) — a failed check without a
// figure —, kDegraded when any other check failed (a stale serial, a slow
// API), kGood otherwise.
Observation Observe(const std::vector<CheckResult>& checks);

// The next status after one more observation, with the streaks updated.
struct StatusStep {
  ServerStatus status;
  HealthStreaks streaks;
};
StatusStep NextStatus(ServerStatus current, bool maintenance, HealthStreaks streaks,
                      Observation observation, const StatusPolicy& policy);

// A round counted (HealthTransition: the new state and the events it
// raises — status changed, alerts raised or cleared, checks that started
// failing). Events carry `report.time` and no id.
HealthTransition Assess(const HealthState& before, const HealthReport& report,
                        const StatusPolicy& policy);

// A failure seen outside the checks (propagation could not reach the
// server) counted like a round that found it: kDegraded with `reason`.
HealthTransition AssessFailure(const HealthState& before, const std::string& server,
                               const std::string& reason, absl::Time time,
                               const StatusPolicy& policy);

}  // namespace dns

#endif  // DNS_SERVER_HEALTH_STATUS_MACHINE_H_
