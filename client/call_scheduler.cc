#include "client/call_scheduler.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace dns {

CallScheduler::CallScheduler(Executor& executor, int max_in_flight,
                             size_t max_queued)
    : executor_(executor),
      max_in_flight_(std::max(1, max_in_flight)),
      max_queued_(max_queued) {}

void CallScheduler::Submit(std::string zone_key, Job job) {
  bool full;
  {
    absl::MutexLock lock(&mu_);
    full = pending_.size() >= max_queued_;
    if (!full) pending_.push_back(Pending{std::move(zone_key), std::move(job)});
  }
  if (full) {
    std::move(job)(absl::ResourceExhaustedError(absl::StrCat(
        "too many calls queued (", max_queued_, ") for this server")));
    return;
  }
  Pump();
}

void CallScheduler::Pump() {
  // Loops because a job the executor refused frees its slot again.
  for (;;) {
    std::vector<Pending> start;
    {
      absl::MutexLock lock(&mu_);
      for (auto it = pending_.begin();
           it != pending_.end() && in_flight_ < max_in_flight_;) {
        if (!it->zone_key.empty() && busy_zones_.contains(it->zone_key)) {
          ++it;  // Later jobs of this zone stay behind it: order is kept.
          continue;
        }
        if (!it->zone_key.empty()) busy_zones_.insert(it->zone_key);
        ++in_flight_;
        start.push_back(std::move(*it));
        it = pending_.erase(it);
      }
    }
    if (start.empty()) return;

    bool refused = false;
    for (Pending& p : start) {
      // Shared so that the job survives if the executor refuses the task.
      auto job = std::make_shared<Job>(std::move(p.job));
      absl::Status scheduled =
          executor_.Schedule([this, key = p.zone_key, job]() {
            std::move (*job)(absl::OkStatus());
            // The job owns whatever keeps this scheduler alive (its client),
            // so destroy it only after the slot is handed on.
            Release(key);
            Pump();
          });
      if (!scheduled.ok()) {
        refused = true;
        Release(p.zone_key);
        std::move (*job)(absl::UnavailableError(
            absl::StrCat("cannot start call: ", scheduled.message())));
      }
    }
    if (!refused) return;
  }
}

void CallScheduler::Release(const std::string& zone_key) {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  if (!zone_key.empty()) busy_zones_.erase(zone_key);
}

int CallScheduler::in_flight() {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

size_t CallScheduler::queued() {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

}  // namespace dns
