#ifndef DNS_STORAGE_PG_PROPAGATION_STORE_H_
#define DNS_STORAGE_PG_PROPAGATION_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/propagation_store.h"

namespace dns {

class PgPropagationStore : public PropagationStore {
 public:
  explicit PgPropagationStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  // Prepares this store's statements; part of the pool's on_connect hook.
  static void PrepareConnection(pqxx::connection& conn);
  // The on_connect hook of a pool of this store's own: PrepareConnection
  // plus synchronous_commit off. This store only records progress (claims,
  // applied/failed marks, sync requests); what is pending is written durably
  // by each write's own transaction. A mark lost in a database crash means
  // one more idempotent push, and the store saves a WAL flush per zone per
  // server.
  static void PrepareOwnConnection(pqxx::connection& conn);

  absl::StatusOr<std::vector<PropagationTask>> ClaimDue(
      int limit, absl::Duration lease, const std::optional<std::string>& zone) override;
  absl::StatusOr<std::optional<std::vector<RRsetKey>>> ChangedSince(const std::string& zone,
                                                                    uint32_t after_serial) override;
  absl::StatusOr<bool> MarkApplied(const PropagationTask& task, bool did_full_sync) override;
  absl::Status MarkFailed(const PropagationTask& task, const std::string& error,
                          absl::Duration retry_in, bool need_full_sync) override;
  absl::Status WakeServer(const std::string& server) override;
  absl::StatusOr<std::vector<ServerPropagation>> GetPropagation(const std::string& zone) override;
  absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                       const std::vector<std::string>& servers) override;
  absl::StatusOr<int64_t> PruneJournal() override;

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_PROPAGATION_STORE_H_
