// Deadlines without a thread each: waiting calls, heartbeats and retries
// schedule a callback for a point in time on one shared thread. Callbacks
// run on that thread and must be quick.
//
// With a fake clock (tests) no thread runs: RunDue() fires what is due at
// the clock's current time.
#ifndef DNS_SERVER_CORE_TIMER_QUEUE_H_
#define DNS_SERVER_CORE_TIMER_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"

namespace dns {

class TimerQueue {
 public:
  using Id = int64_t;

  // A real clock starts the thread; any other clock is driven by RunDue().
  explicit TimerQueue(std::shared_ptr<Clock> clock = RealClock());
  ~TimerQueue();  // Stop()

  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` once at `when` (at once if it has passed).
  Id Schedule(absl::Time when, std::function<void()> fn);
  // True if it had not run yet (it never will now).
  bool Cancel(Id id);
  // Fires every callback due at the clock's time; returns how many.
  int RunDue();
  // Drops what has not run; joins the thread.
  void Stop();

  size_t pending();
  Clock& clock() { return *clock_; }

 private:
  void Loop();

  const std::shared_ptr<Clock> clock_;
  absl::Mutex mu_;
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // (when, id) -> callback: ordered by time, ties by schedule order.
  std::map<std::pair<absl::Time, Id>, std::function<void()>> timers_ ABSL_GUARDED_BY(mu_);
  std::map<Id, absl::Time> when_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dns

#endif  // DNS_SERVER_CORE_TIMER_QUEUE_H_
