// Takes propagation work from the durable record for this replica's
// workers: right away for the zones a commit kicked (here or, through the
// event hub, on another replica), on a slow safety sweep for whatever else
// is due (retries, missed events), and never more than the workers can
// start now, so a claimed row is never left waiting out its lease in a
// queue. It renews the leases of the work in progress while the process
// lives; a killed replica's leases run out within one lease.
#ifndef DNS_SERVER_PROPAGATION_CLAIMER_H_
#define DNS_SERVER_PROPAGATION_CLAIMER_H_

#include <functional>
#include <memory>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "storage/propagation_store.h"

namespace dns {

struct ClaimerOptions {
  // Names this replica in every lease it takes.
  std::string owner;
  // Tasks in progress at most (the workers' count).
  int capacity = 16;
  // Tasks in progress for one server at most, and never more than its fair
  // share of the workers (capacity / servers, at least 1): a server that
  // hangs can hold no more than its share, the others keep theirs.
  int per_server = 8;
  absl::Duration lease = absl::Seconds(4);
  // A zone claimed is not due again before claim + hold (ClaimRequest).
  absl::Duration hold = absl::ZeroDuration();
  absl::Duration renew_every = absl::Seconds(1);
  // The safety sweep: the only poll of the database for due work.
  absl::Duration sweep_every = absl::Seconds(1);
  // Kicked zones remembered at most; beyond, the next sweep finds them.
  size_t max_kicked = 10000;
};

// The fleet as the next claim needs to see it.
struct FleetLoad {
  // Registered servers (the fair share divides the workers among them).
  int servers = 1;
  // Servers known to be down (the recovery prober's): one task at a time
  // for them until they answer again, so their rows wait, not the workers.
  std::vector<std::string> down;
  // Each server's client bound on calls in flight now (it adapts to what
  // the server takes): no more tasks than that are claimed for it, so the
  // rest wait unclaimed in the database, where later commits join them,
  // instead of in a queue with their content already read.
  std::map<std::string, int> limits;
};

class Claimer {
 public:
  using Dispatch = std::function<void(PropagationTask)>;
  // Null: one server, none down, no client bounds.
  using Fleet = std::function<FleetLoad()>;

  Claimer(PropagationStore& store, Dispatch dispatch, ClaimerOptions options,
          std::shared_ptr<Clock> clock = RealClock(), Fleet fleet = {});
  ~Claimer();  // Stop()

  // A write to `zone` committed (by the call `request_id`, may be empty):
  // claim its rows soon; at once, held back or not, when `urgent` (its
  // caller waits). A kick that finds the zone held back by this claimer's
  // own recent claim comes back when the hold has passed; one held by
  // another replica's claim is left to the sweep.
  void Kick(const std::string& zone, const std::string& request_id = "", bool urgent = false);
  // Anything may be due now (a server came back, work was released).
  void Wake();
  // A dispatched task has finished: its slot is free, and its zone may be
  // claimed again.
  void Done(const PropagationTask& task);

  // One pass: renews leases when due, claims the kicked zones' rows, sweeps
  // when due or woken; dispatches what it claimed. The thread runs it in a
  // loop; tests call it directly with a fake clock.
  void RunOnce();

  void Start();
  // Stops claiming; the leases of work in progress stay (see ReleaseAll).
  void Stop();

  int in_flight();
  size_t kicked();

 private:
  struct KickInfo {
    std::string request_id;
    bool urgent = false;
  };

  bool HasWork() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void KickLocked(const std::string& zone, KickInfo info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Room per server for the next claim: one slot at most for a server that
  // is down, what is left of its share for the others.
  ClaimRoom Room();

  PropagationStore& store_;
  const Dispatch dispatch_;
  const ClaimerOptions options_;
  const std::shared_ptr<Clock> clock_;
  const Fleet fleet_;
  absl::Mutex mu_;
  std::map<std::string, int> in_flight_by_server_ ABSL_GUARDED_BY(mu_);
  // zone -> the request id of the latest write that kicked it.
  // Kicked zones to claim next pass.
  std::map<std::string, KickInfo> kicked_ ABSL_GUARDED_BY(mu_);
  // Kicks that found their zone held back, by when the hold ends.
  std::multimap<absl::Time, std::pair<std::string, std::string>> held_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> held_zones_ ABSL_GUARDED_BY(mu_);
  // Zones with tasks in progress here, and the kicks they got meanwhile.
  std::map<std::string, int> in_flight_by_zone_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, KickInfo> dirty_ ABSL_GUARDED_BY(mu_);
  // Registered servers as of the last claim.
  int servers_seen_ ABSL_GUARDED_BY(mu_) = 1;
  // Until when this claimer's recent claims hold their zones back.
  std::map<std::string, absl::Time> hold_until_ ABSL_GUARDED_BY(mu_);
  bool sweep_ ABSL_GUARDED_BY(mu_) = true;
  // A kick left rows behind (no room, or leased): sweep when a slot frees.
  bool sweep_on_done_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_renew_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_CLAIMER_H_
