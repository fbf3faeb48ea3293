#include "server/proto_convert.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"

namespace dns {
namespace {

using google::protobuf::util::TimeUtil;

ZoneKind KindFromProto(v1::ZoneKind kind) {
  switch (kind) {
    case v1::ZONE_KIND_MASTER:
      return ZoneKind::kMaster;
    case v1::ZONE_KIND_SLAVE:
      return ZoneKind::kSlave;
    default:
      return ZoneKind::kNative;
  }
}

v1::ZoneKind KindToProto(ZoneKind kind) {
  switch (kind) {
    case ZoneKind::kMaster:
      return v1::ZONE_KIND_MASTER;
    case ZoneKind::kSlave:
      return v1::ZONE_KIND_SLAVE;
    case ZoneKind::kNative:
      break;
  }
  return v1::ZONE_KIND_NATIVE;
}

// FNV-1a: stable across processes and replicas (unlike std::hash).
uint64_t Fnv1a(const std::string& data) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

absl::StatusOr<Zone> ZoneFromProto(const v1::Zone& proto) {
  if (!v1::ZoneKind_IsValid(proto.kind())) {
    return InvalidField("zone.kind",
                        absl::StrCat("unknown value ", proto.kind(),
                                     "; use ZONE_KIND_NATIVE, ZONE_KIND_MASTER or ZONE_KIND_SLAVE"));
  }
  Zone zone;
  zone.name = proto.name();
  zone.kind = KindFromProto(proto.kind());
  zone.account = proto.account();
  zone.customer_id = proto.customer_id();
  zone.hosting_service_id = proto.hosting_service_id();
  zone.nameservers.assign(proto.nameservers().begin(), proto.nameservers().end());
  zone.masters.assign(proto.masters().begin(), proto.masters().end());
  zone.labels.insert(proto.labels().begin(), proto.labels().end());
  zone.etag = proto.etag();
  return zone;
}

void ZoneToProto(const Zone& zone, v1::Zone* proto) {
  proto->set_name(zone.name);
  proto->set_kind(KindToProto(zone.kind));
  proto->set_account(zone.account);
  proto->set_customer_id(zone.customer_id);
  proto->set_hosting_service_id(zone.hosting_service_id);
  for (const auto& ns : zone.nameservers) proto->add_nameservers(ns);
  for (const auto& m : zone.masters) proto->add_masters(m);
  proto->mutable_labels()->insert(zone.labels.begin(), zone.labels.end());
  proto->set_serial(zone.serial);
  proto->set_etag(zone.etag);
  *proto->mutable_create_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(zone.create_time));
  *proto->mutable_update_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(zone.update_time));
  for (const auto& p : zone.propagation) PropagationToProto(p, proto->add_propagation());
}

std::optional<PropagationState> PropagationStateFromProto(int state) {
  switch (state) {
    case v1::PROPAGATION_STATE_PENDING:
      return PropagationState::kPending;
    case v1::PROPAGATION_STATE_IN_SYNC:
      return PropagationState::kInSync;
    case v1::PROPAGATION_STATE_ERROR:
      return PropagationState::kError;
    case v1::PROPAGATION_STATE_SKIPPED:
      return PropagationState::kSkipped;
    default:
      return std::nullopt;
  }
}

void PropagationToProto(const ServerPropagation& p, v1::ServerPropagation* proto) {
  proto->set_server(p.server);
  switch (p.state) {
    case PropagationState::kPending:
      proto->set_state(v1::PROPAGATION_STATE_PENDING);
      break;
    case PropagationState::kInSync:
      proto->set_state(v1::PROPAGATION_STATE_IN_SYNC);
      break;
    case PropagationState::kError:
      proto->set_state(v1::PROPAGATION_STATE_ERROR);
      break;
    case PropagationState::kSkipped:
      proto->set_state(v1::PROPAGATION_STATE_SKIPPED);
      break;
  }
  proto->set_desired_serial(p.desired_serial);
  proto->set_applied_serial(p.applied_serial);
  proto->set_last_error(p.last_error);
  proto->set_attempts(p.attempts);
  *proto->mutable_update_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(p.update_time));
}

absl::StatusOr<WriteOptions> WriteOptionsOf(const std::string& request_id,
                                            const google::protobuf::Duration& wait,
                                            std::chrono::system_clock::time_point deadline,
                                            const std::string& field) {
  if (wait.seconds() < 0 || wait.nanos() < 0 || wait.nanos() >= 1000000000) {
    return InvalidField(field, "must be a non-negative duration");
  }
  if (wait.seconds() > 3600) return InvalidField(field, "must be at most one hour");
  WriteOptions w;
  w.request_id = request_id;
  w.wait = absl::Seconds(wait.seconds()) + absl::Nanoseconds(wait.nanos());
  w.deadline = absl::FromChrono(deadline);
  return w;
}

void FillZonePropagation(v1::Zone* zone, const std::vector<ServerPropagation>& states) {
  zone->clear_propagation();
  for (const auto& p : states) PropagationToProto(p, zone->add_propagation());
}

