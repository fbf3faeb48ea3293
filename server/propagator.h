// Pushes every committed change to every registered server, from the
// durable per-(zone, server) record in PostgreSQL:
//   API servers: one PATCH per zone of the RRsets the pending batches touched
//   (coalesced), a POST for a zone they lack, a DELETE for a deleted zone;
//   SHARED_DB servers: a cache flush for the zone, then a DNS SOA query until
//   the server answers the new serial.
// Writers Kick() it after commit, so pushes start at once; a loop picks up
// whatever is due (retries with backoff, other replicas' commits, a server
// leaving maintenance) and probes failing servers so one that comes back is
// caught up at once rather than at its next backoff.
#ifndef DNS_SERVER_PROPAGATOR_H_
#define DNS_SERVER_PROPAGATOR_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "client/dns_prober.h"
#include "client/executor.h"
#include "client/pdns_client_pool.h"
#include "storage/propagation_store.h"
#include "storage/server_store.h"
#include "server/propagation_control.h"
#include "server/weighted_gate.h"
#include "storage/zone_store.h"

namespace dns {

struct PropagatorOptions {
  int workers = 32;
  int claim_batch = 128;
  absl::Duration poll_interval = absl::Milliseconds(500);
  // Longer than any one push can take (client timeouts and retries), so a
  // lease never runs out under a live push.
  absl::Duration lease = absl::Seconds(60);
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(30);
  // SHARED_DB: how long to wait for the server to answer the new serial
  // (replica lag) within one attempt.
  absl::Duration confirm_timeout = absl::Seconds(3);
  absl::Duration probe_timeout = absl::Seconds(1);
  absl::Duration server_refresh = absl::Seconds(5);
  // RRsets of full zone pushes encoded and sent at once (each costs about
  // 1 KB of memory per RRset while it is); zones smaller than
  // full_sync_free_below RRsets pass without counting.
  int64_t max_full_sync_rrsets = 200000;
  int64_t full_sync_free_below = 5000;
  // For the fresh client that replaces one whose breaker is open when the
  // server answers again.
  pdns::ClientOptions client_options;
};

class Propagator : public PropagationControl {
 public:
  Propagator(PropagationStore& store, ZoneStore& zones, ServerStore& servers,
             pdns::PdnsClientPool& clients, DnsProber& prober, PropagatorOptions options = {});
  ~Propagator();  // Stop()

  void Start();
  void Stop();

  // A write to `zone` committed: start its pushes now.
  void Kick(const std::string& zone, const std::string& request_id) override;
  // The registry changed: reload servers and their clients.
  void ServersChanged();

  // Waits until every server not in maintenance has `serial` (or, for a
  // deleted zone, dropped it), or failed twice in a row trying, or the
  // deadline; returns the states then.
  std::vector<ServerPropagation> Wait(const std::string& zone, uint32_t serial, bool deleted,
                                      absl::Time deadline) override;
  absl::StatusOr<std::vector<ServerPropagation>> State(const std::string& zone) override;
  absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                       const std::vector<std::string>& servers) override {
    return store_.RequestSync(zone, servers);
  }
  absl::StatusOr<std::vector<RRset>> FetchZone(const std::string& server, const std::string& zone,
                                               const std::string& request_id) override;

 private:
  void Loop();
  void ReloadServers();
  void ClaimAndDispatch(const std::optional<std::string>& zone, const std::string& request_id);
  void Process(const PropagationTask& task, const std::string& request_id);
  absl::Status PushToApiServer(const Server& server, pdns::PdnsClient& client,
                               const PropagationTask& task, const pdns::CallContext& ctx,
                               bool& did_full_sync);
  absl::Status FullSync(pdns::PdnsClient& client, const PropagationTask& task,
                        const pdns::CallContext& ctx);
  absl::Status ConfirmSharedDb(const Server& server, pdns::PdnsClient& client,
                               const PropagationTask& task, const pdns::CallContext& ctx);
  // Runs `record` (a store call recording a task's outcome) until it
  // succeeds, the database stays unreachable for half a lease, or Stop().
  template <typename Fn>
  auto Record(const PropagationTask& task, Fn record) -> decltype(record());
  void ProbeFailingServers();
  void NotifyWaiters();
  // No servers registered (as of the last reload): writes cost nothing more.
  bool NoFleet();

  PropagationStore& store_;
  ZoneStore& zones_;
  ServerStore& servers_;
  pdns::PdnsClientPool& clients_;
  DnsProber& prober_;
  const PropagatorOptions options_;
  Executor workers_;
  WeightedGate full_syncs_;

  absl::Mutex reload_mu_;
  absl::Mutex mu_;
  std::map<std::string, Server> server_by_name_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> failing_servers_ ABSL_GUARDED_BY(mu_);
  absl::Time last_reload_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool reload_ ABSL_GUARDED_BY(mu_) = true;
  // The loop skipped a claim because the work queue was full.
  bool backlogged_ ABSL_GUARDED_BY(mu_) = false;
  int64_t progress_ ABSL_GUARDED_BY(mu_) = 0;  // bumps on every finished task
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread loop_;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATOR_H_
