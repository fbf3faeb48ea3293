#include "client/circuit_breaker.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dns {

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options,
                               std::shared_ptr<Clock> clock)
    : options_(options), clock_(clock ? std::move(clock) : RealClock()) {}

absl::Status CircuitBreaker::Allow() {
  if (options_.failure_threshold <= 0) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  switch (state_) {
    case State::kClosed:
      return absl::OkStatus();
    case State::kOpen:
      if (now - opened_at_ >= options_.open_duration) {
        state_ = State::kHalfOpen;
        probe_started_at_ = now;
        return absl::OkStatus();
      }
      return absl::UnavailableError(absl::StrCat(
          "circuit breaker is open after ", consecutive_failures_, " consecutive failures",
          last_failure_.empty() ? "" : absl::StrCat(" (last: ", last_failure_, ")"),
          "; next probe in ",
          absl::FormatDuration(
              absl::Ceil(options_.open_duration - (now - opened_at_),
                         absl::Seconds(1)))));
    case State::kHalfOpen:
      if (now - probe_started_at_ >= options_.open_duration) {
        probe_started_at_ = now;
        return absl::OkStatus();
      }
      return absl::UnavailableError(
          "circuit breaker is open (half-open: a probe call is in flight)");
  }
  return absl::OkStatus();
}

void CircuitBreaker::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  consecutive_failures_ = 0;
  state_ = State::kClosed;
}

void CircuitBreaker::RecordFailure(std::string reason) {
  if (options_.failure_threshold <= 0) return;
  absl::MutexLock lock(&mu_);
  ++consecutive_failures_;
  last_failure_ = std::move(reason);
  // A failed probe re-opens at once; in the closed state only a run of
  // failures does, so one lost connection does not take a server out.
  if (state_ == State::kHalfOpen ||
      consecutive_failures_ >= options_.failure_threshold) {
    state_ = State::kOpen;
    opened_at_ = clock_->Now();
  }
}

CircuitBreaker::State CircuitBreaker::state() {
  absl::MutexLock lock(&mu_);
  return state_;
}

int CircuitBreaker::consecutive_failures() {
  absl::MutexLock lock(&mu_);
  return consecutive_failures_;
}

absl::string_view CircuitStateName(CircuitBreaker::State state) {
  switch (state) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half-open";
  }
  return "unknown";
}

}  // namespace dns