RRset RRsetFromProto(const v1::RRset& proto) {
  RRset rrset{proto.name(), proto.type(), proto.ttl(), {}};
  for (const auto& r : proto.records()) rrset.records.push_back(Record{r.content(), r.disabled()});
  return rrset;
}

void RRsetToProto(const RRset& rrset, v1::RRset* proto) {
  proto->set_name(rrset.name);
  proto->set_type(rrset.type);
  proto->set_ttl(rrset.ttl);
  proto->set_ttl_seconds(rrset.ttl);
  for (const auto& r : rrset.records) {
    auto* record = proto->add_records();
    record->set_content(r.content);
    record->set_disabled(r.disabled);
  }
}

RRsetChange ReplaceFromProto(const v1::RRset& proto, const std::string& field,
                             std::vector<FieldViolation>& violations) {
  RRsetChange c{ChangeType::kReplace, RRsetFromProto(proto)};
  if (proto.has_ttl_seconds()) {
    c.rrset.ttl = proto.ttl_seconds();
    if (proto.ttl() != 0 && proto.ttl() != proto.ttl_seconds()) {
      violations.push_back({absl::StrCat(field, ".ttl"),
                            absl::StrCat("disagrees with ttl_seconds (", proto.ttl(), " vs ",
                                         proto.ttl_seconds(), "): set one, or both alike")});
    }
  } else {
    c.default_ttl = proto.ttl() == 0;
  }
  return c;
}

std::vector<RRsetChange> InitialRRsetsFromProto(
    const google::protobuf::RepeatedPtrField<v1::RRset>& rrsets,
    std::vector<FieldViolation>& violations) {
  std::vector<RRsetChange> out;
  out.reserve(rrsets.size());
  for (int i = 0; i < rrsets.size(); ++i) {
    out.push_back(ReplaceFromProto(rrsets[i], absl::StrCat("zone.rrsets[", i, "]"), violations));
  }
  return out;
}

std::vector<RRsetChange> ChangesFromProto(
    const google::protobuf::RepeatedPtrField<v1::RRsetChange>& changes,
    std::vector<FieldViolation>& violations) {
  std::vector<RRsetChange> out;
  out.reserve(changes.size());
  for (int i = 0; i < changes.size(); ++i) {
    const auto& change = changes[i];
    RRsetChange c =
        ReplaceFromProto(change.rrset(), absl::StrCat("changes[", i, "].rrset"), violations);
    switch (change.changetype()) {
      case v1::CHANGE_TYPE_REPLACE:
        break;
      case v1::CHANGE_TYPE_DELETE:
        c.type = ChangeType::kDelete;
        break;
      default:
        violations.push_back({absl::StrCat("changes[", i, "].changetype"),
                              "must be CHANGE_TYPE_REPLACE or CHANGE_TYPE_DELETE"});
    }
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<RequestKey> RequestKeyOf(const google::protobuf::Message& request,
                                        const std::string& request_id) {
  if (request_id.empty()) return RequestKey{};
  if (request_id.size() > 128) return InvalidField("request_id", "must be at most 128 characters");
  for (char c : request_id) {
    if (c < '!' || c > '~') {
      return InvalidField("request_id", "must be printable ASCII without spaces");
    }
  }
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* field = copy->GetDescriptor()->FindFieldByName("request_id");
  if (field != nullptr) copy->GetReflection()->ClearField(copy.get(), field);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  return RequestKey{request_id,
                    absl::StrFormat("%s:%016x", request.GetDescriptor()->name(), Fnv1a(bytes))};
}

}  // namespace dns

namespace dns {

std::optional<ServerMode> ServerModeFromProto(int mode) {
  switch (mode) {
    case v1::SERVER_MODE_SHARED_DB:
      return ServerMode::kSharedDb;
    case v1::SERVER_MODE_API:
      return ServerMode::kApi;
    default:
      return std::nullopt;
  }
}

Server ServerFromProto(const v1::Server& proto) {
  Server server;
  server.name = proto.name();
  server.api_url = proto.api_url();
  server.api_key = proto.api_key();
  server.dns_address = proto.dns_address();
  server.location = proto.location();
  server.capacity_qps = proto.capacity_qps();
  if (auto mode = ServerModeFromProto(proto.mode())) server.mode = *mode;
  server.maintenance = proto.maintenance();
  server.etag = proto.etag();
  return server;
}

void ServerToProto(const Server& server, v1::Server* proto) {
  using google::protobuf::util::TimeUtil;
  proto->set_name(server.name);
  proto->set_api_url(server.api_url);
  // api_key: input only, never set here.
  proto->set_dns_address(server.dns_address);
  proto->set_location(server.location);
  proto->set_capacity_qps(server.capacity_qps);
  proto->set_mode(server.mode == ServerMode::kSharedDb ? v1::SERVER_MODE_SHARED_DB
                                                       : v1::SERVER_MODE_API);
  proto->set_status(ServerStatusToProto(server.status));
  proto->set_version(server.version);
  if (server.last_check_time != absl::InfinitePast()) {
    *proto->mutable_last_check_time() =
        TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(server.last_check_time));
  }
  proto->set_maintenance(server.maintenance);
  proto->set_status_reason(server.status_reason);
  for (const auto& alert : server.active_alerts) proto->add_active_alerts(alert);
  v1::PropagationCounts* counts = proto->mutable_propagation_counts();
  counts->set_pending(server.propagation_counts.pending);
  counts->set_in_sync(server.propagation_counts.in_sync);
  counts->set_error(server.propagation_counts.error);
  counts->set_skipped(server.propagation_counts.skipped);
  proto->set_etag(server.etag);
  *proto->mutable_create_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(server.create_time));
  *proto->mutable_update_time() =
      TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(server.update_time));
  proto->set_last_error(server.last_error);
}

}  // namespace dns

