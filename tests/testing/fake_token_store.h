// TokenStore in memory, for tests of authentication.
#ifndef DNS_TESTS_TESTING_FAKE_TOKEN_STORE_H_
#define DNS_TESTS_TESTING_FAKE_TOKEN_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/token_store.h"

namespace dns {

class FakeTokenStore : public TokenStore {
 public:
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

  // How often FindToken and TouchTokens were called.
  int finds() const;
  int touches() const;
  // FindToken fails with this until set back to OK (a database outage).
  void FailFinds(absl::Status status);

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, TokenInfo> by_name_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> name_by_hash_ ABSL_GUARDED_BY(mu_);
  int finds_ ABSL_GUARDED_BY(mu_) = 0;
  int touches_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fail_finds_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_TESTS_TESTING_FAKE_TOKEN_STORE_H_
