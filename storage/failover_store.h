// Failover operations: what a scope holds of a failed address, the durable
// operation row with its state machine and lease, and the atomic commit of
// a plan. PgFailoverStore is the real one.
#ifndef DNS_STORAGE_FAILOVER_STORE_H_
#define DNS_STORAGE_FAILOVER_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/failover.h"
#include "storage/zone_store.h"

namespace dns {

struct FailoverListFilter {
  std::string ip;  // matches from_ip or to_ip
  std::optional<FailoverState> state;
};

// A zone's applied state on one server, for the failover's progress.
struct FailoverServerCounts {
  std::string server;
  int applied = 0;  // zones whose server has the committed serial (or later)
  int failed = 0;   // zones whose last push to the server failed
  std::string last_error;
};

// What Create needs besides the operation: the request's fingerprint (a
// retry with the same id and another request is refused).
struct FailoverCreate {
  std::string fingerprint;
};

// A committed zone whose propagation row for one server the failover's
// commit claimed (fencing token `claim`): what to send it.
struct ClaimedZone {
  std::string zone;
  uint32_t serial = 0;  // committed
  int64_t claim = 0;
  std::vector<RRset> rrsets;  // the failover's changed RRsets, as committed
  RRset soa;
};

class FailoverStore {
 public:
  virtual ~FailoverStore() = default;

  // Every zone in scope with the A/AAAA RRsets that hold `from_ip` (only
  // apex and www ones when asked). Unknown zones of a list, or an account /
  // customer / hosting service without zones: NOT_FOUND naming them.
  virtual absl::StatusOr<FailoverMatches> FindMatches(const FailoverSpec& spec) = 0;

  // Records a new operation (state PENDING, leased to `owner`). With a
  // request id already used: the existing operation and false.
  virtual absl::StatusOr<std::pair<Failover, bool>> Create(const Failover& op,
                                                           const FailoverCreate& extra,
                                                           const std::string& owner,
                                                           absl::Duration lease) = 0;
  // The operation a request id started (nullopt: none); INVALID_ARGUMENT
  // when that id came with a different request.
  virtual absl::StatusOr<std::optional<Failover>> FindByRequestId(
      const std::string& request_id, const std::string& fingerprint) = 0;
  // Applies the plan in one transaction: every zone's RRsets, one serial
  // bump per zone, propagation queued, the operation PROPAGATING with the
  // committed serials. The propagation rows the failover can bring up to
  // date in bulk (servers not down nor in maintenance, the row not leased;
  // for API servers only rows whose server had exactly the planned serial)
  // are claimed for `owner` in the same transaction; the rest go the normal
  // way. ABORTED (reason STALE_ZONE) when a zone's serial is
  // not the planned one; nothing is then changed. Only while `owner` holds
  // the operation.
  virtual absl::StatusOr<Failover> Commit(const std::string& id, const std::string& owner) = 0;
  // Writes progress (and the state, error, end time) while `owner` holds the
  // operation; FAILED_PRECONDITION when it does not any more.
  virtual absl::Status Update(const Failover& op, const std::string& owner) = 0;
  // Extends `owner`'s lease on the operation; false when it lost it.
  virtual absl::StatusOr<bool> Renew(const std::string& id, const std::string& owner,
                                     absl::Duration lease) = 0;
  // Takes over unfinished operations whose lease ran out; returns their ids.
  virtual absl::StatusOr<std::vector<std::string>> ClaimOrphans(const std::string& owner,
                                                                absl::Duration lease) = 0;
  virtual absl::Status Release(const std::string& id, const std::string& owner) = 0;

  // With the plan's zone list when `with_zones`.
  virtual absl::StatusOr<Failover> Get(const std::string& id, bool with_zones) = 0;
  // Newest first; `after_id` is the last id of the previous page.
  virtual absl::StatusOr<Page<Failover>> List(const FailoverListFilter& filter,
                                              const std::string& after_id, int limit) = 0;

  // The zone digests of a plan handed out (ZoneDigests), kept a day so that
  // a stale checksum can be explained; empty when unknown.
  virtual absl::Status SavePlan(const std::string& checksum,
                                const std::vector<std::string>& zone_digests) = 0;
  virtual absl::StatusOr<std::vector<std::string>> LoadPlan(const std::string& checksum) = 0;
  // The latest committed failover from `to_ip` to `from_ip` not undone yet,
  // with its zones' changes (empty id: none).
  virtual absl::StatusOr<Failover> ReversibleFor(const std::string& from_ip,
                                                 const std::string& to_ip) = 0;
  // Drops stored plans older than `plan_age` and finished operations older
  // than `operation_age`.
  virtual absl::StatusOr<int64_t> Prune(absl::Duration plan_age, absl::Duration operation_age) = 0;

  // The zones whose rows on `server` `owner` claimed at the commit and still
  // holds, still wanting the committed serial.
  virtual absl::StatusOr<std::vector<ClaimedZone>> ClaimedZones(const std::string& id,
                                                                const std::string& server,
                                                                const std::string& owner) = 0;
  // Records rows the server now has (`applied`) and gives back the others
  // (`released`: the normal propagation takes them at once); each only
  // under its claim.
  virtual absl::Status RecordClaimed(const std::string& server, const std::string& owner,
                                     const std::vector<ClaimedZone>& applied,
                                     const std::vector<ClaimedZone>& released) = 0;

  // Per server: how far the committed zones have got.
  virtual absl::StatusOr<std::vector<FailoverServerCounts>> Progress(const std::string& id) = 0;
  // Zones (with committed serial) applied on `server` whose row changed
  // after `since`, for confirming them over DNS.
  virtual absl::StatusOr<std::vector<std::pair<std::string, uint32_t>>> AppliedSince(
      const std::string& id, const std::string& server, absl::Time since) = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_FAILOVER_STORE_H_
