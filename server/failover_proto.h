// FailoverService's wire types <-> the failover model.
#ifndef DNS_SERVER_FAILOVER_PROTO_H_
#define DNS_SERVER_FAILOVER_PROTO_H_

#include <optional>

#include "common/failover.h"
#include "dns/v1/failover_service.pb.h"

namespace dns {

// Raw (not canonical): the manager checks it.
FailoverSpec FailoverSpecFromProto(const v1::FailoverScope& scope, const std::string& from_ip,
                                   const std::string& to_ip, bool apex_and_www_only,
                                   std::optional<uint32_t> ttl);
void FailoverPlanToProto(const FailoverPlan& plan, const FailoverSpec& spec,
                         v1::FailoverPlan* proto);
void FailoverToProto(const Failover& op, v1::Failover* proto);
// nullopt for UNSPECIFIED; unknown values too.
std::optional<FailoverState> FailoverStateFromProto(int state);

}  // namespace dns

#endif  // DNS_SERVER_FAILOVER_PROTO_H_
