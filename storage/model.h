// Plain DNS entities shared by storage, domain logic and services. They know
// neither SQL nor protobuf. Names are absolute, lower-case, with the trailing
// dot ("www.example.com."), exactly as the API shows them.
#ifndef DNS_STORAGE_MODEL_H_
#define DNS_STORAGE_MODEL_H_

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
};

enum class ChangeType { kReplace, kDelete };

struct RRsetChange {
  ChangeType type = ChangeType::kReplace;
  RRset rrset;  // for kDelete only name and type matter
};

}  // namespace dns

#endif  // DNS_STORAGE_MODEL_H_
