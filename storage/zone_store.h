// The source of truth for zones and RRsets. PgZoneStore is the real one;
// tests may fake it.
#ifndef DNS_STORAGE_ZONE_STORE_H_
#define DNS_STORAGE_ZONE_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/audit.h"
#include "common/model.h"
#include "common/status_details.h"

namespace dns {

// Identifies one logical write for safe retries. An empty request_id means
// "not idempotent". fingerprint is a digest of the request without the id.
// `origin` says who asked: the store records it in the audit trail.
struct RequestKey {
  std::string request_id;
  std::string fingerprint;
  WriteOrigin origin;
};

// A zone to create with all its RRsets (SOA and apex NS included). The
// store chooses the serial by the serial rule (dnsv1.next_serial): the
// day's date, or zone.serial when that is ahead (an imported file's), and
// writes it into the SOA.
struct NewZone {
  Zone zone;
  std::vector<RRset> rrsets;
};

// What every store answers for a zone that does not exist (and the scope
// guard for one outside a caller's accounts: the two must not differ).
inline absl::Status ZoneNotFoundError(const std::string& name) {
  return WithReason(absl::NotFoundError(absl::StrCat("zone ", name, " does not exist")),
                    "ZONE_NOT_FOUND");
}

struct ZoneFilter {
  std::string account;
  // Zones of any of these accounts (an account-scoped caller's); empty: any.
  std::vector<std::string> accounts_any;
  std::string customer_id;
  std::string hosting_service_id;
  std::string name_prefix;  // canonical lower-case, no trailing dot needed
  // Zones as they stand on this server (its propagation entry filled);
  // NOT_FOUND when it is not registered.
  std::string server;
  std::vector<PropagationState> states;  // with server; empty: any
};

struct RRsetFilter {
  std::string name;  // canonical absolute, or empty
  std::string type;  // upper-case, or empty
};

// Attributes of UpdateZone; unset fields are left alone.
struct ZoneUpdate {
  std::optional<ZoneKind> kind;
  std::optional<std::string> account;
  std::optional<std::string> customer_id;
  std::optional<std::string> hosting_service_id;
  std::optional<std::vector<std::string>> masters;
  std::optional<std::map<std::string, std::string>> labels;
  // Replaces the apex NS RRset and the SOA MNAME; bumps the serial.
  std::optional<std::vector<std::string>> nameservers;
};

template <typename T>
struct Page {
  std::vector<T> items;
  bool more = false;  // another page follows the last item
};

struct ChangeResult {
  uint32_t serial = 0;
  std::string etag;
  std::vector<ServerPropagation> propagation;  // filled by the domain layer
  std::string zone;                            // canonical; filled by the domain layer
  std::vector<RRsetChange> changes;            // canonical, as stored; the domain layer
};

// Preconditions a write checks under the zone's row lock.
struct Expectations {
  std::optional<uint32_t> serial;
  std::string etag;  // empty: any
};

class ZoneStore {
 public:
  virtual ~ZoneStore() = default;

  virtual absl::Status Ping(absl::Time deadline) = 0;

  virtual absl::StatusOr<Zone> CreateZone(const NewZone& zone, const RequestKey& key) = 0;
  virtual absl::StatusOr<Zone> GetZone(const std::string& name) = 0;
  virtual absl::StatusOr<Page<Zone>> ListZones(const ZoneFilter& filter,
                                               const std::string& after_name,
                                               int limit) = 0;
  virtual absl::StatusOr<Zone> UpdateZone(const std::string& name, const ZoneUpdate& update,
                                          const Expectations& expect,
                                          const RequestKey& key) = 0;
  // NOT_FOUND when missing (a replayed request_id answers OK).
  virtual absl::Status DeleteZone(const std::string& name, const Expectations& expect,
                                  const RequestKey& key) = 0;

  // Every RRset of the zone in (name, type) order, disabled records included.
  virtual absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string& zone) = 0;
  // The zone and all its RRsets (as GetZoneRRsets) from one snapshot.
  virtual absl::StatusOr<std::pair<Zone, std::vector<RRset>>> GetZoneWithRRsets(
      const std::string& name) = 0;
  virtual absl::StatusOr<Page<RRset>> ListRRsets(const std::string& zone,
                                                 const RRsetFilter& filter,
                                                 const std::string& after_name,
                                                 const std::string& after_type,
                                                 int limit) = 0;
  virtual absl::StatusOr<RRset> GetRRset(const std::string& zone, const std::string& name,
                                         const std::string& type) = 0;
  // The RRsets among `keys` ((name, type) pairs) that exist, in (name, type)
  // order.
  virtual absl::StatusOr<std::vector<RRset>> GetRRsets(
      const std::string& zone, const std::vector<std::pair<std::string, std::string>>& keys) = 0;
  // All changes or none; the serial moves once. Changes must be validated
  // and canonical; conflicts with stored data (CNAME next to other data) are
  // INVALID_ARGUMENT. `validate_only`: every check of a real write (zone,
  // expectations, conflicts), the result it would have, nothing kept.
  virtual absl::StatusOr<ChangeResult> ChangeRRsets(const std::string& zone,
                                                    const std::vector<RRsetChange>& changes,
                                                    const Expectations& expect,
                                                    const RequestKey& key,
                                                    bool validate_only) = 0;
};

}  // namespace dns

#endif  // DNS_STORAGE_ZONE_STORE_H_
