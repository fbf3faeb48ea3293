#ifndef DNS_STORAGE_PG_AUDIT_STORE_H_
#define DNS_STORAGE_PG_AUDIT_STORE_H_

#include <memory>

#include "storage/audit_store.h"
#include "storage/connection_pool.h"

namespace dns {

class PgAuditStore : public AuditStore {
 public:
  explicit PgAuditStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<Page<AuditEntry>> ListEntries(const AuditFilter& filter, int64_t before_id,
                                               int limit) override;
  absl::StatusOr<AuditEntry> GetEntry(int64_t id) override;

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_AUDIT_STORE_H_
