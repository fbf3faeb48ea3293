// The audit trail for callers: listing and reading entries within the
// caller's scope, and reverting an RRset change as a new, audited change.
#ifndef DNS_SERVER_AUDIT_MANAGER_H_
#define DNS_SERVER_AUDIT_MANAGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit.h"
#include "common/auth.h"
#include "server/zone_manager.h"
#include "storage/audit_store.h"

namespace dns {

struct AuditQuery {
  AuditFilter filter;  // zone raw input; canonicalised by the manager
  int page_size = 0;
  std::string page_token;
};

struct RevertResult {
  ChangeResult change;
  std::vector<RRsetChange> applied;
};

class AuditManager {
 public:
  AuditManager(AuditStore& store, ZoneManager& zones) : store_(store), zones_(zones) {}

  // Entries newest first. An account-scoped caller sees only its accounts'
  // zones' entries.
  absl::StatusOr<ListResult<AuditEntry>> List(AuditQuery query, const Principal& who);
  // NOT_FOUND for a malformed or unknown id, and for an entry outside the
  // caller's scope (the same answer).
  absl::StatusOr<AuditEntry> Get(const std::string& id, const Principal& who);
  // Puts the entry's RRsets back as they were before it, through
  // ZoneManager::ChangeRRsets (validated, propagated, audited with
  // `key.origin.reverts` set). A retry with the request_id of a revert that
  // committed answers that revert.
  absl::StatusOr<RevertResult> Revert(const AuditEntry& entry, bool force, RequestKey key,
                                      const WriteOptions& w);

  PropagationControl* propagation() const { return zones_.propagation(); }

 private:
  AuditStore& store_;
  ZoneManager& zones_;
};

}  // namespace dns

#endif  // DNS_SERVER_AUDIT_MANAGER_H_
