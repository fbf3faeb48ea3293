// Circuit breaker for one PowerDNS server: after N consecutive failed calls we
// stop sending it traffic for a while (a dead server otherwise costs every
// caller a full timeout), then let exactly one probe through to find out
// whether it is back.
#ifndef DNS_CLIENT_CIRCUIT_BREAKER_H_
#define DNS_CLIENT_CIRCUIT_BREAKER_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"

namespace dns {

struct CircuitBreakerOptions {
  // Consecutive failures that open the circuit. 0 disables the breaker.
  int failure_threshold = 5;
  // How long the circuit stays open before one probe is let through.
  absl::Duration open_duration = absl::Seconds(30);
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };

  explicit CircuitBreaker(CircuitBreakerOptions options,
                          std::shared_ptr<Clock> clock = RealClock());

  // Asks to make one attempt. OK means go ahead, and the outcome must then be
  // reported with RecordSuccess() or RecordFailure(); in the half-open state
  // only one caller gets OK (the probe). Otherwise UNAVAILABLE whose message
  // says the circuit is open.
  absl::Status Allow();

  // A response that proves the server works (any HTTP answer that is not a
  // server error) counts as success; transport errors and 5xx as failure.
  // The last failure's `reason` is quoted while the circuit is open, so that
  // callers see why (e.g. "TLS certificate verification failed"), not only
  // that it is.
  void RecordSuccess();
  void RecordFailure(std::string reason = "");

  State state();
  int consecutive_failures();

 private:
  const CircuitBreakerOptions options_;
  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_);
  std::string last_failure_ ABSL_GUARDED_BY(mu_);
  // When the half-open probe was let through. A probe whose caller never
  // reports (it crashed, or was abandoned) must not wedge the breaker, so
  // after another open_duration a new probe is allowed.
  absl::Time probe_started_at_ ABSL_GUARDED_BY(mu_);
};

absl::string_view CircuitStateName(CircuitBreaker::State state);

}  // namespace dns

#endif  // DNS_CLIENT_CIRCUIT_BREAKER_H_
