// Writes audit entries inside a store's own transaction (dnsv1.append_audit),
// so that a change and its entry commit or roll back together.
#ifndef DNS_STORAGE_PG_AUDIT_H_
#define DNS_STORAGE_PG_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "common/audit.h"

namespace dns {

// An entry's fields besides its origin. JSON fields are text; nullopt
// leaves the column NULL (not an RRset change, say).
struct AuditRecord {
  std::string zone;
  std::string account;
  std::string target;
  std::optional<int64_t> serial_before;
  std::optional<int64_t> serial_after;
  std::optional<std::string> keys;         // [{"n","t"}]
  std::optional<std::string> rows_before;  // gpgsql rows
  std::optional<std::string> rows_after;
  std::string details = "{}";
};

// The origin as dnsv1.append_audit takes it. A write that came through no
// call is recorded as the service's own ("dnsd").
std::string OriginJson(const WriteOrigin& origin);

// Appends the entry in `txn`; returns its id.
int64_t AppendAudit(pqxx::transaction_base& txn, const WriteOrigin& origin,
                    const AuditRecord& record);

}  // namespace dns

#endif  // DNS_STORAGE_PG_AUDIT_H_
