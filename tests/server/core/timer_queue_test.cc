#include "server/core/timer_queue.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"

namespace dns {
namespace {

using ::testing::ElementsAre;

TEST(TimerQueueTest, FiresWhatIsDueInTimeOrder) {
  auto clock = std::make_shared<FakeClock>();
  TimerQueue timers(clock);
  std::vector<int> fired;
  const absl::Time t0 = clock->Now();
  timers.Schedule(t0 + absl::Seconds(2), [&] { fired.push_back(2); });
  timers.Schedule(t0 + absl::Seconds(1), [&] { fired.push_back(1); });
  timers.Schedule(t0 + absl::Seconds(3), [&] { fired.push_back(3); });
  EXPECT_EQ(timers.RunDue(), 0);
  clock->Advance(absl::Seconds(2));
  EXPECT_EQ(timers.RunDue(), 2);
  EXPECT_THAT(fired, ElementsAre(1, 2));
  EXPECT_EQ(timers.pending(), 1u);
}

TEST(TimerQueueTest, CancelledTimersNeverFire) {
  auto clock = std::make_shared<FakeClock>();
  TimerQueue timers(clock);
  int fired = 0;
  TimerQueue::Id id = timers.Schedule(clock->Now() + absl::Seconds(1), [&] { ++fired; });
  EXPECT_TRUE(timers.Cancel(id));
  EXPECT_FALSE(timers.Cancel(id));
  clock->Advance(absl::Seconds(5));
  EXPECT_EQ(timers.RunDue(), 0);
  EXPECT_EQ(fired, 0);
}

TEST(TimerQueueTest, ACallbackMayScheduleAnother) {
  auto clock = std::make_shared<FakeClock>();
  TimerQueue timers(clock);
  int fired = 0;
  timers.Schedule(clock->Now(), [&] {
    ++fired;
    timers.Schedule(clock->Now() + absl::Seconds(1), [&] { ++fired; });
  });
  timers.RunDue();
  clock->Advance(absl::Seconds(1));
  timers.RunDue();
  EXPECT_EQ(fired, 2);
}

}  // namespace
}  // namespace dns
