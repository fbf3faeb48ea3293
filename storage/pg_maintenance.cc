#include "storage/pg_maintenance.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_run.h"

namespace dns {

absl::StatusOr<int64_t> PgMaintenance::ExpireRequests(absl::Duration retention) {
  const std::string interval = absl::StrCat(absl::ToInt64Milliseconds(retention), " milliseconds");
  int64_t total = 0;
  while (true) {
    absl::StatusOr<int64_t> batch =
        RunPg<int64_t>(*pool_, "ExpireRequests", [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
          pqxx::nontransaction txn(conn);
          pqxx::result done = txn.exec_params(
              "DELETE FROM dnsv1.requests WHERE request_id IN ("
              " SELECT request_id FROM dnsv1.requests"
              " WHERE create_time < now() - $1::interval LIMIT 10000)",
              interval);
          return static_cast<int64_t>(done.affected_rows());
        });
    if (!batch.ok()) return batch.status();
    total += *batch;
    if (*batch < 10000) return total;
  }
}

}  // namespace dns
