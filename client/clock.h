// Time source for the client pool. Circuit breakers, rate limiters and retry
// backoff read time and sleep through this interface so tests can drive them
// without waiting.
#ifndef DNS_CLIENT_CLOCK_H_
#define DNS_CLIENT_CLOCK_H_

#include <memory>

#include "absl/time/time.h"

namespace dns {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() = 0;
  // Blocks the calling thread; a fake advances its time instead.
  virtual void SleepFor(absl::Duration d) = 0;
};

// The process-wide real clock. Never null; safe to share.
std::shared_ptr<Clock> RealClock();

}  // namespace dns

#endif  // DNS_CLIENT_CLOCK_H_
