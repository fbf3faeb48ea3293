// Creating, listing and revoking tokens: shared by TokenService and by
// `dnsd token`, which works straight on the database.
#ifndef DNS_SERVER_AUTH_TOKEN_ADMIN_H_
#define DNS_SERVER_AUTH_TOKEN_ADMIN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth.h"
#include "storage/token_store.h"

namespace dns {

struct NewToken {
  std::string name;
  Role role = Role::kUnspecified;
  std::vector<std::string> accounts;
  // Unset: does not expire.
  std::optional<absl::Duration> ttl;
  std::string created_by;
  WriteOrigin origin;
};

struct TokenList {
  std::vector<TokenInfo> tokens;
  std::string next_page_token;
};

struct CreatedToken {
  TokenInfo token;
  std::string secret;  // shown once
};

class TokenAdmin {
 public:
  explicit TokenAdmin(TokenStore& store) : store_(store) {}

  // INVALID_ARGUMENT naming the field (name, role, accounts[i], ttl);
  // ALREADY_EXISTS when the name is taken.
  absl::StatusOr<CreatedToken> Create(const NewToken& request);
  // AIP-158 paging (page_size 0: the default).
  absl::StatusOr<TokenList> List(int page_size, const std::string& page_token, bool show_revoked);
  absl::StatusOr<TokenInfo> Revoke(const std::string& name, const WriteOrigin& origin);
  // An admin token `name` whose secret is `secret` (read from the file an
  // operator keeps it in): created, or its secret replaced when the file's
  // changed. INVALID_ARGUMENT for a secret too short to be safe (under 32
  // characters) or holding spaces or control characters.
  absl::StatusOr<TokenInfo> EnsureBootstrap(const std::string& name, const std::string& secret,
                                            const WriteOrigin& origin);

 private:
  TokenStore& store_;
};

}  // namespace dns

#endif  // DNS_SERVER_AUTH_TOKEN_ADMIN_H_
