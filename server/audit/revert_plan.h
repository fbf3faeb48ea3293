// The inverse of an audited RRset change: pure, so the rules are unit-tested
// without a database.
#ifndef DNS_SERVER_AUDIT_REVERT_PLAN_H_
#define DNS_SERVER_AUDIT_REVERT_PLAN_H_

#include <vector>

#include "absl/status/statusor.h"
#include "common/audit.h"
#include "common/model.h"

namespace dns {

// The changes that put every RRset `entry` touched back as it was before it:
// REPLACE with the old RRset, DELETE where there was none. `current` holds
// those RRsets as stored now (absent ones left out). Unless `force`, the
// RRsets must still be exactly as the entry left them (records in any order,
// TTL and disabled flags included): ABORTED (CHANGED_SINCE) naming the ones
// that are not. FAILED_PRECONDITION for an entry that is not an RRset
// change (NOT_REVERTIBLE) or was reverted already (ALREADY_REVERTED, unless
// `force`).
absl::StatusOr<std::vector<RRsetChange>> PlanRevert(const AuditEntry& entry,
                                                    const std::vector<RRset>& current,
                                                    bool force);

}  // namespace dns

#endif  // DNS_SERVER_AUDIT_REVERT_PLAN_H_
