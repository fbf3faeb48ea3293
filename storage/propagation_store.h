// The durable per-(zone, server) propagation record: what each server still
// has to receive. Work on a row is claimed with a short lease that names its
// owner (a replica's instance id) and carries a fencing token (the row's
// claim counter): an outcome is recorded only under the claim it was made
// under, so a worker that lost its lease cannot overwrite the new owner's
// result.
#ifndef DNS_STORAGE_PROPAGATION_STORE_H_
#define DNS_STORAGE_PROPAGATION_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

struct PropagationTask {
  std::string zone;
  std::string server;
  uint32_t desired_serial = 0;
  uint32_t applied_serial = 0;
  bool zone_deleted = false;
  bool full_sync = false;
  int attempts = 0;
  // The fencing token: the row's claim counter when this task was claimed.
  int64_t claim = 0;
  // Not stored: the request id of the write that kicked the claim, for the
  // logs and PowerDNS calls made for it.
  std::string request_id;
};

// How many tasks a claim may take per server: `room` for the servers it
// names (0: none, e.g. a server known to be down), `default_room` for the
// others (at most that many tasks in progress per server).
struct ClaimRoom {
  std::map<std::string, int> room;
  int default_room = 1 << 20;
};

// (name, type) of an RRset; names absolute with the trailing dot.
using RRsetKey = std::pair<std::string, std::string>;

// What recording an outcome did.
struct Recorded {
  // False: the claim was no longer the row's (the lease ran out and someone
  // claimed it since, or the row is gone); nothing was written.
  bool current = true;
  // The row as it is now (when current and the row still exists).
  std::optional<ServerPropagation> row;
  // MarkApplied: newer changes arrived meanwhile; the row is due again
  // (once its claim's hold has passed).
  bool more = false;
};

// What to claim.
struct ClaimRequest {
  std::string owner;
  int limit = 0;
  absl::Duration lease = absl::Seconds(4);
  // A claimed row is not due again before its claim + hold, whatever is
  // committed meanwhile: a zone that keeps changing is pushed to a server
  // at most once per hold, its changes together, instead of once per
  // commit. A row that is not busy is due at once.
  absl::Duration hold = absl::ZeroDuration();
  // Only these zones' rows (the zones commits kicked); empty: the oldest
  // due rows.
  std::vector<std::string> zones;
  // Of `zones`, those whose rows are taken even while held back or backing
  // off: a caller waits for them.
  std::vector<std::string> urgent;
  ClaimRoom room;
};

class PropagationStore {
 public:
  virtual ~PropagationStore() = default;

  // Leases to `owner`, for `lease`, up to `limit` due rows (not in sync, not
  // leased or lease run out, next attempt reached or urgent, server not in
  // maintenance), at most `room`'s share per server; only the rows of
  // `zones` when it is not empty, else the oldest due. Every claim bumps
  // the row's claim counter, returned as the task's fencing token.
  virtual absl::StatusOr<std::vector<PropagationTask>> ClaimDue(const ClaimRequest& request) = 0;
  // Extends every lease `owner` holds to now + `lease`; returns how many.
  virtual absl::StatusOr<int64_t> RenewLeases(const std::string& owner, absl::Duration lease) = 0;
  // Gives back every row `owner` holds without counting an attempt
  // (shutdown); returns how many.
  virtual absl::StatusOr<int64_t> ReleaseAll(const std::string& owner) = 0;
  // The RRsets changed by the batches after `after_serial`, or nullopt when
  // the journal does not reach back that far (then a full sync is needed).
  virtual absl::StatusOr<std::optional<std::vector<RRsetKey>>> ChangedSince(
      const std::string& zone, uint32_t after_serial) = 0;
  // The task's push reached the server at its desired serial. When newer
  // changes arrived meanwhile the row stays pending, due when its claim's
  // hold has passed.
  virtual absl::StatusOr<Recorded> MarkApplied(const PropagationTask& task,
                                               bool did_full_sync) = 0;
  virtual absl::StatusOr<Recorded> MarkFailed(const PropagationTask& task,
                                              const std::string& error, absl::Duration retry_in,
                                              bool need_full_sync) = 0;
  // Makes every unsynced row of the server due now (it came back).
  virtual absl::Status WakeServer(const std::string& server) = 0;
  virtual absl::StatusOr<std::vector<ServerPropagation>> GetPropagation(const std::string& zone) = 0;
  // Forces the zone to be pushed or re-confirmed on the given servers
  // (all when empty); returns the zone's current serial.
  virtual absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                               const std::vector<std::string>& servers) = 0;
  // Drops journal entries every server has applied, and every entry older
  // than `horizon` (a server that was away longer gets a full sync).
  virtual absl::StatusOr<int64_t> PruneJournal(absl::Duration horizon) = 0;
  // Per server: rows not in sync and the age of the oldest (metrics).
  struct Backlog {
    std::string server;
    int64_t pending = 0;
    absl::Duration oldest = absl::ZeroDuration();
  };
  virtual absl::StatusOr<std::vector<Backlog>> PendingByServer() = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_PROPAGATION_STORE_H_
