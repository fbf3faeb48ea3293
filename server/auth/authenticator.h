// Decides who a call comes from and whether that caller may make it: the
// bearer token in the `authorization` metadata, looked up by the SHA-256 of
// its secret, then the method's least role from the one table. Tokens are
// cached for a short while; a change to any token (revoked on any replica,
// or straight on the database by `dnsd token revoke`) empties the cache on
// every replica through the event hub within moments, and the cache's
// lifetime bounds the damage of a missed notification.
#ifndef DNS_SERVER_AUTH_AUTHENTICATOR_H_
#define DNS_SERVER_AUTH_AUTHENTICATOR_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "client/token_bucket.h"
#include "common/auth.h"
#include "storage/token_store.h"

namespace dns {

struct AuthOptions {
  // Off: every call runs as "anonymous" with every right (dnsd warns).
  bool enabled = true;
  // How long a token's row is trusted without reading it again.
  absl::Duration cache_ttl = absl::Seconds(30);
  // How long an unknown secret is remembered as unknown (a token made a
  // moment ago on another replica is found once this has passed).
  absl::Duration negative_ttl = absl::Seconds(1);
  // Secrets cached at most; beyond, the cache starts over.
  size_t max_cached = 10000;
  // A token's last use is written at most this often per replica.
  absl::Duration touch_every = absl::Minutes(1);
  // Calls per second one token may make on one replica, and the burst it
  // may spend at once; beyond, RESOURCE_EXHAUSTED with a retry delay.
  // 0: no limit.
  double rate_limit_qps = 0;
  double rate_limit_burst = 0;
};

class Authenticator {
 public:
  Authenticator(TokenStore* store, AuthOptions options,
                std::shared_ptr<Clock> clock = RealClock());

  // `authorization`: the call's metadata value ("Bearer <secret>"), empty
  // when absent. UNAUTHENTICATED without a valid token, PERMISSION_DENIED
  // when its role is below the method's. Reads the database on a cache miss.
  absl::StatusOr<Principal> Authorize(absl::string_view authorization, absl::string_view method);

  // Forgets every cached token (one changed somewhere, or events were lost).
  void Invalidate();

  bool enabled() const { return options_.enabled; }

 private:
  struct Entry {
    std::optional<TokenInfo> token;  // nullopt: no such secret
    absl::Time loaded;
    absl::Time touched = absl::InfinitePast();
  };

  absl::StatusOr<TokenInfo> Lookup(const std::string& digest);
  // RESOURCE_EXHAUSTED when `token` has spent its calls for now.
  absl::Status Admit(const std::string& token);

  TokenStore* const store_;
  const AuthOptions options_;
  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  std::map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  // Bumped by Invalidate: a lookup that started before must not cache.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // By token name; kept across invalidations (a revoked token's bucket is
  // small and goes when the replica restarts).
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_SERVER_AUTH_AUTHENTICATOR_H_
