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

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_MAINTENANCE_H_
