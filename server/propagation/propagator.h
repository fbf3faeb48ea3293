// Propagation of committed changes to the PowerDNS fleet, assembled from its
// parts: the server directory, the claimer (fenced, owned, renewed leases),
// the workers (API pusher, SHARED_DB confirmer), the recovery prober of
// failing servers, and waits that follow the event hub.
//
//   commit ─ Kick ─► hub (─► other replicas) ─► claimer ─► workers ─► store
//                                                              └─► hub ─► waiters
#ifndef DNS_SERVER_PROPAGATION_PROPAGATOR_H_
#define DNS_SERVER_PROPAGATION_PROPAGATOR_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "client/dns_prober.h"
#include "client/pdns_client_pool.h"
#include "server/core/event_hub.h"
#include "server/core/timer_queue.h"
#include "server/propagation/api_pusher.h"
#include "server/propagation/claimer.h"
#include "server/propagation/server_directory.h"
#include "server/propagation/server_recovery.h"
#include "server/propagation/shared_db_confirmer.h"
#include "server/propagation/workers.h"
#include "server/propagation_control.h"
#include "server/core/weighted_gate.h"
#include "storage/propagation_store.h"
#include "storage/server_store.h"
#include "storage/zone_store.h"

namespace dns {

struct PropagatorOptions {
  ClaimerOptions claimer;  // owner: the replica's instance id
  WorkerOptions workers;
  ConfirmOptions confirm;
  RecoveryOptions recovery;
  absl::Duration server_refresh = absl::Seconds(5);
  // RRsets of full zone pushes worked on at once; zones under
  // full_sync_free_below pass freely.
  int64_t max_full_sync_rrsets = 200000;
  int64_t full_sync_free_below = 5000;
};

class Propagator : public PropagationControl {
 public:
  Propagator(PropagationStore& store, ZoneStore& zones, ServerStore& servers,
             pdns::PdnsClientPool& clients, DnsProber& prober, EventHub& hub,
             TimerQueue& timers, PropagatorOptions options);
  ~Propagator() override;  // Stop()

  void Start();
  // From now on waits answer at once with the states as they are.
  void BeginShutdown() { shutting_down_ = true; }
  // Stops claiming, abandons the PowerDNS calls in flight, and gives the
  // leases of unfinished work back (other replicas take it over at once).
  void Stop();

  void Kick(const std::string& zone, const std::string& request_id, bool caller_waits) override;
  void KickAll() override;
  void WaitAsync(const std::string& zone, uint32_t serial, bool deleted, absl::Time since,
                 absl::Time deadline, WaitDone done) override;
  absl::StatusOr<std::vector<ServerPropagation>> State(const std::string& zone) override;
  absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                       const std::vector<std::string>& servers) override;
  absl::StatusOr<std::vector<RRset>> FetchZone(const std::string& server,
                                               const std::string& zone,
                                               const std::string& request_id,
                                               absl::Time deadline) override;

  // The registry changed here: reload at once (UpdateServer's new URL and
  // key are used by the very next push), and tell the other replicas.
  void ServersChanged();

  ServerDirectory& directory() { return directory_; }
  Claimer& claimer() { return claimer_; }

 private:
  void OnEvent(const Event& event);

  PropagationStore& store_;
  EventHub& hub_;
  TimerQueue& timers_;
  const std::string owner_;
  ServerDirectory directory_;
  WeightedGate full_syncs_;
  ApiPusher pusher_;
  SharedDbConfirmer confirmer_;
  ServerRecovery recovery_;
  Claimer claimer_;
  PropagationWorkers workers_;
  EventHub::Subscription subscription_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_PROPAGATOR_H_
