// Consistency as the domain sees it: what a check of the truth against a
// server finds, and what a reconcile would do about it. Knows neither SQL
// nor protobuf.
#ifndef DNS_COMMON_CONSISTENCY_H_
#define DNS_COMMON_CONSISTENCY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

enum class ConsistencyDepth { kZones = 1, kSerials = 2, kContent = 3 };

enum class FindingKind {
  kZoneMissing = 1,
  kZoneExtra = 2,
  kSerialBehind = 3,
  kSerialAhead = 4,
  kRRsetMissing = 5,
  kRRsetExtra = 6,
  kRRsetDifferent = 7,
  kCheckFailed = 8,
};

inline const char* FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kZoneMissing:
      return "ZONE_MISSING";
    case FindingKind::kZoneExtra:
      return "ZONE_EXTRA";
    case FindingKind::kSerialBehind:
      return "SERIAL_BEHIND";
    case FindingKind::kSerialAhead:
      return "SERIAL_AHEAD";
    case FindingKind::kRRsetMissing:
      return "RRSET_MISSING";
    case FindingKind::kRRsetExtra:
      return "RRSET_EXTRA";
    case FindingKind::kRRsetDifferent:
      return "RRSET_DIFFERENT";
    case FindingKind::kCheckFailed:
      return "CHECK_FAILED";
  }
  return "CHECK_FAILED";
}

inline FindingKind FindingKindFromName(const std::string& name) {
  for (FindingKind k : {FindingKind::kZoneMissing, FindingKind::kZoneExtra,
                        FindingKind::kSerialBehind, FindingKind::kSerialAhead,
                        FindingKind::kRRsetMissing, FindingKind::kRRsetExtra,
                        FindingKind::kRRsetDifferent}) {
    if (name == FindingKindName(k)) return k;
  }
  return FindingKind::kCheckFailed;
}

struct Finding {
  std::string server;
  std::string zone;  // empty: the whole server could not be read
  FindingKind kind = FindingKind::kCheckFailed;
  uint32_t truth_serial = 0;
  uint32_t server_serial = 0;
  // RRset findings: both sides (name and type only on the side missing it).
  RRset truth_rrset;
  RRset server_rrset;
  PropagationState propagation = PropagationState::kPending;
  // Not in sync: since when (InfinitePast when in sync or unknown).
  absl::Time pending_since = absl::InfinitePast();
  std::string detail;
};

// Which zones of the truth a check or reconcile covers; all given filters
// must match.
struct ConsistencyScope {
  std::vector<std::string> zones;  // canonical absolute names
  std::string name_prefix;         // canonical lower-case
  std::string account;
  // Zones on a server but not in the truth are "extra" only when the scope
  // can say they would be in it: an account says nothing about them.
  bool CoversExtraZones() const { return account.empty(); }
};

struct ServerCheckSummary {
  std::string server;
  ServerMode mode = ServerMode::kApi;
  ConsistencyDepth depth = ConsistencyDepth::kSerials;
  int64_t zones_checked = 0;
  int64_t findings = 0;
  int64_t zones_differing = 0;
  bool complete = true;
  std::string error;
  absl::Duration duration;
};

struct CheckSummary {
  ConsistencyDepth depth = ConsistencyDepth::kSerials;
  int64_t zones_in_scope = 0;
  int64_t findings = 0;
  std::vector<ServerCheckSummary> servers;
  absl::Duration duration;
};

enum class ReconcileActionType { kCreateZone = 1, kSyncZone = 2, kDeleteZone = 3, kKeepExtraZone = 4 };

struct ReconcileAction {
  std::string zone;
  ReconcileActionType type = ReconcileActionType::kSyncZone;
  uint32_t truth_serial = 0;
  uint32_t server_serial = 0;
  std::vector<RRset> replace;
  std::vector<RRset> remove;  // name and type
  std::string reason;
};

struct ReconcileResult {
  std::string server;
  bool dry_run = true;
  ConsistencyDepth depth = ConsistencyDepth::kContent;
  std::vector<ReconcileAction> actions;  // at most the listing's bound
  int64_t actions_total = 0;
  int64_t zones_checked = 0;
  int64_t event_id = 0;
  std::string request_id;
};

// A drift the sweeps keep track of (one per server and zone), so that an
// event is raised when it appears and when it goes, not every sweep.
struct Drift {
  std::string server;
  std::string zone;
  FindingKind kind = FindingKind::kSerialBehind;
  uint32_t truth_serial = 0;
  uint32_t server_serial = 0;
  std::string detail;
};

}  // namespace dns

#endif  // DNS_COMMON_CONSISTENCY_H_
