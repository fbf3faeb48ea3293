#include "storage/pg_leader_lock.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_errors.h"

namespace dns {

PgLeaderLock::PgLeaderLock(std::string database_url, int64_t lock_id,
                           std::string application_name)
    : url_(absl::StrCat(database_url, database_url.find('?') == std::string::npos ? "?" : "&",
                        "application_name=", application_name)),
      lock_id_(lock_id) {}

PgLeaderLock::~PgLeaderLock() { Release(); }

absl::StatusOr<bool> PgLeaderLock::TryHold() {
  absl::StatusOr<bool> held = GuardPg("leader lock", [&]() -> absl::StatusOr<bool> {
    if (!conn_) conn_ = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction txn(*conn_);
    if (held_) {
      // Still ours as long as the session lives: prove it does.
      txn.exec("SELECT 1");
      return true;
    }
    return txn.exec_params1("SELECT pg_try_advisory_lock($1)", lock_id_)[0].as<bool>();
  });
  if (!held.ok()) {
    // A broken connection took the lock with it.
    conn_.reset();
    held_ = false;
    return held.status();
  }
  held_ = *held;
  return held_;
}

void PgLeaderLock::Release() {
  held_ = false;
  conn_.reset();  // closing the session releases the lock
}

}  // namespace dns
