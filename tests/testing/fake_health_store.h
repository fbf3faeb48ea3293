// In-memory HealthStore: server states, samples and events, for the unit
// tests of the status machine's users, the monitor and the event feed.
#ifndef DNS_TESTS_TESTING_FAKE_HEALTH_STORE_H_
#define DNS_TESTS_TESTING_FAKE_HEALTH_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/health_store.h"

namespace dns {

class FakeHealthStore final : public HealthStore {
 public:
  // A registered server with this state (RecordRound is NOT_FOUND for others).
  void AddServer(const std::string& name, HealthState state = {});
  HealthState State(const std::string& name);
  std::vector<HealthSample> Samples();
  std::vector<HealthEvent> Events();
  // Stores an event as the database would (the next id); returns its id.
  int64_t AddEvent(HealthEvent event);
  // Forgets events with id < `id` (retention).
  void DropEventsBefore(int64_t id);
  void SetProbeTarget(const std::string& server, std::optional<ProbeTarget> target);
  void SetOutOfSync(int64_t count);
  // Every call fails with `status` while it is not OK.
  void FailAll(absl::Status status);
  int list_events_calls();

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
  absl::Mutex mu_;
  std::map<std::string, HealthState> servers_ ABSL_GUARDED_BY(mu_);
  std::vector<HealthSample> samples_ ABSL_GUARDED_BY(mu_);
  std::vector<HealthEvent> events_ ABSL_GUARDED_BY(mu_);
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<std::string, std::optional<ProbeTarget>> targets_ ABSL_GUARDED_BY(mu_);
  int64_t out_of_sync_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  int list_events_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dns

#endif  // DNS_TESTS_TESTING_FAKE_HEALTH_STORE_H_
