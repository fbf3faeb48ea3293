// Reads of the audit trail (entries are written by the other stores, in the
// transaction of each change).
#ifndef DNS_STORAGE_AUDIT_STORE_H_
#define DNS_STORAGE_AUDIT_STORE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit.h"
#include "storage/zone_store.h"

namespace dns {

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Newest first: entries with id < `before_id` (0: from the newest).
  // Listed entries carry their keys but not their RRsets.
  virtual absl::StatusOr<Page<AuditEntry>> ListEntries(const AuditFilter& filter,
                                                       int64_t before_id, int limit) = 0;
  // One entry with its RRsets; NOT_FOUND (AUDIT_ENTRY_NOT_FOUND) when there
  // is none (or it was pruned).
  virtual absl::StatusOr<AuditEntry> GetEntry(int64_t id) = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_AUDIT_STORE_H_
