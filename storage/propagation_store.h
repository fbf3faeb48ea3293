// The durable per-(zone, server) propagation record: what each server still
// has to receive, claimed with leases so two propagators (threads or
// replicas) never push one zone to one server at the same time.
#ifndef DNS_STORAGE_PROPAGATION_STORE_H_
#define DNS_STORAGE_PROPAGATION_STORE_H_

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
};

// (name, type) of an RRset; names absolute with the trailing dot.
using RRsetKey = std::pair<std::string, std::string>;

class PropagationStore {
 public:
  virtual ~PropagationStore() = default;

  // Leases up to `limit` due tasks (not in sync, not leased, next attempt
  // reached, server not in maintenance); only `zone`'s when given.
  virtual absl::StatusOr<std::vector<PropagationTask>> ClaimDue(
      int limit, absl::Duration lease, const std::optional<std::string>& zone) = 0;
  // The RRsets changed by the batches after `after_serial`, or nullopt when
  // the journal does not reach back that far (then a full sync is needed).
  virtual absl::StatusOr<std::optional<std::vector<RRsetKey>>> ChangedSince(
      const std::string& zone, uint32_t after_serial) = 0;
  // The task's push reached the server at `serial`. Returns true when the
  // row is now in sync, false when newer changes arrived meanwhile.
  virtual absl::StatusOr<bool> MarkApplied(const PropagationTask& task, bool did_full_sync) = 0;
  virtual absl::Status MarkFailed(const PropagationTask& task, const std::string& error,
                                  absl::Duration retry_in, bool need_full_sync) = 0;
  // Makes every unsynced row of the server due now (it came back).
  virtual absl::Status WakeServer(const std::string& server) = 0;
  virtual absl::StatusOr<std::vector<ServerPropagation>> GetPropagation(const std::string& zone) = 0;
  // Forces the zone to be pushed or re-confirmed on the given servers
  // (all when empty); returns the zone's current serial.
  virtual absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                               const std::vector<std::string>& servers) = 0;
  // Journal entries every server has applied are no longer needed.
  virtual absl::StatusOr<int64_t> PruneJournal() = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_PROPAGATION_STORE_H_
