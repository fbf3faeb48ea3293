#include "server/consistency/reconciler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dns {

absl::Status ReconcilePlan::Add(const Finding& f) {
  if (f.kind == FindingKind::kCheckFailed) {
    if (f.zone.empty()) {
      return absl::UnavailableError(absl::StrCat("server ", f.server,
                                                 " could not be read: ", f.detail));
    }
    return absl::OkStatus();  // that zone is left as it is; the next run sees it again
  }
  auto [it, added] = actions_.try_emplace(f.zone);
  ReconcileAction& a = it->second;
  // Only the first max_listed zones keep their RRsets: the listing is
  // bounded, and so is the memory of a server where everything drifted.
  const bool keep_rrsets = actions_.size() <= static_cast<size_t>(std::max(0, max_listed_));
  if (added) {
    a.zone = f.zone;
    a.truth_serial = f.truth_serial;
    a.server_serial = f.server_serial;
  }
  switch (f.kind) {
    case FindingKind::kZoneMissing:
      a.type = ReconcileActionType::kCreateZone;
      a.reason = "zone missing on the server";
      break;
    case FindingKind::kZoneExtra:
      a.type = delete_extra_ ? ReconcileActionType::kDeleteZone
                             : ReconcileActionType::kKeepExtraZone;
      a.reason = delete_extra_ ? "zone not in the truth"
                               : "zone not in the truth (kept: delete_extra not set)";
      break;
    default:
      if (a.type == ReconcileActionType::kCreateZone) break;
      a.type = ReconcileActionType::kSyncZone;
      if (f.kind == FindingKind::kSerialBehind || f.kind == FindingKind::kSerialAhead) {
        a.reason = f.detail;
      } else if (a.reason.empty()) {
        a.reason = "RRsets differ";
      }
      if (f.server_serial != 0) a.server_serial = f.server_serial;
      if (!keep_rrsets) break;
      if (f.kind == FindingKind::kRRsetMissing || f.kind == FindingKind::kRRsetDifferent) {
        a.replace.push_back(f.truth_rrset);
      } else if (f.kind == FindingKind::kRRsetExtra) {
        a.remove.push_back(RRset{f.server_rrset.name, f.server_rrset.type, 0, {}});
      }
      break;
  }
  return absl::OkStatus();
}

std::vector<ReconcileAction> ReconcilePlan::Listed() const {
  std::vector<ReconcileAction> out;
  for (const auto& [zone, action] : actions_) {
    if (static_cast<int>(out.size()) >= max_listed_) break;
    out.push_back(action);
  }
  return out;
}

std::vector<std::string> ReconcilePlan::SyncZones() const {
  std::vector<std::string> out;
  for (const auto& [zone, action] : actions_) {
    if (action.type == ReconcileActionType::kCreateZone ||
        action.type == ReconcileActionType::kSyncZone) {
      out.push_back(zone);
    }
  }
  return out;
}

std::vector<std::string> ReconcilePlan::DeleteZones() const {
  std::vector<std::string> out;
  for (const auto& [zone, action] : actions_) {
    if (action.type == ReconcileActionType::kDeleteZone) out.push_back(zone);
  }
  return out;
}

absl::StatusOr<ReconcileResult> Reconciler::Reconcile(const ReconcileRequest& request) {
  if (!request.dry_run) {
    absl::StatusOr<std::optional<ReconcileResult>> done = store_.FindReconcile(request.key);
    if (!done.ok()) return done.status();
    if (*done) return **done;
  }
  ReconcilePlan plan(request.delete_extra, request.max_actions);
  absl::Status bad;
  CheckRequest check;
  check.server = request.server;
  check.scope = request.scope;
  check.depth = request.depth;
  check.request_id = request.key.request_id;
  absl::StatusOr<CheckSummary> summary =
      checker_.Check(check, [&](std::vector<Finding> findings) {
        for (const Finding& f : findings) {
          absl::Status st = plan.Add(f);
          if (!st.ok()) bad = st;
        }
        return true;
      });
  if (!summary.ok()) return summary.status();
  if (!bad.ok()) return bad;

  ReconcileResult result;
  result.server = request.server;
  result.dry_run = request.dry_run;
  result.depth = summary->servers.empty() ? request.depth : summary->servers[0].depth;
  result.actions = plan.Listed();
  result.actions_total = plan.total();
  result.zones_checked = summary->zones_in_scope;
  result.request_id = request.key.request_id;
  if (request.dry_run) return result;

  ReconcileApply apply;
  apply.server = request.server;
  apply.sync_zones = plan.SyncZones();
  apply.delete_zones = plan.DeleteZones();
  apply.actions_total = static_cast<int64_t>(apply.sync_zones.size() + apply.delete_zones.size());
  apply.key = request.key;
  apply.result = std::move(result);
  return store_.ApplyReconcile(apply);
}

}  // namespace dns
