// Admission control for one PowerDNS server: at most N calls in flight, a
// bounded wait queue behind them, and at most one write per zone at a time.
//
// N adapts to the server (additive increase, multiplicative decrease): each
// answer saying the server could not cope (5xx, 429) halves it, down to 1;
// each success adds 1/N, back up to the configured bound, ten times more
// slowly near the N that last overloaded the server. A server that
// fails under concurrency, as PowerDNS on gsqlite3 does ("database is
// locked" for parallel writes), settles near what it can take instead of
// failing half the calls sent to it.
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
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "client/executor.h"

namespace dns {

class CallScheduler {
 public:
  // Called exactly once. With OK it runs on an executor thread holding a
  // slot (and the zone, if any), released when it returns. With an error
  // (queue full, executor shut down) it must only report that error; it may
  // then run on the submitting thread.
  using Job = absl::AnyInvocable<void(absl::Status) &&>;

  // `executor` must outlive every job submitted here.
  CallScheduler(Executor& executor, int max_in_flight, size_t max_queued);
  ~CallScheduler();

  CallScheduler(const CallScheduler&) = delete;
  CallScheduler& operator=(const CallScheduler&) = delete;

  // `zone_key` empty: no per-zone ordering. Otherwise jobs with equal keys
  // never overlap and start in the order they were submitted.
  void Submit(std::string zone_key, Job job);

  // What an answer of the server said (unreachable servers report nothing:
  // the circuit breaker deals with them).
  void Report(bool overloaded);

  int in_flight();
  size_t queued();
  // The current bound on calls in flight.
  int limit();

 private:
  // Shared with the tasks on the executor, which do their bookkeeping after
  // the job has reported: the scheduler may be destroyed by then.
  class Core;

  std::shared_ptr<Core> core_;
};

}  // namespace dns

#endif  // DNS_CLIENT_CALL_SCHEDULER_H_
