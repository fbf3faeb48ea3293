// Keeps an account-scoped caller to its accounts' zones. A zone of another
// account answers exactly as a missing one does (NOT_FOUND, same message
// and reason), so a scoped caller cannot learn which names exist.
#ifndef DNS_SERVER_AUTH_SCOPE_GUARD_H_
#define DNS_SERVER_AUTH_SCOPE_GUARD_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/auth.h"
#include "storage/zone_store.h"

namespace dns {

class ScopeGuard {
 public:
  explicit ScopeGuard(ZoneStore& zones) : zones_(zones) {}

  // OK for an unscoped caller, and for a name that is not a valid zone name
  // (validation answers it). NOT_FOUND when the zone is outside the scope.
  absl::Status CheckZone(const Principal& who, const std::string& zone);
  // Every zone of `zones` (by index in `field`, e.g. "scope.zones[2]").
  absl::Status CheckZones(const Principal& who, const std::vector<std::string>& zones);
  // A zone put into `account` (created, moved, provisioned):
  // PERMISSION_DENIED naming `field` outside the scope.
  static absl::Status CheckAccount(const Principal& who, const std::string& account,
                                   const std::string& field);

 private:
  ZoneStore& zones_;
};

}  // namespace dns

#endif  // DNS_SERVER_AUTH_SCOPE_GUARD_H_
