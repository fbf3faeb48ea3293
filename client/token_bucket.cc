#include "client/token_bucket.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace dns {

TokenBucket::TokenBucket(double rate_per_second, double burst,
                         std::shared_ptr<Clock> clock)
    : rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      clock_(clock ? std::move(clock) : RealClock()),
      tokens_(burst_),
      last_(clock_->Now()) {}

void TokenBucket::RefillLocked(absl::Time now) {
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
}

absl::Duration TokenBucket::TryTake() {
  if (unlimited()) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  RefillLocked(clock_->Now());
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return absl::ZeroDuration();
  }
  return absl::Seconds((1.0 - tokens_) / rate_);
}

absl::StatusOr<absl::Duration> TokenBucket::Reserve(absl::Time deadline) {
  if (unlimited()) return absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  RefillLocked(now);
  const double after = tokens_ - 1.0;
  const absl::Duration wait =
      after >= 0 ? absl::ZeroDuration() : absl::Seconds(-after / rate_);
  if (now + wait > deadline) {
    return absl::DeadlineExceededError(absl::StrCat(
        "rate limit: next slot in ", absl::FormatDuration(wait),
        " is past the deadline"));
  }
  tokens_ = after;
  return wait;
}

absl::Status TokenBucket::Acquire(absl::Time deadline) {
  absl::StatusOr<absl::Duration> wait = Reserve(deadline);
  if (!wait.ok()) return wait.status();
  clock_->SleepFor(*wait);
  return absl::OkStatus();
}

}  // namespace dns
