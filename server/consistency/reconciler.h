// ReconcileServer: what a check of one server found, turned into repairs.
// A dry run answers the plan; applied, the repairs become pending rows of
// the durable propagation (whole pushes, deletions of extra zones) in one
// transaction with the event and the result kept under the request id, so
// a dnsd killed afterwards leaves nothing half done: any replica's
// propagator finishes the work.
#ifndef DNS_SERVER_CONSISTENCY_RECONCILER_H_
#define DNS_SERVER_CONSISTENCY_RECONCILER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/consistency.h"
#include "server/consistency/consistency_checker.h"
#include "storage/consistency_store.h"
#include "storage/zone_store.h"

namespace dns {

struct ReconcileRequest {
  std::string server;
  ConsistencyScope scope;
  bool dry_run = true;
  bool delete_extra = false;
  ConsistencyDepth depth = ConsistencyDepth::kContent;
  int max_actions = 1000;  // listed; all are applied
  RequestKey key;
};

// Folds findings into one action per zone, in zone order. Pure.
class ReconcilePlan {
 public:
  ReconcilePlan(bool delete_extra, int max_listed)
      : delete_extra_(delete_extra), max_listed_(max_listed) {}

  // A server-level CHECK_FAILED (no zone) is returned as the error.
  absl::Status Add(const Finding& finding);

  // The listed actions (at most max_listed, in zone order) and the totals.
  std::vector<ReconcileAction> Listed() const;
  int64_t total() const { return static_cast<int64_t>(actions_.size()); }
  // Zones to push whole (created where missing) and extra zones to delete.
  std::vector<std::string> SyncZones() const;
  std::vector<std::string> DeleteZones() const;

 private:
  const bool delete_extra_;
  const int max_listed_;
  std::map<std::string, ReconcileAction> actions_;
};

class Reconciler {
 public:
  Reconciler(ConsistencyStore& store, ConsistencyChecker& checker)
      : store_(store), checker_(checker) {}

  absl::StatusOr<ReconcileResult> Reconcile(const ReconcileRequest& request);

 private:
  ConsistencyStore& store_;
  ConsistencyChecker& checker_;
};

}  // namespace dns

#endif  // DNS_SERVER_CONSISTENCY_RECONCILER_H_
