// Consistency's protobuf wire types <-> model types, for the handlers.
#ifndef DNS_SERVER_CONSISTENCY_PROTO_H_
#define DNS_SERVER_CONSISTENCY_PROTO_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/consistency.h"
#include "common/health.h"
#include "common/status_details.h"
#include "dns/v1/server_service.pb.h"

namespace dns {

// nullopt for UNSPECIFIED and unknown values.
std::optional<FindingKind> FindingKindFromProto(int kind);
// UNSPECIFIED gives `fallback`; unknown values are a violation on `field`.
std::optional<ConsistencyDepth> DepthFromProto(int depth, ConsistencyDepth fallback);
v1::ConsistencyDepth DepthToProto(ConsistencyDepth depth);

// The zone scope of a check or reconcile; violations named after the
// request's fields.
ConsistencyScope ScopeFromProto(const google::protobuf::RepeatedPtrField<std::string>& zones,
                                const std::string& name_prefix, const std::string& account,
                                std::vector<FieldViolation>& violations);

void FindingToProto(const Finding& finding, v1::ConsistencyFinding* proto);
void CheckSummaryToProto(const CheckSummary& summary, v1::ConsistencySummary* proto);
void ReconcileResultToProto(const ReconcileResult& result, v1::ReconcileServerResponse* proto);
void ConsistencyEventToProto(const HealthEvent& event, v1::ConsistencyEvent* proto);

}  // namespace dns

#endif  // DNS_SERVER_CONSISTENCY_PROTO_H_
