// Admission control for one PowerDNS server: at most N calls in flight, a
// bounded wait queue behind them, and at most one write per zone at a time.
//
// Why per zone: PowerDNS applies concurrent PATCHes of one zone without
// locking and leaves duplicate rows behind (PowerDNS issues #7128, #10448).
// Why a bound: each API request opens its own database connection there.
//
// Waiting calls hold no thread: they sit in the queue until a slot frees, and
// only then go to the executor. Per zone, writes start in submission order.
#ifndef DNS_CLIENT_CALL_SCHEDULER_H_
#define DNS_CLIENT_CALL_SCHEDULER_H_

#include <cstddef>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "client/executor.h"

namespace dns {

class CallScheduler {
 public:
  // Called exactly once. With OK it runs on an executor thread holding a
  // slot (and the zone, if any), released when it returns. With an error
  // (queue full, executor shut down) it must only report that error; it may
  // then run on the submitting thread.
  using Job = absl::AnyInvocable<void(absl::Status) &&>;

  CallScheduler(Executor& executor, int max_in_flight, size_t max_queued);

  CallScheduler(const CallScheduler&) = delete;
  CallScheduler& operator=(const CallScheduler&) = delete;

  // `zone_key` empty: no per-zone ordering. Otherwise jobs with equal keys
  // never overlap and start in the order they were submitted.
  void Submit(std::string zone_key, Job job);

  int in_flight();
  size_t queued();

 private:
  struct Pending {
    std::string zone_key;
    Job job;
  };

  void Pump();
  void Release(const std::string& zone_key);

  Executor& executor_;
  const int max_in_flight_;
  const size_t max_queued_;
  absl::Mutex mu_;
  std::deque<Pending> pending_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<std::string> busy_zones_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_CLIENT_CALL_SCHEDULER_H_
