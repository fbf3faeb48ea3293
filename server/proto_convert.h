// Protobuf wire types <-> model types, for the handlers.
#ifndef DNS_SERVER_PROTO_CONVERT_H_
#define DNS_SERVER_PROTO_CONVERT_H_

#include <string>
#include <vector>

#include "dns/v1/record_service.pb.h"
#include "dns/v1/resources.pb.h"
#include "dns/v1/server_service.pb.h"
#include <optional>
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "common/health.h"
#include "common/model.h"
#include "common/status_details.h"
#include "google/protobuf/duration.pb.h"
#include "server/zone_manager.h"
#include "storage/zone_store.h"

namespace dns {

// INVALID_ARGUMENT for a kind outside the enum (an open proto3 enum keeps
// whatever number a client sends).
absl::StatusOr<Zone> ZoneFromProto(const v1::Zone& proto);
void ZoneToProto(const Zone& zone, v1::Zone* proto);
void PropagationToProto(const ServerPropagation& p, v1::ServerPropagation* proto);
// nullopt for UNSPECIFIED and unknown values.
std::optional<PropagationState> PropagationStateFromProto(int state);
// Replaces zone.propagation with `states`.
void FillZonePropagation(v1::Zone* zone, const std::vector<ServerPropagation>& states);
RRset RRsetFromProto(const v1::RRset& proto);
void RRsetToProto(const RRset& rrset, v1::RRset* proto);

// A REPLACE of `proto`. The TTL: `ttl_seconds` when set (0 included),
// else `ttl`, and neither means the service's default (`default_ttl`); the
// two set differently is a violation on `field`.ttl.
RRsetChange ReplaceFromProto(const v1::RRset& proto, const std::string& field,
                             std::vector<FieldViolation>& violations);
// CreateZone's zone.rrsets, as REPLACE changes.
std::vector<RRsetChange> InitialRRsetsFromProto(
    const google::protobuf::RepeatedPtrField<v1::RRset>& rrsets,
    std::vector<FieldViolation>& violations);

// Changes with CHANGE_TYPE_UNSPECIFIED are reported in `violations`.
std::vector<RRsetChange> ChangesFromProto(
    const google::protobuf::RepeatedPtrField<v1::RRsetChange>& changes,
    std::vector<FieldViolation>& violations);

// How a write waits for propagation: up to `wait` (a negative or invalid
// duration is INVALID_ARGUMENT on `field`), never past the call's deadline.
absl::StatusOr<WriteOptions> WriteOptionsOf(const std::string& request_id,
                                            const google::protobuf::Duration& wait,
                                            std::chrono::system_clock::time_point deadline,
                                            const std::string& field = "propagation_timeout");

// The request's request_id and a stable digest of everything else in it, so
// a reused id with a different payload is told apart from a retry.
// INVALID_ARGUMENT for an id that is too long or not printable.
absl::StatusOr<RequestKey> RequestKeyOf(const google::protobuf::Message& request, const std::string& request_id);

}  // namespace dns

namespace dns {

// ServerService. The API key is read on the way in and never written out.
// ServerFromProto leaves mode at its default: see ServerModeFromProto.
Server ServerFromProto(const v1::Server& proto);
void ServerToProto(const Server& server, v1::Server* proto);
// nullopt for SERVER_MODE_UNSPECIFIED and unknown values.
std::optional<ServerMode> ServerModeFromProto(int mode);
v1::ServerStatus ServerStatusToProto(ServerStatus status);

// Health.
void HealthReportToProto(const HealthReport& report, v1::HealthReport* proto);
void MetricsToProto(const MetricsResult& result, absl::Duration step,
                    v1::GetServerMetricsResponse* proto);
void HealthEventToProto(const HealthEvent& event, v1::HealthEvent* proto);
// nullopt for UNSPECIFIED, HEARTBEAT and unknown values.
std::optional<HealthEventType> HealthEventTypeFromProto(int type);

}  // namespace dns

#endif  // DNS_SERVER_PROTO_CONVERT_H_
