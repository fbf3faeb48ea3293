// TokenStore on PostgreSQL (dnsv1.tokens).
#ifndef DNS_STORAGE_PG_TOKEN_STORE_H_
#define DNS_STORAGE_PG_TOKEN_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/token_store.h"

namespace dns {

class PgTokenStore : public TokenStore {
 public:
  explicit PgTokenStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<TokenInfo> CreateToken(const TokenInfo& token,
                                        const std::string& secret_hash,
                                        const WriteOrigin& origin) override;
  absl::StatusOr<Page<TokenInfo>> ListTokens(const std::string& after_name, int limit,
                                             bool show_revoked) override;
  absl::StatusOr<TokenInfo> EnsureToken(const TokenInfo& token, const std::string& secret_hash,
                                        const WriteOrigin& origin) override;
  absl::StatusOr<TokenInfo> RevokeToken(const std::string& name,
                                        const WriteOrigin& origin) override;
  absl::StatusOr<TokenInfo> FindToken(const std::string& secret_hash) override;
  absl::Status TouchTokens(const std::vector<std::string>& names, absl::Time time) override;

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_TOKEN_STORE_H_
