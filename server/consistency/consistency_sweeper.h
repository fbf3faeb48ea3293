// The periodic consistency sweeps, run on the leader: SERIALS every
// interval, CONTENT when its (longer) interval is due. A finding becomes a
// drift when propagation counts the zone as done on that server, or its
// pushes have been failing for longer than the grace (a zone queued on its
// way is not drift).
// Drifts are kept in the database per (server, zone): an event is raised
// when one appears and when it goes, never every sweep, and a new leader
// goes on from the same set.
#ifndef DNS_SERVER_CONSISTENCY_CONSISTENCY_SWEEPER_H_
#define DNS_SERVER_CONSISTENCY_CONSISTENCY_SWEEPER_H_

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
#include "server/consistency/consistency_checker.h"
#include "storage/consistency_store.h"

namespace dns {

struct SweepOptions {
  absl::Duration interval = absl::Seconds(60);
  absl::Duration content_interval = absl::Hours(24);
  absl::Duration grace = absl::Seconds(30);
  // DRIFT_FOUND (and DRIFT_RESOLVED) events per server and sweep.
  int max_events = 200;
};

// What one sweep of one server did.
struct SweepOutcome {
  std::string server;
  ConsistencyDepth depth = ConsistencyDepth::kSerials;
  int drifts = 0;
  int found = 0;
  int resolved = 0;
  bool complete = true;
};

class ConsistencySweeper {
 public:
  ConsistencySweeper(ConsistencyChecker& checker, ConsistencyStore& store,
                     std::function<std::vector<Server>()> servers, std::shared_ptr<Clock> clock,
                     SweepOptions options)
      : checker_(checker),
        store_(store),
        servers_(std::move(servers)),
        clock_(std::move(clock)),
        options_(options) {}
  ~ConsistencySweeper() { Stop(); }

  // One sweep of every server not in maintenance, on this thread.
  absl::StatusOr<std::vector<SweepOutcome>> SweepOnce();
  // The leader's job: starts a sweep on the sweeper's thread unless one
  // still runs (a long sweep must not hold up the other jobs).
  absl::Status Kick();
  // Waits for a running sweep.
  void Stop();

  // The drifts among one server's findings (pure; exposed for tests).
  static std::vector<Drift> DriftsOf(const std::vector<Finding>& findings, absl::Time now,
                                     absl::Duration grace);

 private:
  absl::StatusOr<SweepOutcome> SweepServer(const Server& server, ConsistencyDepth depth);

  ConsistencyChecker& checker_;
  ConsistencyStore& store_;
  const std::function<std::vector<Server>()> servers_;
  const std::shared_ptr<Clock> clock_;
  const SweepOptions options_;
  absl::Mutex mu_;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_content_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace dns

#endif  // DNS_SERVER_CONSISTENCY_CONSISTENCY_SWEEPER_H_
