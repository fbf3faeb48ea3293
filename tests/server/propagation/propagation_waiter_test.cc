// Waits that follow events instead of a thread: driven by the hub and a
// fake clock, no sleeps.
#include "server/propagation/propagation_waiter.h"

#include <optional>

#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"

namespace dns {
namespace {

ServerPropagation State(const std::string& server, PropagationState state, uint32_t applied,
                        absl::Time at, int attempts = 0) {
  ServerPropagation p;
  p.server = server;
  p.state = state;
  p.applied_serial = applied;
  p.desired_serial = 10;
  p.update_time = at;
  p.attempts = attempts;
  return p;
}

Event ProgressEvent(const ServerPropagation& p) {
  Event e;
  e.type = EventType::kPropagationProgress;
  e.zone = "a.test.";
  e.server = p.server;
  e.progress = p;
  return e;
}

class WaiterTest : public ::testing::Test {
 protected:
  void Wait(std::vector<ServerPropagation> initial, absl::Duration timeout) {
    start_ = clock_->Now();
    WaitForPropagation(
        hub_, timers_, WaitRequest{"a.test.", 10, false, start_, start_ + timeout},
        [this, initial] {
          ++reads_;
          if (publish_during_read_) hub_.Publish(ProgressEvent(*publish_during_read_));
          return absl::StatusOr<std::vector<ServerPropagation>>(initial);
        },
        [this](std::vector<ServerPropagation> states) {
          ++answers_;
          answer_ = std::move(states);
        });
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  EventHub hub_;
  TimerQueue timers_{clock_};
  absl::Time start_;
  int reads_ = 0;
  int answers_ = 0;
  std::vector<ServerPropagation> answer_;
  std::optional<ServerPropagation> publish_during_read_;
};

TEST_F(WaiterTest, AnswersWhenEveryServerHasTheSerial) {
  const absl::Time t = clock_->Now();
  Wait({State("ns1", PropagationState::kPending, 9, t), State("ns2", PropagationState::kPending, 9, t)},
       absl::Seconds(10));
  EXPECT_EQ(answers_, 0);
  hub_.Publish(ProgressEvent(State("ns1", PropagationState::kInSync, 10, t + absl::Milliseconds(1))));
  EXPECT_EQ(answers_, 0);
  hub_.Publish(ProgressEvent(State("ns2", PropagationState::kInSync, 10, t + absl::Milliseconds(2))));
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(answer_.size(), 2u);
  EXPECT_EQ(reads_, 1);  // one read, then events only
  EXPECT_EQ(hub_.subscribers(), 0);
  EXPECT_EQ(timers_.pending(), 0u);
  // Later events change nothing.
  hub_.Publish(ProgressEvent(State("ns1", PropagationState::kPending, 10, t + absl::Seconds(1))));
  EXPECT_EQ(answers_, 1);
}

// A zone written without pause is always pending its newest write; each
// write is done once the server serves its serial, and says so.
TEST_F(WaiterTest, AServerServingTheWriteIsInSyncForItWhileANewerOneIsPending) {
  const absl::Time t = clock_->Now();
  Wait({State("ns1", PropagationState::kPending, 9, t), State("ns2", PropagationState::kPending, 9, t)},
       absl::Seconds(10));
  ServerPropagation newer = State("ns1", PropagationState::kPending, 11, t + absl::Milliseconds(1));
  newer.desired_serial = 12;
  hub_.Publish(ProgressEvent(newer));
  EXPECT_EQ(answers_, 0);
  // Still short of the write's serial, newer work pending or not.
  hub_.Publish(ProgressEvent(State("ns2", PropagationState::kError, 9, t + absl::Milliseconds(2), 1)));
  EXPECT_EQ(answers_, 0);
  hub_.Publish(ProgressEvent(State("ns2", PropagationState::kPending, 10, t + absl::Milliseconds(3))));
  ASSERT_EQ(answers_, 1);
  ASSERT_EQ(answer_.size(), 2u);
  for (const ServerPropagation& p : answer_) {
    EXPECT_EQ(p.state, PropagationState::kInSync) << p.server;
  }
  EXPECT_EQ(answer_[0].applied_serial, 11u);
  EXPECT_EQ(answer_[1].applied_serial, 10u);
}

TEST_F(WaiterTest, AnEventDuringTheInitialReadIsNotLost) {
  const absl::Time t = clock_->Now();
  publish_during_read_ = State("ns1", PropagationState::kInSync, 10, t + absl::Milliseconds(5));
  // The read returns the older state; the newer event wins.
  Wait({State("ns1", PropagationState::kPending, 9, t)}, absl::Seconds(10));
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(answer_[0].state, PropagationState::kInSync);
}

TEST_F(WaiterTest, AnswersAtTheDeadlineWithTheStatesThen) {
  const absl::Time t = clock_->Now();
  Wait({State("ns1", PropagationState::kPending, 9, t)}, absl::Seconds(3));
  clock_->Advance(absl::Seconds(2));
  timers_.RunDue();
  EXPECT_EQ(answers_, 0);
  clock_->Advance(absl::Seconds(1));
  timers_.RunDue();
  ASSERT_EQ(answers_, 1);
  EXPECT_EQ(answer_[0].state, PropagationState::kPending);
  EXPECT_EQ(hub_.subscribers(), 0);
}

TEST_F(WaiterTest, TwoFailuresSinceTheWriteEndTheWaitOneDoesNot) {
  const absl::Time t = clock_->Now();
  Wait({State("ns1", PropagationState::kPending, 9, t)}, absl::Seconds(10));
  hub_.Publish(ProgressEvent(State("ns1", PropagationState::kError, 9, t + absl::Milliseconds(1), 1)));
  EXPECT_EQ(answers_, 0);  // a passing fault is waited out
  hub_.Publish(ProgressEvent(State("ns1", PropagationState::kError, 9, t + absl::Milliseconds(2), 2)));
  EXPECT_EQ(answers_, 1);
}

TEST_F(WaiterTest, MaintenanceIsNotWaitedForAndShutdownAnswersAtOnce) {
  const absl::Time t = clock_->Now();
  Wait({State("ns1", PropagationState::kSkipped, 1, t)}, absl::Seconds(10));
  EXPECT_EQ(answers_, 1);

  Wait({State("ns1", PropagationState::kPending, 9, t)}, absl::Seconds(10));
  Event shutdown;
  shutdown.type = EventType::kShutdown;
  hub_.Publish(shutdown);
  EXPECT_EQ(answers_, 2);
}

TEST_F(WaiterTest, EventsOfOtherZonesDoNotCount) {
  const absl::Time t = clock_->Now();
  Wait({State("ns1", PropagationState::kPending, 9, t)}, absl::Seconds(10));
  Event other = ProgressEvent(State("ns1", PropagationState::kInSync, 10, t + absl::Seconds(1)));
  other.zone = "b.test.";
  hub_.Publish(other);
  EXPECT_EQ(answers_, 0);
}

}  // namespace
}  // namespace dns
