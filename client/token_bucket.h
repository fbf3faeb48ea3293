// Token-bucket rate limiter. Keeps the service from flooding one PowerDNS
// server (each API call costs it a database connection) when thousands of
// zones change at once, e.g. during a failover.
#ifndef DNS_CLIENT_TOKEN_BUCKET_H_
#define DNS_CLIENT_TOKEN_BUCKET_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"

namespace dns {

class TokenBucket {
 public:
  // `rate_per_second` <= 0 means unlimited. `burst` is the bucket size (at
  // least 1); the bucket starts full.
  TokenBucket(double rate_per_second, double burst,
              std::shared_ptr<Clock> clock = RealClock());

  // Takes one token and returns how long the caller must wait before acting.
  // Waiting callers are served in the order they reserved (the balance may go
  // negative), so nobody starves. If the wait would end after `deadline`,
  // nothing is taken and DEADLINE_EXCEEDED is returned.
  absl::StatusOr<absl::Duration> Reserve(
      absl::Time deadline = absl::InfiniteFuture());

  // Takes a token if one is there now and returns zero; otherwise takes
  // nothing and returns how long until one will be (for a caller that
  // refuses instead of waiting).
  absl::Duration TryTake();

  // Reserve() and then sleep on the clock.
  absl::Status Acquire(absl::Time deadline = absl::InfiniteFuture());

  bool unlimited() const { return rate_ <= 0; }

 private:
  const double rate_;
  const double burst_;
  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  void RefillLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_CLIENT_TOKEN_BUCKET_H_
