// Who is calling and what they may do: roles, tokens as stored, and the
// principal a call runs as.
#ifndef DNS_COMMON_AUTH_H_
#define DNS_COMMON_AUTH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dns {

// Each role includes the ones before it.
enum class Role { kUnspecified = 0, kReader = 1, kEditor = 2, kOperator = 3, kAdmin = 4 };

// "reader", "editor", "operator", "admin"; "" for kUnspecified.
inline const char* RoleName(Role role) {
  switch (role) {
    case Role::kReader:
      return "reader";
    case Role::kEditor:
      return "editor";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    default:
      return "";
  }
}

inline std::optional<Role> RoleFromName(const std::string& name) {
  for (Role r : {Role::kReader, Role::kEditor, Role::kOperator, Role::kAdmin}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

struct TokenInfo {
  std::string name;
  Role role = Role::kUnspecified;
  // Empty: every account.
  std::vector<std::string> accounts;
  absl::Time create_time;
  std::optional<absl::Time> last_use_time;
  std::optional<absl::Time> expire_time;
  std::optional<absl::Time> revoke_time;
  std::string created_by;
};

// The caller of one RPC, once authenticated.
struct Principal {
  // The token's name, "cert:<subject>" for a client certificate, or
  // "anonymous" when authentication is off.
  std::string name;
  Role role = Role::kUnspecified;
  // Empty: every account.
  std::vector<std::string> accounts;

  bool Scoped() const { return !accounts.empty(); }
  bool MayUseAccount(const std::string& account) const {
    if (accounts.empty()) return true;
    for (const std::string& a : accounts) {
      if (a == account) return true;
    }
    return false;
  }
};

}  // namespace dns

#endif  // DNS_COMMON_AUTH_H_
