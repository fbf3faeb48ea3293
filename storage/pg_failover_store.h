#ifndef DNS_STORAGE_PG_FAILOVER_STORE_H_
#define DNS_STORAGE_PG_FAILOVER_STORE_H_

#include <memory>

#include "storage/connection_pool.h"
#include "storage/failover_store.h"

namespace dns {

class PgFailoverStore final : public FailoverStore {
 public:
  explicit PgFailoverStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

  absl::StatusOr<FailoverMatches> FindMatches(const FailoverSpec& spec) override;
  absl::StatusOr<std::pair<Failover, bool>> Create(const Failover& op,
                                                   const FailoverCreate& extra,
                                                   const std::string& owner,
                                                   absl::Duration lease) override;
  absl::StatusOr<std::optional<Failover>> FindByRequestId(const std::string& request_id,
                                                         const std::string& fingerprint) override;
  absl::StatusOr<Failover> Commit(const std::string& id, const std::string& owner) override;
  absl::Status Update(const Failover& op, const std::string& owner) override;
  absl::StatusOr<bool> Renew(const std::string& id, const std::string& owner,
                             absl::Duration lease) override;
  absl::StatusOr<std::vector<std::string>> ClaimOrphans(const std::string& owner,
                                                        absl::Duration lease) override;
  absl::Status Release(const std::string& id, const std::string& owner) override;
  absl::StatusOr<Failover> Get(const std::string& id, bool with_zones) override;
  absl::StatusOr<Page<Failover>> List(const FailoverListFilter& filter,
                                      const std::string& after_id, int limit) override;
  absl::Status SavePlan(const std::string& checksum,
                        const std::vector<std::string>& zone_digests) override;
  absl::StatusOr<std::vector<std::string>> LoadPlan(const std::string& checksum) override;
  absl::StatusOr<Failover> ReversibleFor(const std::string& from_ip,
                                         const std::string& to_ip) override;
  absl::StatusOr<int64_t> Prune(absl::Duration plan_age, absl::Duration operation_age) override;
  absl::StatusOr<std::vector<ClaimedZone>> ClaimedZones(const std::string& id,
                                                        const std::string& server,
                                                        const std::string& owner) override;
  absl::Status RecordClaimed(const std::string& server, const std::string& owner,
                             const std::vector<ClaimedZone>& applied,
                             const std::vector<ClaimedZone>& released) override;
  absl::StatusOr<std::vector<FailoverServerCounts>> Progress(const std::string& id) override;
  absl::StatusOr<std::vector<std::pair<std::string, uint32_t>>> AppliedSince(
      const std::string& id, const std::string& server, absl::Time since) override;

 private:
  std::shared_ptr<ConnectionPool> pool_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_FAILOVER_STORE_H_
