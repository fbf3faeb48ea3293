#include "storage/pg_maintenance.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_run.h"

namespace dns {

absl::StatusOr<int64_t> PgMaintenance::ExpireRequests(absl::Duration retention) {
  return DeleteOlderThan("ExpireRequests", "dnsv1.requests", "request_id", "create_time",
                         retention);
}

absl::StatusOr<int64_t> PgMaintenance::PruneAudit(absl::Duration retention) {
  return DeleteOlderThan("PruneAudit", "dnsv1.audit_log", "id", "time", retention);
}

absl::StatusOr<int64_t> PgMaintenance::DeleteOlderThan(const char* operation, const char* table,
                                                       const char* key, const char* time_column,
                                                       absl::Duration retention) {
  const std::string interval = absl::StrCat(absl::ToInt64Milliseconds(retention), " milliseconds");
  const std::string sql = absl::StrCat("DELETE FROM ", table, " WHERE ", key, " IN (SELECT ", key,
                                       " FROM ", table, " WHERE ", time_column,
                                       " < now() - $1::interval LIMIT 10000)");
  int64_t total = 0;
  while (true) {
    absl::StatusOr<int64_t> batch =
        RunPg<int64_t>(*pool_, operation, [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
          pqxx::nontransaction txn(conn);
          pqxx::result done = txn.exec_params(sql, interval);
          return static_cast<int64_t>(done.affected_rows());
        });
    if (!batch.ok()) return batch.status();
    total += *batch;
    if (*batch < 10000) return total;
  }
}

}  // namespace dns
