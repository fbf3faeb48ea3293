#include "client/call_scheduler.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

// Tracks how many jobs overlap, overall and per key.
struct Overlap {
  std::mutex mu;
  int now = 0;
  int peak = 0;
  void Enter() {
    std::lock_guard<std::mutex> lock(mu);
    peak = std::max(peak, ++now);
  }
  void Leave() {
    std::lock_guard<std::mutex> lock(mu);
    --now;
  }
};

class CallSchedulerTest : public ::testing::Test {
 protected:
  std::future<absl::Status> Submit(CallScheduler& scheduler, std::string key,
                                   std::function<void()> work) {
    auto done = std::make_shared<std::promise<absl::Status>>();
    auto future = done->get_future();
    scheduler.Submit(std::move(key), [done, work](absl::Status admitted) {
      if (admitted.ok()) work();
      done->set_value(admitted);
    });
    return future;
  }

  Executor executor_{Executor::Options{.threads = 16, .max_queued = 1024}};
};

TEST_F(CallSchedulerTest, BoundsJobsInFlight) {
  CallScheduler scheduler(executor_, 3, 1000);
  Overlap overlap;
  std::vector<std::future<absl::Status>> jobs;
  for (int i = 0; i < 30; ++i) {
    jobs.push_back(Submit(scheduler, "", [&] {
      overlap.Enter();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      overlap.Leave();
    }));
  }
  for (auto& j : jobs) EXPECT_TRUE(j.get().ok());
  EXPECT_LE(overlap.peak, 3);
  EXPECT_GE(overlap.peak, 2);
  // Slots are released just after a job reports; give the last ones a moment.
  for (int i = 0; i < 1000 && scheduler.in_flight() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(scheduler.in_flight(), 0);
}

TEST_F(CallSchedulerTest, SameKeyRunsOneAtATimeInOrder) {
  CallScheduler scheduler(executor_, 8, 1000);
  Overlap overlap;
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::future<absl::Status>> jobs;
  for (int i = 0; i < 20; ++i) {
    jobs.push_back(Submit(scheduler, "zone.", [&, i] {
      overlap.Enter();
      {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(i);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      overlap.Leave();
    }));
  }
  for (auto& j : jobs) EXPECT_TRUE(j.get().ok());
  EXPECT_EQ(overlap.peak, 1);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST_F(CallSchedulerTest, BusyZoneDoesNotBlockOthers) {
  CallScheduler scheduler(executor_, 4, 1000);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto slow = Submit(scheduler, "slow.", [released] { released.wait(); });
  auto queued_behind = Submit(scheduler, "slow.", [] {});
  // Another zone passes the waiting job of "slow.".
  auto other = Submit(scheduler, "other.", [] {});
  EXPECT_EQ(other.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(queued_behind.wait_for(std::chrono::milliseconds(20)),
            std::future_status::timeout);
  release.set_value();
  EXPECT_TRUE(slow.get().ok());
  EXPECT_TRUE(queued_behind.get().ok());
}

TEST_F(CallSchedulerTest, FullQueueRefusesAtOnce) {
  CallScheduler scheduler(executor_, 1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto running = Submit(scheduler, "", [released] { released.wait(); });
  auto a = Submit(scheduler, "", [] {});
  auto b = Submit(scheduler, "", [] {});
  auto refused = Submit(scheduler, "", [] {});
  EXPECT_EQ(refused.get().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(scheduler.queued(), 2u);
  release.set_value();
  EXPECT_TRUE(running.get().ok());
  EXPECT_TRUE(a.get().ok());
  EXPECT_TRUE(b.get().ok());
}

// Overload answers halve the bound (down to 1); successes add 1/N each, so
// the way back up is gradual: the additive-increase, multiplicative-decrease
// rule of TCP congestion control.
TEST_F(CallSchedulerTest, OverloadHalvesTheLimitAndSuccessesRaiseItSlowly) {
  CallScheduler scheduler(executor_, 8, 1000);
  EXPECT_EQ(scheduler.limit(), 8);
  scheduler.Report(true);
  EXPECT_EQ(scheduler.limit(), 4);
  auto succeed_until = [&](int limit) {
    int n = 0;
    while (scheduler.limit() < limit && n < 10000) {
      scheduler.Report(false);
      ++n;
    }
    return n;
  };
  // 4 -> 6: 1/N per success, far from the 8 that overloaded.
  const int to_six = succeed_until(6);
  EXPECT_GE(to_six, 4 + 5);
  EXPECT_LE(to_six, 4 + 5 + 1);  // floating-point steps may need one more
  // 7 -> 8 is near it: ten times slower.
  EXPECT_GE(succeed_until(8), 60);
  for (int i = 0; i < 100; ++i) scheduler.Report(false);
  EXPECT_EQ(scheduler.limit(), 8) << "never above the configured bound";

  scheduler.Report(true);
  scheduler.Report(true);
  scheduler.Report(true);
  EXPECT_EQ(scheduler.limit(), 1);
  scheduler.Report(true);
  EXPECT_EQ(scheduler.limit(), 1) << "never below one call";
}

// A server that takes one call at a time (its bound overloaded at 2) is
// asked for two again only after about fifteen calls at one (1/N/10 each).
TEST_F(CallSchedulerTest, AServerThatTakesOneCallIsProbedRarely) {
  CallScheduler scheduler(executor_, 8, 1000);
  scheduler.Report(true);  // 8 -> 4
  scheduler.Report(true);  // 4 -> 2
  scheduler.Report(true);  // 2 -> 1, overloaded at 2
  ASSERT_EQ(scheduler.limit(), 1);
  int successes = 0;
  while (scheduler.limit() < 2 && successes < 1000) {
    scheduler.Report(false);
    ++successes;
  }
  EXPECT_GE(successes, 14);
  EXPECT_LE(successes, 16);
}

// A lowered limit is what admission uses: with the limit at 1, a second job
// waits behind a running one although 3 slots are configured.
TEST_F(CallSchedulerTest, AdmissionFollowsTheLoweredLimit) {
  CallScheduler scheduler(executor_, 3, 1000);
  scheduler.Report(true);
  scheduler.Report(true);
  ASSERT_EQ(scheduler.limit(), 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  auto first = Submit(scheduler, "", [&started, released] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  auto second = Submit(scheduler, "", [] {});
  EXPECT_EQ(scheduler.in_flight(), 1);
  EXPECT_EQ(scheduler.queued(), 1u);
  release.set_value();
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
}

TEST(CallSchedulerShutdownTest, JobsGetAnErrorOnceTheExecutorIsGone) {
  Executor executor(Executor::Options{.threads = 1, .max_queued = 16});
  CallScheduler scheduler(executor, 1, 16);
  executor.Shutdown();
  auto done = std::make_shared<std::promise<absl::Status>>();
  scheduler.Submit("", [done](absl::Status admitted) { done->set_value(admitted); });
  absl::Status status = done->get_future().get();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(scheduler.in_flight(), 0);
}

}  // namespace
}  // namespace dns
