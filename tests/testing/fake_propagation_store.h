// The durable propagation record in memory, with the same lease, fencing
// and due-time rules as PgPropagationStore, on a Clock (fake in tests), so
// the claimer and workers can be tested without PostgreSQL and without
// waiting.
#ifndef DNS_TESTS_TESTING_FAKE_PROPAGATION_STORE_H_
#define DNS_TESTS_TESTING_FAKE_PROPAGATION_STORE_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/clock.h"
#include "storage/propagation_store.h"

namespace dns {

class FakePropagationStore : public PropagationStore {
 public:
  struct Row {
    uint32_t desired = 0;
    uint32_t applied = 0;
    bool deleted = false;
    bool full_sync = false;
    std::string state = "PENDING";  // PENDING, IN_SYNC, ERROR
    std::string last_error;
    int attempts = 0;
    absl::Time next_attempt;
    absl::Time lease_until = absl::InfinitePast();
    std::string owner;
    int64_t claim = 0;
    absl::Time hold_until = absl::InfinitePast();
    absl::Time update_time;
  };

  explicit FakePropagationStore(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {}

  // A write committed: (zone, server) wants `serial` (as enqueue_propagation).
  void Enqueue(const std::string& zone, const std::string& server, uint32_t serial,
               bool full_sync = false);
  void SetMaintenance(const std::string& server, bool on);
  // The journal answer ChangedSince gives for a zone (nullopt: full sync).
  void SetChanged(const std::string& zone, std::optional<std::vector<RRsetKey>> keys);
  Row row(const std::string& zone, const std::string& server);
  int renewals();
  // ClaimDue calls so far.
  int claims();
  // Blocks until `done()` holds or `timeout` of real time passes (for tests
  // with worker threads); returns whether it held.
  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(30));

  absl::StatusOr<std::vector<PropagationTask>> ClaimDue(const ClaimRequest& request) override;
  absl::StatusOr<int64_t> RenewLeases(const std::string& owner, absl::Duration lease) override;
  absl::StatusOr<int64_t> ReleaseAll(const std::string& owner) override;
  absl::StatusOr<std::optional<std::vector<RRsetKey>>> ChangedSince(
      const std::string& zone, uint32_t after_serial) override;
  absl::StatusOr<Recorded> MarkApplied(const PropagationTask& task, bool did_full_sync) override;
  absl::StatusOr<Recorded> MarkFailed(const PropagationTask& task, const std::string& error,
                                      absl::Duration retry_in, bool need_full_sync) override;
  absl::Status WakeServer(const std::string& server) override;
  absl::StatusOr<std::vector<ServerPropagation>> GetPropagation(const std::string& zone) override;
  absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                       const std::vector<std::string>& servers) override;
  absl::StatusOr<int64_t> PruneJournal(absl::Duration horizon) override;
  absl::StatusOr<std::vector<Backlog>> PendingByServer() override;

 private:
  ServerPropagation View(const std::string& server, const Row& row)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, Row> rows_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> maintenance_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::optional<std::vector<RRsetKey>>> changed_ ABSL_GUARDED_BY(mu_);
  int renewals_ ABSL_GUARDED_BY(mu_) = 0;
  int claims_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dns

#endif  // DNS_TESTS_TESTING_FAKE_PROPAGATION_STORE_H_
