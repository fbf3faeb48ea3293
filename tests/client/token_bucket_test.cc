#include "client/token_bucket.h"

#include <memory>

#include "tests/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

TEST(TokenBucketTest, UnlimitedNeverWaits) {
  auto clock = std::make_shared<FakeClock>();
  TokenBucket bucket(0, 1, clock);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(bucket.Acquire().ok());
  EXPECT_EQ(clock->total_slept(), absl::ZeroDuration());
}

TEST(TokenBucketTest, BurstThenSteadyRate) {
  auto clock = std::make_shared<FakeClock>();
  TokenBucket bucket(10, 3, clock);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*bucket.Reserve(), absl::ZeroDuration());
  // Queued reservations: 0.1 s, 0.2 s, 0.3 s from now.
  EXPECT_EQ(*bucket.Reserve(), absl::Milliseconds(100));
  EXPECT_EQ(*bucket.Reserve(), absl::Milliseconds(200));
  EXPECT_EQ(*bucket.Reserve(), absl::Milliseconds(300));
}

// A caller that refuses instead of waiting: takes only what is there, and
// hears how long until the next token.
TEST(TokenBucketTest, TryTakeTakesOnlyWhatIsThere) {
  auto clock = std::make_shared<FakeClock>();
  TokenBucket bucket(4, 2, clock);
  EXPECT_EQ(bucket.TryTake(), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(), absl::ZeroDuration());
  EXPECT_EQ(bucket.TryTake(), absl::Milliseconds(250));
  EXPECT_EQ(bucket.TryTake(), absl::Milliseconds(250));  // nothing was taken
  clock->Advance(absl::Milliseconds(100));
  EXPECT_EQ(bucket.TryTake(), absl::Milliseconds(150));
  clock->Advance(absl::Milliseconds(150));
  EXPECT_EQ(bucket.TryTake(), absl::ZeroDuration());
}

TEST(TokenBucketTest, AcquireSleepsOnTheClock) {
  auto clock = std::make_shared<FakeClock>();
  TokenBucket bucket(5, 1, clock);
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(bucket.Acquire().ok());
  // 1 free, then 10 at 200 ms each.
  EXPECT_EQ(clock->total_slept(), absl::Seconds(2));
}

TEST(TokenBucketTest, RefillsWhileIdleUpToBurst) {
  auto clock = std::make_shared<FakeClock>();
  TokenBucket bucket(1, 2, clock);
  EXPECT_EQ(*bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(*bucket.Reserve(), absl::ZeroDuration());
  clock->Advance(absl::Seconds(60));  // refills 2, not 60
  EXPECT_EQ(*bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(*bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(*bucket.Reserve(), absl::Seconds(1));
}

TEST(TokenBucketTest, WaitPastTheDeadlineTakesNothing) {
  auto clock = std::make_shared<FakeClock>();
  TokenBucket bucket(1, 1, clock);
  ASSERT_EQ(*bucket.Reserve(), absl::ZeroDuration());
  EXPECT_EQ(bucket.Reserve(clock->Now() + absl::Milliseconds(500)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // Nothing was taken by the refused reservation.
  EXPECT_EQ(*bucket.Reserve(), absl::Seconds(1));
}

}  // namespace
}  // namespace dns
