// Runs claimed propagation tasks, a bounded number at once: the API pusher
// for API-mode servers, the confirmer for SHARED_DB ones. Each outcome is
// recorded under the claim it was made under (a stale one is discarded),
// published on the event hub (waiting calls, other replicas), and reported
// to the recovery prober.
#ifndef DNS_SERVER_PROPAGATION_WORKERS_H_
#define DNS_SERVER_PROPAGATION_WORKERS_H_

#include <atomic>
#include <functional>
#include <memory>

#include "absl/time/time.h"
#include "client/clock.h"
#include "client/executor.h"
#include "server/core/event_hub.h"
#include "server/propagation/api_pusher.h"
#include "server/propagation/claimer.h"
#include "server/propagation/server_directory.h"
#include "server/propagation/server_recovery.h"
#include "server/propagation/shared_db_confirmer.h"
#include "storage/propagation_store.h"

namespace dns {

struct WorkerOptions {
  int threads = 16;
  // Bounds one push, all its PowerDNS calls included (a big zone's full
  // sync is many calls).
  absl::Duration push_timeout = absl::Seconds(60);
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(30);
  // How long an outcome is retried while the database is unreachable.
  absl::Duration record_for = absl::Seconds(30);
  // Told when a push could not reach its server (UNAVAILABLE, timeout): the
  // health monitor counts it. Must not block.
  std::function<void(const std::string& server, const absl::Status& status)> on_unreachable;
};

class PropagationWorkers {
 public:
  PropagationWorkers(PropagationStore& store, ServerDirectory& directory, ApiPusher& pusher,
                     SharedDbConfirmer& confirmer, ServerRecovery& recovery, Claimer& claimer,
                     EventHub& hub, WorkerOptions options = {},
                     std::shared_ptr<Clock> clock = RealClock());
  ~PropagationWorkers();  // Stop()

  // Runs the task on a worker thread (the claimer never claims more than
  // there are threads).
  void Submit(PropagationTask task);
  // Does the whole job on the calling thread (tests).
  void Process(const PropagationTask& task);

  // From now on outcomes of interrupted pushes are not recorded (their
  // leases are given back instead). Called before hung calls are aborted,
  // so an aborted push is never counted as a failed attempt.
  void BeginStop() { stopping_ = true; }
  // BeginStop, then waits for the threads.
  void Stop();

 private:
  template <typename Fn>
  auto Record(const PropagationTask& task, Fn record) -> decltype(record());

  PropagationStore& store_;
  ServerDirectory& directory_;
  ApiPusher& pusher_;
  SharedDbConfirmer& confirmer_;
  ServerRecovery& recovery_;
  Claimer& claimer_;
  EventHub& hub_;
  const WorkerOptions options_;
  const std::shared_ptr<Clock> clock_;
  std::atomic<bool> stopping_{false};
  Executor pool_;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_WORKERS_H_
