// A failover operation on model types: moving every record of a failed
// hosting address to its replacement, planned, committed and confirmed.
#ifndef DNS_COMMON_FAILOVER_H_
#define DNS_COMMON_FAILOVER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

// Which zones a failover looks at; exactly one way is set.
struct FailoverScope {
  bool all_zones = false;
  std::vector<std::string> zones;  // canonical
  std::string account;
  std::string customer_id;
  std::string hosting_service_id;
};

struct FailoverSpec {
  std::string from_ip;  // canonical (inet_ntop form)
  std::string to_ip;
  FailoverScope scope;
  bool apex_and_www_only = false;
  std::optional<uint32_t> ttl;
};

struct FailoverRRsetChange {
  RRset before;
  RRset after;
};

struct FailoverZoneChange {
  std::string zone;
  uint32_t serial = 0;  // when planned
  std::vector<FailoverRRsetChange> rrsets;
  uint32_t committed_serial = 0;  // 0 until committed
};

struct FailoverPlan {
  std::vector<FailoverZoneChange> zones;
  std::vector<std::string> unmatched_zones;
  int zones_in_scope = 0;
  int zones_changed = 0;  // zones.size() where the list is left out
  int rrsets_changed = 0;
  int records_changed = 0;
  int64_t fleet_records = 0;
  double fleet_share = 0;
  bool needs_force = false;
  std::string checksum;
};

enum class FailoverState { kPending, kPropagating, kSucceeded, kIncomplete, kFailed };

inline bool IsTerminal(FailoverState state) {
  return state == FailoverState::kSucceeded || state == FailoverState::kIncomplete ||
         state == FailoverState::kFailed;
}

enum class FailoverServerState { kPropagating, kConfirmed, kSkipped, kTimedOut };

struct FailoverServerProgress {
  std::string server;
  ServerMode mode = ServerMode::kApi;
  FailoverServerState state = FailoverServerState::kPropagating;
  int zones_pushed = 0;
  int zones_confirmed = 0;
  int zones_failed = 0;
  std::string detail;
  absl::Time confirm_time = absl::InfinitePast();

  friend bool operator==(const FailoverServerProgress&,
                         const FailoverServerProgress&) = default;
};

struct Failover {
  std::string id;
  std::string request_id;
  std::string requested_by;
  FailoverState state = FailoverState::kPending;
  FailoverSpec spec;
  bool forced = false;
  FailoverPlan plan;
  std::vector<FailoverServerProgress> servers;
  std::string error;
  absl::Time create_time = absl::InfinitePast();
  absl::Time commit_time = absl::InfinitePast();
  absl::Time end_time = absl::InfinitePast();
  std::string reverses;
  std::string reversed_by;
};

// One zone's RRsets that hold the failed address, as the store finds them.
struct FailoverCandidate {
  std::string zone;
  uint32_t serial = 0;
  std::vector<RRset> rrsets;  // A/AAAA RRsets holding from_ip (every record)
};

// What the store finds in a scope.
struct FailoverMatches {
  std::vector<FailoverCandidate> zones;  // every zone in scope, in name order
  int64_t fleet_records = 0;             // records of every zone
};

}  // namespace dns

#endif  // DNS_COMMON_FAILOVER_H_
