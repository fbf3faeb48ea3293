#include "server/core/job_runner.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"

namespace dns {
namespace {

using ::testing::HasSubstr;

// A lock the test hands out and takes away.
class FakeLock : public LeaderLock {
 public:
  explicit FakeLock(bool* held) : held_(held) {}
  absl::StatusOr<bool> TryHold() override {
    ++tries;
    return *held_;
  }
  void Release() override { ++releases; }
  int tries = 0;
  int releases = 0;

 private:
  bool* held_;
};

class JobRunnerTest : public ::testing::Test {
 protected:
  JobRunnerTest() {
    auto lock = std::make_unique<FakeLock>(&held_);
    lock_ = lock.get();
    runner_ = std::make_unique<JobRunner>(std::move(lock), &metrics_, &hub_, clock_);
    runner_->Add(Job{"prune", absl::Minutes(1), [this] {
                       ++prunes_;
                       return absl::OkStatus();
                     }});
    runner_->Add(Job{"broken", absl::Minutes(1), [] { return absl::InternalError("no"); }});
  }

  bool held_ = false;
  FakeLock* lock_ = nullptr;
  int prunes_ = 0;
  Metrics metrics_;
  EventHub hub_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  std::unique_ptr<JobRunner> runner_;
};

TEST_F(JobRunnerTest, OnlyTheLeaderRunsJobsOnTheirInterval) {
  runner_->RunOnce();
  EXPECT_FALSE(runner_->leader());
  EXPECT_EQ(prunes_, 0);

  held_ = true;
  runner_->RunOnce();  // a new leader runs everything at once
  EXPECT_TRUE(runner_->leader());
  EXPECT_EQ(prunes_, 1);
  clock_->Advance(absl::Seconds(30));
  runner_->RunOnce();
  EXPECT_EQ(prunes_, 1);
  clock_->Advance(absl::Seconds(31));
  runner_->RunOnce();
  EXPECT_EQ(prunes_, 2);

  // Lost (the connection broke), then back: what is due runs at once.
  held_ = false;
  runner_->RunOnce();
  EXPECT_FALSE(runner_->leader());
  held_ = true;
  clock_->Advance(absl::Seconds(5));
  runner_->RunOnce();
  EXPECT_EQ(prunes_, 3);
}

TEST_F(JobRunnerTest, RunsAreCountedAndPublished) {
  int ran = 0;
  auto sub = hub_.Subscribe("", [&](const Event& e) {
    if (e.type == EventType::kJobRan) ++ran;
  });
  held_ = true;
  runner_->RunOnce();
  EXPECT_EQ(ran, 2);
  const std::string text = metrics_.Render();
  EXPECT_THAT(text, HasSubstr(R"(dnsd_job_runs_total{job="prune",outcome="ok"} 1)"));
  EXPECT_THAT(text, HasSubstr(R"(dnsd_job_runs_total{job="broken",outcome="error"} 1)"));
  EXPECT_THAT(text, HasSubstr("dnsd_leader 1"));
  EXPECT_THAT(text, HasSubstr(R"(dnsd_job_last_success_timestamp_seconds{job="prune"})"));
}

TEST_F(JobRunnerTest, StopLetsTheLockGo) {
  held_ = true;
  runner_->RunOnce();
  runner_->Stop();
  EXPECT_EQ(lock_->releases, 1);
  EXPECT_FALSE(runner_->leader());
}

}  // namespace
}  // namespace dns