namespace dns {
namespace {

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

google::protobuf::Duration DurationOf(absl::Duration d) {
  return google::protobuf::util::TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(d));
}

}  // namespace

v1::ServerStatus ServerStatusToProto(ServerStatus status) {
  switch (status) {
    case ServerStatus::kHealthy:
      return v1::SERVER_STATUS_HEALTHY;
    case ServerStatus::kDegraded:
      return v1::SERVER_STATUS_DEGRADED;
    case ServerStatus::kUnavailable:
      return v1::SERVER_STATUS_UNAVAILABLE;
    case ServerStatus::kMaintenance:
      return v1::SERVER_STATUS_MAINTENANCE;
    case ServerStatus::kUnspecified:
      break;
  }
  return v1::SERVER_STATUS_UNSPECIFIED;
}

void HealthReportToProto(const HealthReport& report, v1::HealthReport* proto) {
  proto->set_server(report.server);
  *proto->mutable_check_time() = TimestampOf(report.time);
  proto->set_status(ServerStatusToProto(report.status));
  proto->set_status_reason(report.status_reason);
  proto->set_version(report.version);
  for (const auto& c : report.checks) {
    v1::HealthCheck* out = proto->add_checks();
    out->set_name(c.name);
    out->set_passed(c.passed);
    if (c.value) out->set_value(*c.value);
    out->set_unit(c.unit);
    if (c.threshold) out->set_threshold(*c.threshold);
    *out->mutable_latency() = DurationOf(c.latency);
    out->set_message(c.message);
  }
  for (const auto& a : report.active_alerts) proto->add_active_alerts(a);
}

void MetricsToProto(const MetricsResult& result, absl::Duration step,
                    v1::GetServerMetricsResponse* proto) {
  for (const auto& series : result.series) {
    v1::MetricSeries* out = proto->add_series();
    out->set_name(series.name);
    out->set_unit(series.unit);
    for (const auto& p : series.points) {
      v1::MetricPoint* point = out->add_points();
      *point->mutable_time() = TimestampOf(p.time);
      point->set_avg(p.avg);
      point->set_max(p.max);
      point->set_count(p.count);
    }
  }
  *proto->mutable_step() = DurationOf(step);
  proto->set_sample_count(result.sample_count);
  proto->set_availability(result.availability);
}

void HealthEventToProto(const HealthEvent& event, v1::HealthEvent* proto) {
  proto->set_id(event.id);
  *proto->mutable_time() = TimestampOf(event.time);
  switch (event.type) {
    case HealthEventType::kStatusChanged:
      proto->set_type(v1::HEALTH_EVENT_TYPE_STATUS_CHANGED);
      proto->set_from_status(ServerStatusToProto(event.from_status));
      proto->set_to_status(ServerStatusToProto(event.to_status));
      break;
    case HealthEventType::kAlertRaised:
      proto->set_type(v1::HEALTH_EVENT_TYPE_ALERT_RAISED);
      break;
    case HealthEventType::kAlertCleared:
      proto->set_type(v1::HEALTH_EVENT_TYPE_ALERT_CLEARED);
      break;
    case HealthEventType::kCheckFailed:
      proto->set_type(v1::HEALTH_EVENT_TYPE_CHECK_FAILED);
      break;
    default:  // consistency events go to WatchConsistency only
      break;
  }
  proto->set_server(event.server);
  proto->set_reason(event.reason);
  proto->set_alert(event.alert);
  proto->set_value(event.value);
  proto->set_threshold(event.threshold);
}

std::optional<HealthEventType> HealthEventTypeFromProto(int type) {
  switch (type) {
    case v1::HEALTH_EVENT_TYPE_STATUS_CHANGED:
      return HealthEventType::kStatusChanged;
    case v1::HEALTH_EVENT_TYPE_ALERT_RAISED:
      return HealthEventType::kAlertRaised;
    case v1::HEALTH_EVENT_TYPE_ALERT_CLEARED:
      return HealthEventType::kAlertCleared;
    case v1::HEALTH_EVENT_TYPE_CHECK_FAILED:
      return HealthEventType::kCheckFailed;
    default:
      return std::nullopt;
  }
}

}  // namespace dns
