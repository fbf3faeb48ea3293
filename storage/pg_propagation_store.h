#ifndef DNS_STORAGE_PG_PROPAGATION_STORE_H_
#define DNS_STORAGE_PG_PROPAGATION_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/propagation_store.h"

namespace dns {

class PgPropagationStore : public PropagationStore {
 public:
  // `pool` serves reads and requests (GetPropagation, ChangedSince,
  // RequestSync). `progress_pool`, if given, serves the propagator's own
  // progress records (claims, applied/failed marks, wake-ups, journal
  // pruning): see PrepareProgressConnection.
  explicit PgPropagationStore(std::shared_ptr<ConnectionPool> pool,
                              std::shared_ptr<ConnectionPool> progress_pool = nullptr)
      : pool_(std::move(pool)),
        progress_pool_(progress_pool ? std::move(progress_pool) : pool_) {}

  // Prepares this store's statements; part of the pool's on_connect hook.
  static void PrepareConnection(pqxx::connection& conn);
  // The on_connect hook of the progress pool: PrepareConnection plus
  // synchronous_commit off. Progress records are redone if lost: what is
  // pending is written durably by each write's own transaction, so a mark
  // lost in a database crash means one more idempotent push, and each mark
  // saves waiting for a WAL flush.
  static void PrepareProgressConnection(pqxx::connection& conn);

  absl::StatusOr<std::vector<PropagationTask>> ClaimDue(const ClaimRequest& request) override;
  absl::StatusOr<int64_t> RenewLeases(const std::string& owner, absl::Duration lease) override;
  absl::StatusOr<int64_t> ReleaseAll(const std::string& owner) override;
  absl::StatusOr<std::optional<std::vector<RRsetKey>>> ChangedSince(const std::string& zone,
                                                                    uint32_t after_serial) override;
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
  std::shared_ptr<ConnectionPool> pool_;
  std::shared_ptr<ConnectionPool> progress_pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_PROPAGATION_STORE_H_
