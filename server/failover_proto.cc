#include "server/failover_proto.h"

#include "google/protobuf/util/time_util.h"
#include "server/proto_convert.h"

namespace dns {
namespace {

using google::protobuf::util::TimeUtil;

void SetTime(absl::Time t, google::protobuf::Timestamp* proto) {
  *proto = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

void SetDuration(absl::Duration d, google::protobuf::Duration* proto) {
  *proto = TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(d));
}

v1::FailoverState StateToProto(FailoverState state) {
  switch (state) {
    case FailoverState::kPending:
      return v1::FAILOVER_STATE_PENDING;
    case FailoverState::kPropagating:
      return v1::FAILOVER_STATE_PROPAGATING;
    case FailoverState::kSucceeded:
      return v1::FAILOVER_STATE_SUCCEEDED;
    case FailoverState::kIncomplete:
      return v1::FAILOVER_STATE_INCOMPLETE;
    case FailoverState::kFailed:
      return v1::FAILOVER_STATE_FAILED;
  }
  return v1::FAILOVER_STATE_UNSPECIFIED;
}

v1::FailoverServerState ServerStateToProto(FailoverServerState state) {
  switch (state) {
    case FailoverServerState::kPropagating:
      return v1::FAILOVER_SERVER_STATE_PROPAGATING;
    case FailoverServerState::kConfirmed:
      return v1::FAILOVER_SERVER_STATE_CONFIRMED;
    case FailoverServerState::kSkipped:
      return v1::FAILOVER_SERVER_STATE_SKIPPED;
    case FailoverServerState::kTimedOut:
      return v1::FAILOVER_SERVER_STATE_TIMED_OUT;
  }
  return v1::FAILOVER_SERVER_STATE_UNSPECIFIED;
}

void ScopeToProto(const FailoverScope& scope, v1::FailoverScope* proto) {
  proto->set_all_zones(scope.all_zones);
  for (const auto& z : scope.zones) proto->add_zones(z);
  proto->set_account(scope.account);
  proto->set_customer_id(scope.customer_id);
  proto->set_hosting_service_id(scope.hosting_service_id);
}

}  // namespace

FailoverSpec FailoverSpecFromProto(const v1::FailoverScope& scope, const std::string& from_ip,
                                   const std::string& to_ip, bool apex_and_www_only,
                                   std::optional<uint32_t> ttl) {
  FailoverSpec spec;
  spec.from_ip = from_ip;
  spec.to_ip = to_ip;
  spec.apex_and_www_only = apex_and_www_only;
  spec.ttl = ttl;
  spec.scope.all_zones = scope.all_zones();
  spec.scope.zones.assign(scope.zones().begin(), scope.zones().end());
  spec.scope.account = scope.account();
  spec.scope.customer_id = scope.customer_id();
  spec.scope.hosting_service_id = scope.hosting_service_id();
  return spec;
}

void FailoverPlanToProto(const FailoverPlan& plan, const FailoverSpec& spec,
                         v1::FailoverPlan* proto) {
  proto->set_from_ip(spec.from_ip);
  proto->set_to_ip(spec.to_ip);
  for (const FailoverZoneChange& z : plan.zones) {
    v1::FailoverZoneChange* zone = proto->add_zones();
    zone->set_zone(z.zone);
    zone->set_serial(z.serial);
    zone->set_committed_serial(z.committed_serial);
    for (const FailoverRRsetChange& c : z.rrsets) {
      v1::FailoverRRsetChange* change = zone->add_rrsets();
      RRsetToProto(c.before, change->mutable_before());
      RRsetToProto(c.after, change->mutable_after());
    }
  }
  for (const auto& z : plan.unmatched_zones) proto->add_unmatched_zones(z);
  proto->set_zones_in_scope(plan.zones_in_scope);
  proto->set_zones_changed(plan.zones_changed);
  proto->set_rrsets_changed(plan.rrsets_changed);
  proto->set_records_changed(plan.records_changed);
  proto->set_fleet_records(plan.fleet_records);
  proto->set_fleet_share(plan.fleet_share);
  proto->set_needs_force(plan.needs_force);
  proto->set_checksum(plan.checksum);
}

void FailoverToProto(const Failover& op, v1::Failover* proto) {
  proto->set_id(op.id);
  proto->set_request_id(op.request_id);
  proto->set_requested_by(op.requested_by);
  proto->set_state(StateToProto(op.state));
  proto->set_from_ip(op.spec.from_ip);
  proto->set_to_ip(op.spec.to_ip);
  ScopeToProto(op.spec.scope, proto->mutable_scope());
  proto->set_apex_and_www_only(op.spec.apex_and_www_only);
  if (op.spec.ttl) proto->set_ttl(*op.spec.ttl);
  proto->set_forced(op.forced);
  FailoverPlanToProto(op.plan, op.spec, proto->mutable_plan());
  for (const FailoverServerProgress& s : op.servers) {
    v1::FailoverServerProgress* p = proto->add_servers();
    p->set_server(s.server);
    p->set_mode(s.mode == ServerMode::kSharedDb ? v1::SERVER_MODE_SHARED_DB : v1::SERVER_MODE_API);
    p->set_state(ServerStateToProto(s.state));
    p->set_zones_pushed(s.zones_pushed);
    p->set_zones_confirmed(s.zones_confirmed);
    p->set_zones_failed(s.zones_failed);
    p->set_detail(s.detail);
    if (s.confirm_time != absl::InfinitePast()) SetTime(s.confirm_time, p->mutable_confirm_time());
  }
  proto->set_error(op.error);
  if (op.create_time != absl::InfinitePast()) SetTime(op.create_time, proto->mutable_create_time());
  if (op.commit_time != absl::InfinitePast()) {
    SetTime(op.commit_time, proto->mutable_commit_time());
    SetDuration(op.commit_time - op.create_time, proto->mutable_commit_duration());
  }
  if (op.end_time != absl::InfinitePast()) {
    SetTime(op.end_time, proto->mutable_end_time());
    SetDuration(op.end_time - op.create_time, proto->mutable_total_duration());
  }
  proto->set_reverses(op.reverses);
  proto->set_reversed_by(op.reversed_by);
}

std::optional<FailoverState> FailoverStateFromProto(int state) {
  switch (state) {
    case v1::FAILOVER_STATE_PENDING:
      return FailoverState::kPending;
    case v1::FAILOVER_STATE_PROPAGATING:
      return FailoverState::kPropagating;
    case v1::FAILOVER_STATE_SUCCEEDED:
      return FailoverState::kSucceeded;
    case v1::FAILOVER_STATE_INCOMPLETE:
      return FailoverState::kIncomplete;
    case v1::FAILOVER_STATE_FAILED:
      return FailoverState::kFailed;
    default:
      return std::nullopt;
  }
}

}  // namespace dns
