// The pure part of a failover: checking the request, turning what the store
// found into a plan (RRsets before and after, counts, the share of the
// fleet), its checksum, and saying how a reviewed plan differs from today's.
// Knows neither SQL nor protobuf.
#ifndef DNS_SERVER_FAILOVER_FAILOVER_PLAN_H_
#define DNS_SERVER_FAILOVER_FAILOVER_PLAN_H_

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "common/failover.h"
#include "server/domain/record_validator.h"

namespace dns {

// Canonicalises the addresses (inet_ntop form) and the scope's zone names,
// checks the TTL against `limits`; violations name the request's fields
// (from_ip, to_ip, scope.zones[2], ttl).
absl::StatusOr<FailoverSpec> CanonicalFailoverSpec(FailoverSpec raw,
                                                   const ValidationLimits& limits);

// (zone, name, type) of an RRset a failover changed.
using FailoverRRsetKey = std::tuple<std::string, std::string, std::string>;

// A finished failover in the other direction that this one undoes: where an
// RRset is still exactly as that failover left it, it gets back exactly
// what it had before (records and TTL).
struct FailoverReversal {
  std::string id;
  std::map<FailoverRRsetKey, FailoverRRsetChange> changes;
};

// `max_share`: the share of the fleet's records above which the plan needs
// force (0.10).
FailoverPlan BuildFailoverPlan(const FailoverSpec& spec, const FailoverMatches& matches,
                               double max_share, const FailoverReversal* reversal = nullptr);

// One line per changed zone: "zone serial digest-of-its-changes"; the plan's
// checksum is over the request and these lines.
std::vector<std::string> ZoneDigests(const FailoverPlan& plan);

// What differs between a reviewed plan's zone digests and today's, in a
// sentence or few ("2 zones differ: a.example. changed (serial 5 -> 7); …").
std::string DescribePlanDifference(const std::vector<std::string>& reviewed,
                                   const std::vector<std::string>& now);

}  // namespace dns

#endif  // DNS_SERVER_FAILOVER_FAILOVER_PLAN_H_
