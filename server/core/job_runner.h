// Work that must run once per fleet, not once per replica — pruning the
// journal, expiring idempotency records, and later the health monitor and
// consistency sweeps — runs here, on the replica that holds the leader lock.
// Every replica keeps trying to take it; when the leader dies another takes
// over within a second and runs what is due. Each run is logged and
// counted (dnsd_job_runs_total, dnsd_job_last_success_timestamp_seconds).
#ifndef DNS_SERVER_CORE_JOB_RUNNER_H_
#define DNS_SERVER_CORE_JOB_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "server/core/event_hub.h"
#include "server/core/metrics.h"
#include "storage/pg_leader_lock.h"

namespace dns {

struct Job {
  std::string name;
  absl::Duration interval;
  std::function<absl::Status()> run;
  // A job that runs every second (the health monitor's tick) logs its
  // successful runs at debug level, not info.
  bool quiet = false;
};

class JobRunner {
 public:
  // `metrics` and `hub` may be null.
  JobRunner(std::unique_ptr<LeaderLock> lock, Metrics* metrics, EventHub* hub,
            std::shared_ptr<Clock> clock = RealClock(),
            absl::Duration check_every = absl::Seconds(1));
  ~JobRunner();  // Stop()

  void Add(Job job);
  // One pass: take or confirm leadership; run the jobs that are due.
  void RunOnce();
  void Start();
  // Lets the lock go, so another replica takes over at once.
  void Stop();
  bool leader();

 private:
  struct Entry {
    Job job;
    absl::Time next = absl::InfinitePast();
  };

  std::unique_ptr<LeaderLock> lock_;
  Metrics* const metrics_;
  EventHub* const hub_;
  const std::shared_ptr<Clock> clock_;
  const absl::Duration check_every_;
  absl::Mutex mu_;
  std::vector<Entry> jobs_ ABSL_GUARDED_BY(mu_);
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dns

#endif  // DNS_SERVER_CORE_JOB_RUNNER_H_
