// What consistency checks, sweeps and reconciles read and write in the
// truth: zones and serials of a scope page by page, the RRsets of a batch of
// zones, a server's propagation rows, the drifts the sweeps track, and the
// repairs a reconcile hands to the durable propagation.
#ifndef DNS_STORAGE_CONSISTENCY_STORE_H_
#define DNS_STORAGE_CONSISTENCY_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/consistency.h"
#include "common/model.h"
#include "storage/zone_store.h"

namespace dns {

struct ZoneSerial {
  std::string name;
  uint32_t serial = 0;
};

// One server's propagation row for one zone, as a check needs it.
struct ZonePropagation {
  PropagationState state = PropagationState::kPending;
  uint32_t desired_serial = 0;
  uint32_t applied_serial = 0;
  // When the row last left IN_SYNC; InfinitePast when in sync.
  absl::Time pending_since = absl::InfinitePast();
};

// What a reconcile hands to the propagation, in one transaction.
struct ReconcileApply {
  std::string server;
  std::vector<std::string> sync_zones;    // pushed again whole (created if missing)
  std::vector<std::string> delete_zones;  // extra: removed from the server
  int64_t actions_total = 0;
  RequestKey key;
  ReconcileResult result;  // stored for a retry with the same request id
};

class ConsistencyStore {
 public:
  virtual ~ConsistencyStore() = default;

  // The scope's zones in name order after `after`, at most `limit`.
  virtual absl::StatusOr<Page<ZoneSerial>> ListZoneSerials(const ConsistencyScope& scope,
                                                           const std::string& after,
                                                           int limit) = 0;
  // Every RRset of each named zone (one snapshot); zones gone are absent.
  virtual absl::StatusOr<std::map<std::string, std::vector<RRset>>> GetRRsetsOfZones(
      const std::vector<std::string>& zones) = 0;
  // The server's row for each named zone that has one.
  virtual absl::StatusOr<std::map<std::string, ZonePropagation>> GetServerPropagation(
      const std::string& server, const std::vector<std::string>& zones) = 0;

  virtual absl::StatusOr<std::vector<Drift>> ListDrifts(const std::string& server) = 0;
  // Records what a sweep of `server` found: `found` added (a DRIFT_FOUND
  // event each), `resolved` removed (a DRIFT_RESOLVED event each), in one
  // transaction. Returns the events' count.
  virtual absl::StatusOr<int> RecordDrifts(const std::string& server,
                                           const std::vector<Drift>& found,
                                           const std::vector<Drift>& resolved) = 0;

  // The stored result of an applied reconcile with this request id; nullopt
  // when there is none; INVALID_ARGUMENT when the id was used for another
  // request.
  virtual absl::StatusOr<std::optional<ReconcileResult>> FindReconcile(const RequestKey& key) = 0;
  // Marks the zones for the propagation (rows pending, full sync; extra
  // zones as deletions), records the RECONCILE_APPLIED event and the result
  // under the request id, in one transaction. Returns the event id. A
  // concurrent twin with the same id gets the first one's result.
  virtual absl::StatusOr<ReconcileResult> ApplyReconcile(const ReconcileApply& apply) = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_CONSISTENCY_STORE_H_
