#ifndef DNS_STORAGE_PG_HEALTH_STORE_H_
#define DNS_STORAGE_PG_HEALTH_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/health_store.h"

namespace dns {

class PgHealthStore final : public HealthStore {
 public:
  explicit PgHealthStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<HealthTransition> RecordRound(const std::string& server,
                                               const std::optional<HealthSample>& sample,
                                               const Assessor& assess) override;
  absl::StatusOr<std::vector<HealthEvent>> ListEvents(int64_t after_id, int64_t up_to,
                                                      int limit) override;
  absl::StatusOr<int64_t> LastEventId() override;
  absl::StatusOr<int64_t> OldestEventId() override;
  absl::StatusOr<int64_t> PruneEvents(absl::Time cutoff) override;
  absl::StatusOr<MetricsResult> QueryMetrics(const MetricsQuery& query) override;
  absl::StatusOr<int> EnsurePartitions(absl::Time now, int days_ahead) override;
  absl::StatusOr<int> DropPartitionsBefore(absl::Time cutoff) override;
  absl::StatusOr<int> RollUp(absl::Time before) override;
  absl::StatusOr<std::optional<ProbeTarget>> FindProbeTarget(const std::string& server) override;
  absl::StatusOr<int64_t> CountOutOfSync(const std::string& server,
                                         const std::optional<std::vector<std::string>>& zones,
                                         const std::vector<uint32_t>& serials) override;

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_HEALTH_STORE_H_
