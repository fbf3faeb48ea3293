#include "server/auth/scope_guard.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"
#include "server/domain/dns_name.h"

namespace dns {

absl::Status ScopeGuard::CheckZone(const Principal& who, const std::string& zone) {
  if (!who.Scoped()) return absl::OkStatus();
  absl::StatusOr<std::string> name = CanonicalZoneName(zone);
  if (!name.ok()) return absl::OkStatus();
  absl::StatusOr<Zone> found = zones_.GetZone(*name);
  if (!found.ok()) return absl::IsNotFound(found.status()) ? ZoneNotFoundError(*name) : found.status();
  if (!who.MayUseAccount(found->account)) return ZoneNotFoundError(*name);
  return absl::OkStatus();
}

absl::Status ScopeGuard::CheckZones(const Principal& who, const std::vector<std::string>& zones) {
  for (const std::string& zone : zones) {
    if (absl::Status st = CheckZone(who, zone); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ScopeGuard::CheckAccount(const Principal& who, const std::string& account,
                                      const std::string& field) {
  if (who.MayUseAccount(account)) return absl::OkStatus();
  return WithReason(
      absl::PermissionDeniedError(absl::StrCat(
          field, ": token ", who.name, " may only use the accounts ",
          absl::StrJoin(who.accounts, ", "),
          account.empty() ? " (a zone without an account is outside them)" : "")),
      "ACCOUNT_OUT_OF_SCOPE");
}

}  // namespace dns
