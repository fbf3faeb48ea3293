#include "client/executor.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

TEST(ExecutorTest, RunsEveryTask) {
  std::atomic<int> ran{0};
  {
    Executor executor(Executor::Options{.threads = 4, .max_queued = 1000});
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(executor.Schedule([&] { ++ran; }).ok());
    }
  }  // the destructor drains the queue
  EXPECT_EQ(ran.load(), 500);
}

TEST(ExecutorTest, RunsTasksInParallel) {
  Executor executor(Executor::Options{.threads = 4, .max_queued = 16});
  std::atomic<int> arrived{0};
  absl::Notification all_in;
  std::vector<std::future<void>> done;
  for (int i = 0; i < 4; ++i) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    ASSERT_TRUE(executor
                    .Schedule([&, p] {
                      if (++arrived == 4) all_in.Notify();
                      // Only finishes if all four run at the same time.
                      all_in.WaitForNotificationWithTimeout(absl::Seconds(5));
                      p->set_value();
                    })
                    .ok());
  }
  for (auto& f : done) f.get();
  EXPECT_TRUE(all_in.HasBeenNotified());
}

TEST(ExecutorTest, FullQueueIsResourceExhausted) {
  Executor executor(Executor::Options{.threads = 1, .max_queued = 2});
  absl::Notification release;
  absl::Notification started;
  ASSERT_TRUE(executor
                  .Schedule([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  EXPECT_TRUE(executor.Schedule([] {}).ok());
  EXPECT_TRUE(executor.Schedule([] {}).ok());
  EXPECT_EQ(executor.Schedule([] {}).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(executor.queued(), 2u);
  release.Notify();
}

TEST(ExecutorTest, ScheduleBlockingWaitsForRoom) {
  Executor executor(Executor::Options{.threads = 1, .max_queued = 1});
  absl::Notification release;
  absl::Notification started;
  std::atomic<int> ran{0};
  ASSERT_TRUE(executor
                  .Schedule([&] {
                    started.Notify();
                    release.WaitForNotification();
                  })
                  .ok());
  started.WaitForNotification();
  ASSERT_TRUE(executor.Schedule([&] { ++ran; }).ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    release.Notify();
  });
  EXPECT_TRUE(executor.ScheduleBlocking([&] { ++ran; }).ok());
  releaser.join();
  executor.Shutdown();
  EXPECT_EQ(ran.load(), 2);
}

TEST(ExecutorTest, RefusesWorkAfterShutdown) {
  Executor executor(Executor::Options{.threads = 2, .max_queued = 4});
  executor.Shutdown();
  EXPECT_EQ(executor.Schedule([] {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(executor.ScheduleBlocking([] {}).code(),
            absl::StatusCode::kFailedPrecondition);
  executor.Shutdown();  // idempotent
}

TEST(ExecutorTest, KnowsItsOwnThreads) {
  Executor executor(Executor::Options{.threads = 1, .max_queued = 4});
  EXPECT_FALSE(executor.InWorkerThread());
  std::promise<bool> inside;
  ASSERT_TRUE(executor
                  .Schedule([&] { inside.set_value(executor.InWorkerThread()); })
                  .ok());
  EXPECT_TRUE(inside.get_future().get());
}

}  // namespace
}  // namespace dns
