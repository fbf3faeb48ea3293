// Versioned schema migrations, embedded in the binary from storage/sql/.
#ifndef DNS_STORAGE_MIGRATIONS_H_
#define DNS_STORAGE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dns {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// Every migration, in version order.
const std::vector<Migration>& AllMigrations();

// Applies the migrations not yet recorded in dnsv1_schema_migrations, each in
// its own transaction, under an advisory lock so replicas starting together
// do not race. Returns the versions applied by this call.
absl::StatusOr<std::vector<int>> Migrate(const std::string& database_url);

}  // namespace dns

#endif  // DNS_STORAGE_MIGRATIONS_H_
