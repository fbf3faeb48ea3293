#include "client/circuit_breaker.h"

#include <memory>

#include "tests/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::HasSubstr;
using State = CircuitBreaker::State;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  CircuitBreaker breaker_{CircuitBreakerOptions{}, clock_};

  void Fail(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker_.Allow().ok());
      breaker_.RecordFailure();
    }
  }
};

TEST_F(CircuitBreakerTest, OpensAfterFiveConsecutiveFailures) {
  Fail(4);
  EXPECT_EQ(breaker_.state(), State::kClosed);
  Fail(1);
  EXPECT_EQ(breaker_.state(), State::kOpen);
  absl::Status status = breaker_.Allow();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("circuit breaker is open"));
}

TEST_F(CircuitBreakerTest, OpenCircuitSaysWhyTheLastCallFailed) {
  Fail(4);
  ASSERT_TRUE(breaker_.Allow().ok());
  breaker_.RecordFailure("TLS certificate verification failed");
  absl::Status status = breaker_.Allow();
  EXPECT_THAT(status.message(),
              HasSubstr("after 5 consecutive failures (last: TLS certificate verification "
                        "failed); next probe in 30s"));
}

TEST_F(CircuitBreakerTest, SuccessResetsTheCount) {
  Fail(4);
  ASSERT_TRUE(breaker_.Allow().ok());
  breaker_.RecordSuccess();
  Fail(4);
  EXPECT_EQ(breaker_.state(), State::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenLetsExactlyOneProbeThrough) {
  Fail(5);
  clock_->Advance(absl::Seconds(29));
  EXPECT_FALSE(breaker_.Allow().ok());
  clock_->Advance(absl::Seconds(1));
  EXPECT_TRUE(breaker_.Allow().ok());  // the probe
  EXPECT_EQ(breaker_.state(), State::kHalfOpen);
  absl::Status second = breaker_.Allow();
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.message(), HasSubstr("half-open"));
  breaker_.RecordSuccess();
  EXPECT_EQ(breaker_.state(), State::kClosed);
  EXPECT_TRUE(breaker_.Allow().ok());
  EXPECT_TRUE(breaker_.Allow().ok());
}

TEST_F(CircuitBreakerTest, FailedProbeReopens) {
  Fail(5);
  clock_->Advance(absl::Seconds(30));
  ASSERT_TRUE(breaker_.Allow().ok());
  breaker_.RecordFailure();
  EXPECT_EQ(breaker_.state(), State::kOpen);
  EXPECT_FALSE(breaker_.Allow().ok());
  clock_->Advance(absl::Seconds(30));
  EXPECT_TRUE(breaker_.Allow().ok());
}

TEST_F(CircuitBreakerTest, AbandonedProbeDoesNotWedgeTheBreaker) {
  Fail(5);
  clock_->Advance(absl::Seconds(30));
  ASSERT_TRUE(breaker_.Allow().ok());  // never reported
  EXPECT_FALSE(breaker_.Allow().ok());
  clock_->Advance(absl::Seconds(30));
  EXPECT_TRUE(breaker_.Allow().ok());
}

TEST(CircuitBreakerOptionsTest, ThresholdAndDurationAreConfigurable) {
  auto clock = std::make_shared<FakeClock>();
  CircuitBreaker breaker(
      CircuitBreakerOptions{.failure_threshold = 2,
                            .open_duration = absl::Seconds(5)},
      clock);
  breaker.RecordFailure();
  EXPECT_TRUE(breaker.Allow().ok());
  breaker.RecordFailure();
  EXPECT_FALSE(breaker.Allow().ok());
  clock->Advance(absl::Seconds(5));
  EXPECT_TRUE(breaker.Allow().ok());
}

TEST(CircuitBreakerOptionsTest, ZeroThresholdDisables) {
  CircuitBreakerOptions options;
  options.failure_threshold = 0;
  CircuitBreaker breaker(options);
  for (int i = 0; i < 100; ++i) breaker.RecordFailure();
  EXPECT_TRUE(breaker.Allow().ok());
}

}  // namespace
}  // namespace dns
