// Plain DNS entities shared by storage, domain logic and services. They know
// neither SQL nor protobuf. Names are absolute, lower-case, with the trailing
// dot ("www.example.com."), exactly as the API shows them.
#ifndef DNS_COMMON_MODEL_H_
#define DNS_COMMON_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dns {

enum class ZoneKind { kNative, kMaster, kSlave };

struct Record {
  // Presentation format as the PowerDNS API takes it, MX/SRV priority
  // included ("10 mail.example.com.").
  std::string content;
  bool disabled = false;

  friend bool operator==(const Record&, const Record&) = default;
};

struct RRset {
  std::string name;  // absolute, lower-case, trailing dot
  std::string type;  // upper-case mnemonic
  uint32_t ttl = 0;
  std::vector<Record> records;

  friend bool operator==(const RRset&, const RRset&) = default;
};

// SOA fields the service writes; serial is owned by the storage layer.
struct SoaTimers {
  uint32_t refresh = 10800;
  uint32_t retry = 3600;
  uint32_t expire = 604800;
  uint32_t minimum = 3600;  // negative-caching TTL
};

enum class PropagationState { kPending, kInSync, kError, kSkipped };

// Where one server stands with one zone.
struct ServerPropagation {
  std::string server;
  PropagationState state = PropagationState::kPending;
  uint32_t desired_serial = 0;
  uint32_t applied_serial = 0;
  std::string last_error;
  int attempts = 0;
  absl::Time update_time;
};

struct Zone {
  std::string name;  // absolute, lower-case, trailing dot
  ZoneKind kind = ZoneKind::kNative;
  std::string account;
  std::string customer_id;
  std::string hosting_service_id;
  std::vector<std::string> nameservers;  // absolute
  std::vector<std::string> masters;
  std::map<std::string, std::string> labels;
  uint32_t serial = 0;
  std::string etag;
  absl::Time create_time;
  absl::Time update_time;
  // Output only: each server's state for this zone, where asked for.
  std::vector<ServerPropagation> propagation;
};

enum class ChangeType { kReplace, kDelete };

struct RRsetChange {
  ChangeType type = ChangeType::kReplace;
  RRset rrset;  // for kDelete only name and type matter
  // No TTL was given: the service's default applies. (A TTL given as 0 is
  // a TTL of 0, held to the minimum like any other.)
  bool default_ttl = false;
};

enum class ServerMode { kSharedDb, kApi };

enum class ServerStatus { kUnspecified, kHealthy, kDegraded, kUnavailable, kMaintenance };

// "HEALTHY", as the database and the logs spell it.
inline const char* ServerStatusName(ServerStatus status) {
  switch (status) {
    case ServerStatus::kHealthy:
      return "HEALTHY";
    case ServerStatus::kDegraded:
      return "DEGRADED";
    case ServerStatus::kUnavailable:
      return "UNAVAILABLE";
    case ServerStatus::kMaintenance:
      return "MAINTENANCE";
    case ServerStatus::kUnspecified:
      break;
  }
  return "UNSPECIFIED";
}

inline ServerStatus ServerStatusFromName(const std::string& name) {
  if (name == "HEALTHY") return ServerStatus::kHealthy;
  if (name == "DEGRADED") return ServerStatus::kDegraded;
  if (name == "UNAVAILABLE") return ServerStatus::kUnavailable;
  if (name == "MAINTENANCE") return ServerStatus::kMaintenance;
  return ServerStatus::kUnspecified;
}

struct PropagationCounts {
  int64_t pending = 0;
  int64_t in_sync = 0;
  int64_t error = 0;
  int64_t skipped = 0;
};

// A registered PowerDNS server. api_key is the plain key: filled only where
// the service itself needs it (talking to the server), never on the way out.
struct Server {
  std::string name;
  std::string api_url;
  std::string api_key;
  std::string dns_address;  // host:port
  std::string location;
  uint32_t capacity_qps = 0;
  ServerMode mode = ServerMode::kApi;
  bool maintenance = false;
  ServerStatus status = ServerStatus::kUnspecified;
  std::string version;
  std::string last_error;
  // Why the status is what it is; the health alerts standing now.
  std::string status_reason;
  std::vector<std::string> active_alerts;
  absl::Time last_check_time = absl::InfinitePast();
  std::string etag;
  absl::Time create_time;
  absl::Time update_time;
  // Zones by propagation state on this server (GetServer, ListServers).
  PropagationCounts propagation_counts;
};

}  // namespace dns

#endif  // DNS_COMMON_MODEL_H_
