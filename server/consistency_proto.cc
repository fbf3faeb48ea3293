#include "server/consistency_proto.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "server/domain/dns_name.h"
#include "server/proto_convert.h"

namespace dns {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kMaxScopeZones = 10000;

v1::FindingKind KindToProto(FindingKind kind) { return static_cast<v1::FindingKind>(kind); }

v1::PropagationState StateToProto(PropagationState state) {
  switch (state) {
    case PropagationState::kInSync:
      return v1::PROPAGATION_STATE_IN_SYNC;
    case PropagationState::kError:
      return v1::PROPAGATION_STATE_ERROR;
    case PropagationState::kSkipped:
      return v1::PROPAGATION_STATE_SKIPPED;
    case PropagationState::kPending:
      break;
  }
  return v1::PROPAGATION_STATE_PENDING;
}

v1::ServerMode ModeToProto(ServerMode mode) {
  return mode == ServerMode::kSharedDb ? v1::SERVER_MODE_SHARED_DB : v1::SERVER_MODE_API;
}

}  // namespace

std::optional<FindingKind> FindingKindFromProto(int kind) {
  if (kind < static_cast<int>(FindingKind::kZoneMissing) ||
      kind > static_cast<int>(FindingKind::kCheckFailed)) {
    return std::nullopt;
  }
  return static_cast<FindingKind>(kind);
}

std::optional<ConsistencyDepth> DepthFromProto(int depth, ConsistencyDepth fallback) {
  switch (depth) {
    case v1::CONSISTENCY_DEPTH_UNSPECIFIED:
      return fallback;
    case v1::CONSISTENCY_DEPTH_ZONES:
      return ConsistencyDepth::kZones;
    case v1::CONSISTENCY_DEPTH_SERIALS:
      return ConsistencyDepth::kSerials;
    case v1::CONSISTENCY_DEPTH_CONTENT:
      return ConsistencyDepth::kContent;
    default:
      return std::nullopt;
  }
}

v1::ConsistencyDepth DepthToProto(ConsistencyDepth depth) {
  return static_cast<v1::ConsistencyDepth>(depth);
}

ConsistencyScope ScopeFromProto(const google::protobuf::RepeatedPtrField<std::string>& zones,
                                const std::string& name_prefix, const std::string& account,
                                std::vector<FieldViolation>& violations) {
  ConsistencyScope scope;
  if (zones.size() > kMaxScopeZones) {
    violations.push_back({"zones", absl::StrCat("at most ", kMaxScopeZones,
                                                " zones; use name_prefix or account for more")});
  } else {
    for (int i = 0; i < zones.size(); ++i) {
      absl::StatusOr<std::string> zone = CanonicalZoneName(zones[i]);
      if (!zone.ok()) {
        violations.push_back({absl::StrCat("zones[", i, "]"), std::string(zone.status().message())});
      } else {
        scope.zones.push_back(*zone);
      }
    }
  }
  scope.name_prefix = absl::AsciiStrToLower(name_prefix);
  if (scope.name_prefix.size() > 253) {
    violations.push_back({"name_prefix", "must be at most 253 characters"});
  }
  for (unsigned char c : scope.name_prefix) {
    if (c < 0x20 || c == 0x7f) {
      violations.push_back({"name_prefix", "must not contain control characters"});
      break;
    }
  }
  scope.account = account;
  if (account.size() > 255) violations.push_back({"account", "must be at most 255 characters"});
  return scope;
}

void FindingToProto(const Finding& f, v1::ConsistencyFinding* proto) {
  proto->set_server(f.server);
  proto->set_zone(f.zone);
  proto->set_kind(KindToProto(f.kind));
  proto->set_truth_serial(f.truth_serial);
  proto->set_server_serial(f.server_serial);
  if (!f.truth_rrset.name.empty()) RRsetToProto(f.truth_rrset, proto->mutable_truth_rrset());
  if (!f.server_rrset.name.empty()) RRsetToProto(f.server_rrset, proto->mutable_server_rrset());
  proto->set_propagation_state(StateToProto(f.propagation));
  proto->set_detail(f.detail);
}

void CheckSummaryToProto(const CheckSummary& summary, v1::ConsistencySummary* proto) {
  proto->set_depth(DepthToProto(summary.depth));
  proto->set_zones_in_scope(summary.zones_in_scope);
  proto->set_findings(summary.findings);
  for (const ServerCheckSummary& s : summary.servers) {
    v1::ServerConsistency* out = proto->add_servers();
    out->set_server(s.server);
    out->set_mode(ModeToProto(s.mode));
    out->set_depth(DepthToProto(s.depth));
    out->set_zones_checked(s.zones_checked);
    out->set_findings(s.findings);
    out->set_zones_differing(s.zones_differing);
    out->set_complete(s.complete);
    out->set_error(s.error);
    *out->mutable_duration() =
        TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(s.duration));
  }
  *proto->mutable_duration() =
      TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(summary.duration));
}

void ReconcileResultToProto(const ReconcileResult& result, v1::ReconcileServerResponse* proto) {
  proto->set_server(result.server);
  proto->set_dry_run(result.dry_run);
  for (const ReconcileAction& a : result.actions) {
    v1::ReconcileAction* out = proto->add_actions();
    out->set_zone(a.zone);
    out->set_type(static_cast<v1::ReconcileActionType>(a.type));
    out->set_truth_serial(a.truth_serial);
    out->set_server_serial(a.server_serial);
    for (const RRset& r : a.replace) RRsetToProto(r, out->add_replace_rrsets());
    for (const RRset& r : a.remove) {
      v1::RRset* removed = out->add_delete_rrsets();
      removed->set_name(r.name);
      removed->set_type(r.type);
    }
    out->set_reason(a.reason);
  }
  proto->set_actions_total(result.actions_total);
  proto->set_zones_checked(result.zones_checked);
  proto->set_depth(DepthToProto(result.depth));
  proto->set_event_id(result.event_id);
  proto->set_request_id(result.request_id);
}

void ConsistencyEventToProto(const HealthEvent& e, v1::ConsistencyEvent* proto) {
  proto->set_id(e.id);
  *proto->mutable_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(e.time));
  switch (e.type) {
    case HealthEventType::kDriftFound:
      proto->set_type(v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND);
      break;
    case HealthEventType::kDriftResolved:
      proto->set_type(v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED);
      break;
    case HealthEventType::kReconcileApplied:
      proto->set_type(v1::CONSISTENCY_EVENT_TYPE_RECONCILE_APPLIED);
      break;
    default:
      break;
  }
  proto->set_server(e.server);
  proto->set_zone(e.zone);
  if (!e.kind.empty()) proto->set_kind(KindToProto(FindingKindFromName(e.kind)));
  proto->set_truth_serial(e.truth_serial);
  proto->set_server_serial(e.server_serial);
  proto->set_detail(e.reason);
  proto->set_count(e.count);
  proto->set_request_id(e.request_id);
}

}  // namespace dns
