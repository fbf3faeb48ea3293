// ZoneStore on PostgreSQL, writing PowerDNS's gpgsql tables directly so a
// pdns_server with launch=gpgsql serves what was committed.
#ifndef DNS_STORAGE_PG_ZONE_STORE_H_
#define DNS_STORAGE_PG_ZONE_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/zone_store.h"

namespace dns {

class PgZoneStore : public ZoneStore {
 public:
  // The pool should be created with PgZoneStore::PrepareConnection as its
  // on_connect hook.
  explicit PgZoneStore(std::shared_ptr<ConnectionPool> pool);

  static void PrepareConnection(pqxx::connection& conn);

  absl::Status Ping(absl::Time deadline) override;
  absl::StatusOr<Zone> CreateZone(const NewZone& zone, const RequestKey& key) override;
  absl::StatusOr<Zone> GetZone(const std::string& name) override;
  absl::StatusOr<Page<Zone>> ListZones(const ZoneFilter& filter, const std::string& after_name,
                                       int limit) override;
  absl::StatusOr<Zone> UpdateZone(const std::string& name, const ZoneUpdate& update,
                                  const Expectations& expect, const RequestKey& key) override;
  absl::Status DeleteZone(const std::string& name, const Expectations& expect,
                          const RequestKey& key) override;
  absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string& zone) override;
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> GetZoneWithRRsets(
      const std::string& name) override;
  absl::StatusOr<Page<RRset>> ListRRsets(const std::string& zone, const RRsetFilter& filter,
                                         const std::string& after_name,
                                         const std::string& after_type, int limit) override;
  absl::StatusOr<RRset> GetRRset(const std::string& zone, const std::string& name,
                                 const std::string& type) override;
  absl::StatusOr<std::vector<RRset>> GetRRsets(
      const std::string& zone,
      const std::vector<std::pair<std::string, std::string>>& keys) override;
  absl::StatusOr<ChangeResult> ChangeRRsets(const std::string& zone,
                                            const std::vector<RRsetChange>& changes,
                                            const Expectations& expect,
                                            const RequestKey& key,
                                            bool validate_only) override;

 private:

  std::shared_ptr<ConnectionPool> pool_;
};

// The etag of a zone at `version`; ParseEtag inverts it.
std::string FormatEtag(int64_t version);
absl::StatusOr<int64_t> ParseEtag(const std::string& etag);

}  // namespace dns

#endif  // DNS_STORAGE_PG_ZONE_STORE_H_
