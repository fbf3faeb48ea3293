#ifndef DNS_STORAGE_PG_CONSISTENCY_STORE_H_
#define DNS_STORAGE_PG_CONSISTENCY_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/consistency_store.h"

namespace dns {

class PgConsistencyStore final : public ConsistencyStore {
 public:
  explicit PgConsistencyStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<Page<ZoneSerial>> ListZoneSerials(const ConsistencyScope& scope,
                                                   const std::string& after, int limit) override;
  absl::StatusOr<std::map<std::string, std::vector<RRset>>> GetRRsetsOfZones(
      const std::vector<std::string>& zones) override;
  absl::StatusOr<std::map<std::string, ZonePropagation>> GetServerPropagation(
      const std::string& server, const std::vector<std::string>& zones) override;
  absl::StatusOr<std::vector<Drift>> ListDrifts(const std::string& server) override;
  absl::StatusOr<int> RecordDrifts(const std::string& server, const std::vector<Drift>& found,
                                   const std::vector<Drift>& resolved) override;
  absl::StatusOr<std::optional<ReconcileResult>> FindReconcile(const RequestKey& key) override;
  absl::StatusOr<ReconcileResult> ApplyReconcile(const ReconcileApply& apply) override;

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_CONSISTENCY_STORE_H_
