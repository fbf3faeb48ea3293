// The domain logic of ZoneService and RecordService on model types: input
// canonicalisation and validation, SOA/NS construction, import/export and
// pagination. Knows neither SQL nor protobuf.
#ifndef DNS_SERVER_ZONE_MANAGER_H_
#define DNS_SERVER_ZONE_MANAGER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/domain/record_validator.h"
#include "server/propagation_control.h"
#include "common/model.h"
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

// How a write treats propagation once committed.
struct WriteOptions {
  std::string request_id;  // for the logs and PowerDNS calls made for it
  // > 0: the caller waits up to this long (and never past `deadline`) for
  // the servers; the write then leaves the states out and the edge waits
  // (PropagationControl::WaitAsync). 0: the states are read at commit.
  absl::Duration wait = absl::ZeroDuration();
  absl::Time deadline = absl::InfiniteFuture();
  // AIP-163: the call's full checks and answer, nothing written or pushed.
  bool validate_only = false;
};

struct SyncResult {
  std::string zone;  // canonical
  uint32_t serial = 0;
  // The states at the request (before the servers acted on it).
  std::vector<ServerPropagation> propagation;
};

// A hosting domain as PRAHO provisions it: the zone (name = the domain,
// account and ids, nameservers, labels), the hosting server's addresses for
// the apex and www, and further RRsets. Violations name the request's
// fields (domain, ip, ipv6, rrsets[i], nameservers[i]).
struct ProvisionRequest {
  Zone zone;
  std::string ip;
  std::string ipv6;
  std::optional<uint32_t> ttl;  // of the apex/www records; unset: the default
  std::vector<RRsetChange> rrsets;
};

class ZoneManager {
 public:
  // `propagation` may be null (no fleet: writes stop at commit).
  ZoneManager(ZoneStore& store, ZoneDefaults defaults,
              PropagationControl* propagation = nullptr);

  // With w.validate_only every check (the name free included), nothing
  // written. `initial` RRsets (REPLACEs, not SOA nor the apex NS, which come from
  // the zone's nameservers) are committed with the zone under its first
  // serial; violations name them `zone.rrsets[i]`.
  absl::StatusOr<Zone> CreateZone(Zone zone, const RequestKey& key, const WriteOptions& w = {},
                                  std::vector<RRsetChange> initial = {});
  // The zone with apex and www A/AAAA and the given RRsets under one serial
  // (CreateZone); idempotent by request id like it.
  absl::StatusOr<Zone> ProvisionDomain(ProvisionRequest request, const RequestKey& key,
                                       const WriteOptions& w = {});
  absl::StatusOr<Zone> ImportZone(Zone zone, const std::string& zone_file,
                                  const RequestKey& key, const WriteOptions& w = {});
  // Adopts a zone as the registered server `server` serves it.
  absl::StatusOr<Zone> ImportZoneFromServer(Zone zone, const std::string& server,
                                            const RequestKey& key, const WriteOptions& w = {});
  // With each server's propagation state.
  absl::StatusOr<Zone> GetZone(const std::string& name);
  // GetZone plus every RRset, the zone and its RRsets from one snapshot.
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> GetZoneWithRRsets(const std::string& name);
  // Requests a full push to the servers (all when empty) and starts it.
  absl::StatusOr<SyncResult> SyncZone(const std::string& name,
                                      const std::vector<std::string>& servers,
                                      const WriteOptions& w);
  absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string& name);
  absl::StatusOr<ListResult<Zone>> ListZones(const ListZonesQuery& query);
  absl::StatusOr<Zone> UpdateZone(const ZonePatch& patch, const RequestKey& key,
                                  const WriteOptions& w = {});
  // The canonical name of the deleted zone ("" when it was missing and
  // allow_missing).
  absl::StatusOr<std::string> DeleteZone(const std::string& name, const std::string& etag,
                                         bool allow_missing, const RequestKey& key,
                                         const WriteOptions& w = {});
  // The zone-file text and the serial it shows.
  absl::StatusOr<std::pair<std::string, uint32_t>> ExportZone(const std::string& name);

  absl::StatusOr<ListResult<RRset>> ListRRsets(const ListRRsetsQuery& query);
  absl::StatusOr<RRset> GetRRset(const std::string& zone, const std::string& name,
                                 const std::string& type);
  absl::StatusOr<ChangeResult> ChangeRRsets(const std::string& zone,
                                            std::vector<RRsetChange> changes,
                                            const Expectations& expect, const RequestKey& key,
                                            const WriteOptions& w = {});

  const ZoneDefaults& defaults() const { return defaults_; }
  // Null without a fleet.
  PropagationControl* propagation() const { return propagation_; }

 private:
  // validate_only: ALREADY_EXISTS when the zone exists.
  absl::Status CheckNameFree(const std::string& zone);
  // validate_only: the zone as stored, NOT_FOUND, or STALE_ZONE when `etag`
  // (if given) is not its etag.
  absl::StatusOr<Zone> CheckCurrent(const std::string& zone, const std::string& etag);
  // A STALE_ZONE error with the zone's current serial and etag in its
  // metadata, so the caller can re-read and retry without parsing text.
  absl::Status WithCurrentState(absl::Status status, const std::string& zone);
  // The store's CNAME conflict named after the change that caused it
  // (changes[3]).
  static absl::Status NameConflict(absl::Status status, const std::vector<RRsetChange>& changes);
  // Fills zone.propagation from the propagation control, if there is one.
  absl::Status AttachPropagation(Zone& zone);
  // Canonicalises and checks the writable attributes; `prefix` is the proto
  // path of the zone message ("zone").
  std::vector<FieldViolation> NormalizeAttributes(Zone& zone, const std::string& prefix,
                                                  bool check_nameservers);
  // The names the service derives for a zone (its SOA contact) checked as
  // any name is: a zone whose SOA no server would accept is refused.
  std::vector<FieldViolation> CheckDerivedNames(const Zone& zone) const;
  // Canonicalises CreateZone's initial RRsets in place.
  std::vector<FieldViolation> CheckInitialRRsets(const std::string& zone,
                                                 std::vector<RRsetChange>& initial) const;
  RRset MakeSoa(const Zone& zone) const;
  RRset MakeNs(const Zone& zone) const;
  // Validates and stores a whole zone from another source (file, server).
  // `source_field` names the request field violations point at.
  absl::StatusOr<Zone> ImportRRsets(Zone zone, std::vector<RRset> rrsets,
                                    const std::string& source_field, const RequestKey& key,
                                    const WriteOptions& w);
  // After a commit: start propagation; unless the caller will wait for it,
  // return the servers' states now (empty without a fleet).
  std::vector<ServerPropagation> AfterWrite(const std::string& zone, uint32_t serial,
                                            bool deleted, const WriteOptions& w);

  ZoneStore& store_;
  const ZoneDefaults defaults_;
  PropagationControl* const propagation_;
};

// "admin@example.net" or "admin.example.net" → "admin.example.net.".
absl::StatusOr<std::string> CanonicalHostmaster(absl::string_view input, absl::string_view zone);

}  // namespace dns

#endif  // DNS_SERVER_ZONE_MANAGER_H_
