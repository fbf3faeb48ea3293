// The health monitor's storage: the status machine's state on each server
// row, the samples kept as history (partitioned by day), and the durable
// health events that WatchHealth streams.
#ifndef DNS_STORAGE_HEALTH_STORE_H_
#define DNS_STORAGE_HEALTH_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/health.h"

namespace dns {

// A zone the server must serve, with the serial it must answer.
struct ProbeTarget {
  std::string zone;
  uint32_t serial = 0;
};

class HealthStore {
 public:
  virtual ~HealthStore() = default;

  // The state kept on the server row goes to `assess` under the row's lock;
  // what it returns is written back in the same transaction with `sample`
  // (if given) and the events (their ids assigned). NOT_FOUND if the server
  // is not registered. `assess` may run more than once (a retried
  // transaction) and must not have side effects.
  using Assessor = std::function<HealthTransition(const HealthState&)>;
  virtual absl::StatusOr<HealthTransition> RecordRound(const std::string& server,
                                                       const std::optional<HealthSample>& sample,
                                                       const Assessor& assess) = 0;

  // Events with id > after_id (and <= up_to when up_to > 0), oldest first.
  virtual absl::StatusOr<std::vector<HealthEvent>> ListEvents(int64_t after_id, int64_t up_to,
                                                              int limit) = 0;
  // The newest and the oldest id kept; 0 when there are none.
  virtual absl::StatusOr<int64_t> LastEventId() = 0;
  virtual absl::StatusOr<int64_t> OldestEventId() = 0;
  // Deletes events older than `cutoff`; returns how many.
  virtual absl::StatusOr<int64_t> PruneEvents(absl::Time cutoff) = 0;

  // Samples downsampled in the database: avg and max per bucket of `step`.
  virtual absl::StatusOr<MetricsResult> QueryMetrics(const MetricsQuery& query) = 0;
  // Daily partitions from `now`'s day through `days_ahead` days after it.
  virtual absl::StatusOr<int> EnsurePartitions(absl::Time now, int days_ahead) = 0;
  // Drops the partitions of days that ended before `cutoff` (and the hourly
  // roll-ups before it).
  virtual absl::StatusOr<int> DropPartitionsBefore(absl::Time cutoff) = 0;
  // Rolls up the samples of whole hours that ended before `before` (at most
  // a week of them per call); returns the hours rolled up.
  virtual absl::StatusOr<int> RollUp(absl::Time before) = 0;

  // A zone the server holds in sync, for the DNS probe; nullopt if none.
  virtual absl::StatusOr<std::optional<ProbeTarget>> FindProbeTarget(
      const std::string& server) = 0;
  // Zones the truth counts in sync on `server` (or failing there) that its
  // own zone list (`zones`, `serials`: what the server reported) lacks or
  // holds at another serial; plus those in ERROR. With `zones` absent only
  // the ERROR ones count (SHARED_DB servers read the truth itself).
  virtual absl::StatusOr<int64_t> CountOutOfSync(
      const std::string& server, const std::optional<std::vector<std::string>>& zones,
      const std::vector<uint32_t>& serials) = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_HEALTH_STORE_H_
