// Housekeeping statements the periodic jobs run.
#ifndef DNS_STORAGE_PG_MAINTENANCE_H_
#define DNS_STORAGE_PG_MAINTENANCE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace dns {

class PgMaintenance {
 public:
  explicit PgMaintenance(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  // Forgets request ids older than `retention`: a retry after that is a new
  // request. Deletes in batches so no statement runs long; returns how many.
  absl::StatusOr<int64_t> ExpireRequests(absl::Duration retention);
  // Drops audit entries older than `retention` the same way.
  absl::StatusOr<int64_t> PruneAudit(absl::Duration retention);

 private:
  // DELETE FROM `table` rows whose `time_column` is older than `retention`,
  // 10,000 by `key` at a time.
  absl::StatusOr<int64_t> DeleteOlderThan(const char* operation, const char* table,
                                          const char* key, const char* time_column,
                                          absl::Duration retention);

  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_MAINTENANCE_H_
