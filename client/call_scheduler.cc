#include "client/call_scheduler.h"

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace dns {

class CallScheduler::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(Executor& executor, int max_in_flight, size_t max_queued)
      : executor_(executor),
        max_in_flight_(std::max(1, max_in_flight)),
        max_queued_(max_queued),
        limit_(max_in_flight_) {}

  void Report(bool overloaded) {
    {
      absl::MutexLock lock(&mu_);
      if (overloaded) {
        ceiling_ = limit_;
        limit_ = std::max(1.0, limit_ / 2);
      } else {
        // Near the bound that last overloaded the server, ten times slower:
        // a server that takes one write at a time (gsqlite3) is asked for
        // two once in about fifteen calls, not every other call.
        double step = 1.0 / limit_;
        if (limit_ + 1 >= ceiling_) step /= 10;
        limit_ = std::min<double>(max_in_flight_, limit_ + step);
        if (limit_ >= ceiling_ + 1) ceiling_ = max_in_flight_ + 1;  // it copes again
      }
    }
    if (!overloaded) Pump();
  }

  int limit() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(limit_);
  }

  void Submit(std::string zone_key, Job job) {
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

  int in_flight() {
    absl::MutexLock lock(&mu_);
    return in_flight_;
  }

  size_t queued() {
    absl::MutexLock lock(&mu_);
    return pending_.size();
  }

 private:
  struct Pending {
    std::string zone_key;
    Job job;
  };

  void Pump() {
    // Loops because a job the executor refused frees its slot again.
    for (;;) {
      std::vector<Pending> start;
      {
        absl::MutexLock lock(&mu_);
        for (auto it = pending_.begin();
             it != pending_.end() && in_flight_ < static_cast<int>(limit_);) {
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
        absl::Status scheduled = executor_.Schedule(
            [core = shared_from_this(), key = p.zone_key, job]() {
              std::move (*job)(absl::OkStatus());
              core->Release(key);
              core->Pump();
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

  void Release(const std::string& zone_key) {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    if (!zone_key.empty()) busy_zones_.erase(zone_key);
  }

  Executor& executor_;
  const int max_in_flight_;
  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  double limit_ ABSL_GUARDED_BY(mu_);
  // The bound at the last overload (above the maximum: none seen lately).
  double ceiling_ ABSL_GUARDED_BY(mu_) = max_in_flight_ + 1;
  absl::flat_hash_set<std::string> busy_zones_ ABSL_GUARDED_BY(mu_);
};

CallScheduler::CallScheduler(Executor& executor, int max_in_flight,
                             size_t max_queued)
    : core_(std::make_shared<Core>(executor, max_in_flight, max_queued)) {}

CallScheduler::~CallScheduler() = default;

void CallScheduler::Submit(std::string zone_key, Job job) {
  core_->Submit(std::move(zone_key), std::move(job));
}

void CallScheduler::Report(bool overloaded) { core_->Report(overloaded); }

int CallScheduler::in_flight() { return core_->in_flight(); }

int CallScheduler::limit() { return core_->limit(); }

size_t CallScheduler::queued() { return core_->queued(); }

}  // namespace dns
