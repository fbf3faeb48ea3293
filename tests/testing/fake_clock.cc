#include "tests/testing/fake_clock.h"

namespace dns {

FakeClock::FakeClock() : FakeClock(absl::FromUnixSeconds(1700000000)) {}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

absl::Time FakeClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::SleepFor(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  absl::MutexLock lock(&mu_);
  now_ += d;
  slept_ += d;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
}

void FakeClock::SetTime(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
}

absl::Duration FakeClock::total_slept() {
  absl::MutexLock lock(&mu_);
  return slept_;
}

}  // namespace dns
