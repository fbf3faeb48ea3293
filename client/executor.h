// A fixed-size thread pool with a bounded queue. The PowerDNS client pool runs
// its blocking HTTP calls here, so that callers get futures back at once and
// a fan-out to N servers proceeds in parallel.
#ifndef DNS_CLIENT_EXECUTOR_H_
#define DNS_CLIENT_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace dns {

class Executor {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  struct Options {
    // Tasks here block on network I/O, so size for the calls that should be
    // in flight at once, not for the number of cores.
    int threads = 32;
    // Bounds memory under overload; callers get RESOURCE_EXHAUSTED beyond it.
    size_t max_queued = 4096;
  };

  Executor();
  explicit Executor(Options options);
  ~Executor();  // Shutdown().

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Never blocks. RESOURCE_EXHAUSTED when the queue is full, FAILED_PRECONDITION
  // after Shutdown(). On error the task is destroyed without running.
  absl::Status Schedule(Task task);

  // Waits for room in the queue. From one of this executor's own threads it
  // behaves like Schedule(), because waiting there could deadlock the pool.
  absl::Status ScheduleBlocking(Task task);

  // Stops accepting work, runs everything already queued, joins the threads.
  // Idempotent. Must not be called from one of this executor's threads.
  void Shutdown();

  bool InWorkerThread() const;
  size_t queued() const;
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  void WorkerLoop();

  const Options options_;
  mutable absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace dns

#endif  // DNS_CLIENT_EXECUTOR_H_
