#include "server/core/timer_queue.h"

#include <vector>

namespace dns {

TimerQueue::TimerQueue(std::shared_ptr<Clock> clock) : clock_(std::move(clock)) {
  if (clock_ == RealClock()) thread_ = std::thread([this] { Loop(); });
}

TimerQueue::~TimerQueue() { Stop(); }

void TimerQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    timers_.clear();
    when_.clear();
  }
  if (thread_.joinable()) thread_.join();
}

TimerQueue::Id TimerQueue::Schedule(absl::Time when, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  const Id id = next_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(fn));
  when_.emplace(id, when);
  changed_ = true;
  return id;
}

bool TimerQueue::Cancel(Id id) {
  absl::MutexLock lock(&mu_);
  auto it = when_.find(id);
  if (it == when_.end()) return false;
  timers_.erase(std::make_pair(it->second, id));
  when_.erase(it);
  return true;
}

int TimerQueue::RunDue() {
  std::vector<std::function<void()>> due;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      when_.erase(timers_.begin()->first.second);
      due.push_back(std::move(timers_.begin()->second));
      timers_.erase(timers_.begin());
    }
  }
  for (auto& fn : due) fn();
  return static_cast<int>(due.size());
}

size_t TimerQueue::pending() {
  absl::MutexLock lock(&mu_);
  return timers_.size();
}

void TimerQueue::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      changed_ = false;
      const absl::Time next =
          timers_.empty() ? absl::Now() + absl::Seconds(1) : timers_.begin()->first.first;
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return changed_ || stopping_; };
      mu_.AwaitWithDeadline(absl::Condition(&woken), next);
      if (stopping_) return;
    }
    RunDue();
  }
}

}  // namespace dns
