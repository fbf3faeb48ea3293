// Bearer tokens as stored: only the SHA-256 of each secret is kept.
#ifndef DNS_STORAGE_TOKEN_STORE_H_
#define DNS_STORAGE_TOKEN_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/auth.h"
#include "storage/zone_store.h"

namespace dns {

class TokenStore {
 public:
  virtual ~TokenStore() = default;

  // `secret_hash`: SHA-256 of the secret (32 bytes). ALREADY_EXISTS (reason
  // TOKEN_ALREADY_EXISTS) when the name is taken, revoked or not.
  virtual absl::StatusOr<TokenInfo> CreateToken(const TokenInfo& token,
                                                const std::string& secret_hash,
                                                const WriteOrigin& origin) = 0;
  // By name, after `after_name`.
  virtual absl::StatusOr<Page<TokenInfo>> ListTokens(const std::string& after_name, int limit,
                                                     bool show_revoked) = 0;
  // NOT_FOUND (TOKEN_NOT_FOUND) for an unknown name; revoking a revoked
  // token changes nothing. Every replica hears of it on commit.
  virtual absl::StatusOr<TokenInfo> RevokeToken(const std::string& name,
                                                const WriteOrigin& origin) = 0;
  // Makes sure the token `token.name` exists with this secret (the
  // bootstrap token an operator keeps in a file): created when missing, its
  // secret replaced when the file's changed. FAILED_PRECONDITION
  // (TOKEN_REVOKED) for a revoked one: it stays revoked.
  virtual absl::StatusOr<TokenInfo> EnsureToken(const TokenInfo& token,
                                                const std::string& secret_hash,
                                                const WriteOrigin& origin) = 0;
  // The token whose secret hashes to `secret_hash`, revoked or expired ones
  // included (the caller decides); NOT_FOUND when none.
  virtual absl::StatusOr<TokenInfo> FindToken(const std::string& secret_hash) = 0;
  // Records that these tokens were used at `time`.
  virtual absl::Status TouchTokens(const std::vector<std::string>& names, absl::Time time) = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_TOKEN_STORE_H_
