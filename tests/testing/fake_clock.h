// Manually driven clock for unit tests of anything that takes a dns::Clock.
#ifndef DNS_TESTS_TESTING_FAKE_CLOCK_H_
#define DNS_TESTS_TESTING_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"

namespace dns {

class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary fixed instant so that tests are reproducible.
  FakeClock();
  explicit FakeClock(absl::Time start);

  absl::Time Now() override;
  // Does not block: time jumps forward by `d`, as if the sleep had happened.
  // The total is kept so tests can check how long code chose to wait.
  void SleepFor(absl::Duration d) override;

  void Advance(absl::Duration d);
  void SetTime(absl::Time t);
  absl::Duration total_slept();

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration slept_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

}  // namespace dns

#endif  // DNS_TESTS_TESTING_FAKE_CLOCK_H_
