// The domain logic of ZoneService and RecordService on model types: input
// canonicalisation and validation, SOA/NS construction, import/export and
// pagination. Knows neither SQL nor protobuf.
#ifndef DNS_SERVER_ZONE_MANAGER_H_
#define DNS_SERVER_ZONE_MANAGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/domain/record_validator.h"
#include "storage/model.h"
#include "storage/zone_store.h"

namespace dns {

struct ZoneDefaults {
  // Used when CreateZone names no nameservers (absolute names).
  std::vector<std::string> nameservers;
  // SOA RNAME; empty means "hostmaster.<zone>". "admin@example.net" and
  // "admin.example.net." are both accepted.
  std::string hostmaster;
  SoaTimers soa;
  uint32_t soa_ttl = 3600;
  uint32_t ns_ttl = 3600;
  ValidationLimits limits;
};

template <typename T>
struct ListResult {
  std::vector<T> items;
  std::string next_page_token;
};

struct ListZonesQuery {
  ZoneFilter filter;  // raw input; canonicalised by the manager
  int page_size = 0;
  std::string page_token;
};

struct ListRRsetsQuery {
  std::string zone;
  std::string name;
  std::string type;
  int page_size = 0;
  std::string page_token;
};

// The writable part of a zone plus the mask of fields UpdateZone changes
// (proto field names: kind, account, customer_id, hosting_service_id, labels,
// masters, nameservers).
struct ZonePatch {
  Zone zone;
  std::vector<std::string> paths;
};

class ZoneManager {
 public:
  ZoneManager(ZoneStore& store, ZoneDefaults defaults);

  absl::StatusOr<Zone> CreateZone(Zone zone, const RequestKey& key);
  absl::StatusOr<Zone> ImportZone(Zone zone, const std::string& zone_file,
                                  const RequestKey& key);
  absl::StatusOr<Zone> GetZone(const std::string& name);
  absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string& name);
  absl::StatusOr<ListResult<Zone>> ListZones(const ListZonesQuery& query);
  absl::StatusOr<Zone> UpdateZone(const ZonePatch& patch, const RequestKey& key);
  absl::Status DeleteZone(const std::string& name, const std::string& etag, bool allow_missing,
                          const RequestKey& key);
  // The zone-file text and the serial it shows.
  absl::StatusOr<std::pair<std::string, uint32_t>> ExportZone(const std::string& name);

  absl::StatusOr<ListResult<RRset>> ListRRsets(const ListRRsetsQuery& query);
  absl::StatusOr<RRset> GetRRset(const std::string& zone, const std::string& name,
                                 const std::string& type);
  absl::StatusOr<ChangeResult> ChangeRRsets(const std::string& zone,
                                            std::vector<RRsetChange> changes,
                                            const Expectations& expect, const RequestKey& key);

  const ZoneDefaults& defaults() const { return defaults_; }

 private:
  // Canonicalises and checks the writable attributes; `prefix` is the proto
  // path of the zone message ("zone").
  std::vector<FieldViolation> NormalizeAttributes(Zone& zone, const std::string& prefix,
                                                  bool check_nameservers);
  RRset MakeSoa(const Zone& zone) const;
  RRset MakeNs(const Zone& zone) const;

  ZoneStore& store_;
  const ZoneDefaults defaults_;
};

// "admin@example.net" or "admin.example.net" → "admin.example.net.".
absl::StatusOr<std::string> CanonicalHostmaster(absl::string_view input, absl::string_view zone);

}  // namespace dns

#endif  // DNS_SERVER_ZONE_MANAGER_H_
