#include "storage/migrations.h"

#include <pqxx/pqxx>

#include "spdlog/spdlog.h"
#include "storage/embedded_sql.h"
#include "storage/pg_errors.h"

namespace dns {
namespace {

// Arbitrary, fixed: the lock id every dnsd uses while migrating.
constexpr int64_t kMigrationLockId = 0x646e7376316d6967;  // "dnsv1mig"

}  // namespace

const std::vector<Migration>& AllMigrations() {
  static const auto* migrations = new std::vector<Migration>(EmbeddedMigrations());
  return *migrations;
}

absl::StatusOr<std::vector<int>> Migrate(const std::string& database_url) {
  return GuardPg("migrate", [&]() -> absl::StatusOr<std::vector<int>> {
    pqxx::connection conn(database_url);
    {
      pqxx::nontransaction lock(conn);
      lock.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockId);
    }
    std::vector<int> applied;
    {
      pqxx::work txn(conn);
      // The version table lives in public: schema dnsv1 is created by a
      // migration itself.
      txn.exec0(
          "CREATE TABLE IF NOT EXISTS dnsv1_schema_migrations ("
          " version INT PRIMARY KEY, name TEXT NOT NULL,"
          " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      txn.commit();
    }
    for (const Migration& m : AllMigrations()) {
      pqxx::work txn(conn);
      auto done = txn.exec_params(
          "SELECT 1 FROM dnsv1_schema_migrations WHERE version = $1", m.version);
      if (!done.empty()) continue;
      spdlog::info("applying migration {} ({})", m.version, m.name);
      txn.exec0(m.sql);
      txn.exec_params0(
          "INSERT INTO dnsv1_schema_migrations (version, name) VALUES ($1, $2)",
          m.version, m.name);
      txn.commit();
      applied.push_back(m.version);
    }
    pqxx::nontransaction unlock(conn);
    unlock.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockId);
    return applied;
  });
}

}  // namespace dns
