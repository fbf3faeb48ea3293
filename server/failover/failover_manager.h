// FailoverService's domain logic: plans, the operation's life (record,
// commit, watch the fleet confirm it, finish), resuming operations another
// replica left, and the listing. Each operation is driven by one replica at
// a time (a lease on its row); the driver holds a thread while it runs,
// which is one per running failover, not per caller.
#ifndef DNS_SERVER_FAILOVER_FAILOVER_MANAGER_H_
#define DNS_SERVER_FAILOVER_FAILOVER_MANAGER_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/dns_prober.h"
#include "client/pdns_client.h"
#include "common/failover.h"
#include "server/core/event_hub.h"
#include "server/domain/record_validator.h"
#include "server/propagation_control.h"
#include "storage/failover_store.h"
#include "storage/server_store.h"

namespace dns {

struct FailoverOptions {
  // Names this replica on the operations it drives.
  std::string owner = "dnsd";
  // Above this share of the fleet's records a failover needs force.
  double max_share = 0.10;
  // After the commit, how long the servers have to confirm before the
  // operation ends INCOMPLETE (propagation itself goes on).
  absl::Duration confirm_timeout = absl::Minutes(10);
  absl::Duration lease = absl::Seconds(10);
  // How often a driver looks at the fleet's progress.
  absl::Duration tick = absl::Milliseconds(200);
  // DNS questions asked of one server at once.
  int probe_parallelism = 16;
  // PATCHes to one API server at once when a failover pushes in bulk.
  int push_parallelism = 4;
  absl::Duration probe_timeout = absl::Seconds(1);
  ValidationLimits limits;
};

struct ExecuteFailoverInput {
  FailoverSpec spec;  // raw
  std::string plan_checksum;
  bool force = false;
  RequestKey key;
  std::string requested_by;
};

struct FailoverPage {
  std::vector<Failover> items;
  std::string next_page_token;
};

class FailoverManager {
 public:
  // The PowerDNS client of a registered server (null: none).
  using ClientFor = std::function<std::shared_ptr<pdns::PdnsClient>(const std::string& server)>;

  // `propagation` may be null (no fleet).
  FailoverManager(FailoverStore& store, ServerStore& servers, DnsProber& prober,
                  PropagationControl* propagation, EventHub& hub, ClientFor client_for,
                  FailoverOptions options);
  ~FailoverManager();  // Stop()

  // Checks the request and answers today's plan; stores its zone digests so
  // that a stale checksum can be explained. Changes nothing.
  // `canonical` (if given) gets the request as the plan reads it.
  absl::StatusOr<FailoverPlan> Plan(const FailoverSpec& raw, FailoverSpec* canonical = nullptr);
  // Starts the operation (or finds the one its request id started) and
  // returns it as recorded; a driver takes it from there. ABORTED when the
  // plan differs from `plan_checksum`, FAILED_PRECONDITION (reason
  // FORCE_REQUIRED) above the fleet share without force.
  absl::StatusOr<Failover> Execute(const ExecuteFailoverInput& input);
  absl::StatusOr<Failover> Get(const std::string& id, bool with_zones);
  absl::StatusOr<FailoverPage> List(const FailoverListFilter& filter, int page_size,
                                    const std::string& page_token);
  // Leader job: drives operations whose replica went away.
  absl::Status ResumeOrphans();
  // Leader job: forgets old plans and finished operations.
  absl::Status Housekeep(absl::Duration operation_retention);

  // Ends every driver (the operations' leases are given back so another
  // replica continues them at once).
  void Stop();

 private:
  struct ServerTrack {
    std::set<std::string> confirmed;  // zones this server answers anew
    absl::Time applied_seen = absl::InfinitePast();
    absl::Time confirm_time = absl::InfinitePast();
  };

  struct Planned {
    FailoverSpec spec;  // canonical
    FailoverPlan plan;
    std::string reverses;
  };
  absl::StatusOr<Planned> MakePlan(const FailoverSpec& raw);
  void StartDriver(const std::string& id);
  void Drive(const std::string& id);
  // One look at the fleet; false when the operation is over (or lost).
  // Bulk pushes started after the commit go to `bulk`.
  bool Step(Failover& op, std::map<std::string, ServerTrack>& tracks, absl::Time& renewed,
            std::vector<std::thread>& bulk);
  // Brings the rows the commit claimed on `server` up to date in bulk: a
  // SHARED_DB server gets one cache flush for everything and is asked for
  // each zone's serial; an API server gets one PATCH per zone with the
  // failover's RRsets and the SOA. What could not be done is given back to
  // the normal propagation.
  void PushClaimed(const Failover& op, const Server& server);
  // For each (zone, serial): does `server` answer that serial (or later)?
  std::vector<char> ProbeSerials(const Server& server,
                                 const std::vector<std::pair<std::string, uint32_t>>& zones);
  bool stopping();
  // Confirms over DNS the zones newly applied on an API server.
  void ConfirmOverDns(const Failover& op, const Server& server, ServerTrack& track);
  void Publish(const std::string& id);
  bool Sleep(absl::Duration d);

  FailoverStore& store_;
  ServerStore& servers_;
  DnsProber& prober_;
  PropagationControl* const propagation_;
  EventHub& hub_;
  const ClientFor client_for_;
  const FailoverOptions options_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::thread> drivers_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_SERVER_FAILOVER_FAILOVER_MANAGER_H_
