#include "server/core/job_runner.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace dns {

JobRunner::JobRunner(std::unique_ptr<LeaderLock> lock, Metrics* metrics, EventHub* hub,
                     std::shared_ptr<Clock> clock, absl::Duration check_every)
    : lock_(std::move(lock)),
      metrics_(metrics),
      hub_(hub),
      clock_(std::move(clock)),
      check_every_(check_every) {}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Add(Job job) {
  absl::MutexLock lock(&mu_);
  jobs_.push_back(Entry{std::move(job)});
}

bool JobRunner::leader() {
  absl::MutexLock lock(&mu_);
  return leader_;
}

void JobRunner::RunOnce() {
  absl::StatusOr<bool> held = lock_->TryHold();
  const bool now_leader = held.ok() && *held;
  bool was_leader;
  {
    absl::MutexLock lock(&mu_);
    was_leader = leader_;
    leader_ = now_leader;
    if (now_leader && !was_leader) {
      // A new leader runs everything at once: the old one may have died
      // just before its next run.
      for (Entry& e : jobs_) e.next = absl::InfinitePast();
    }
  }
  if (now_leader != was_leader) {
    Log(spdlog::level::info, now_leader ? "this replica leads the periodic jobs"
                                        : "this replica no longer leads the periodic jobs",
        {{"error", held.ok() ? std::string() : std::string(held.status().message())}});
  }
  if (metrics_ != nullptr) metrics_->SetLeader(now_leader);
  if (!now_leader) return;

  std::vector<Job> due;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    for (Entry& e : jobs_) {
      if (now < e.next) continue;
      e.next = now + e.job.interval;
      due.push_back(e.job);
    }
  }
  for (const Job& job : due) {
    const absl::Time start = clock_->Now();
    absl::Status status;
    try {
      status = job.run();
    } catch (const std::exception& e) {
      status = absl::InternalError(absl::StrCat("exception: ", e.what()));
    }
    const absl::Duration took = clock_->Now() - start;
    Log(!status.ok()  ? spdlog::level::warn
        : job.quiet   ? spdlog::level::debug
                      : spdlog::level::info,
        "job ran",
        {{"job", job.name},
         {"outcome", status.ok() ? "ok" : "error"},
         {"duration_ms", absl::StrCat(absl::ToInt64Milliseconds(took))},
         {"error", std::string(status.message())}});
    if (metrics_ != nullptr) metrics_->JobRan(job.name, status.ok(), took);
    if (hub_ != nullptr) {
      Event event;
      event.type = EventType::kJobRan;
      event.job = job.name;
      event.ok = status.ok();
      hub_->Publish(event);
    }
  }
}

void JobRunner::Start() {
  thread_ = std::thread([this] {
    while (true) {
      RunOnce();
      absl::MutexLock lock(&mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop), check_every_);
      if (stopping_) return;
    }
  });
}

void JobRunner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  lock_->Release();
  absl::MutexLock lock(&mu_);
  leader_ = false;
}

}  // namespace dns
