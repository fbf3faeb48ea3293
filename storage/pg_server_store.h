// ServerStore on PostgreSQL (dnsv1.servers). API keys are sealed with the
// SecretBox before they are written and opened only by ListServersWithKeys;
// every other read leaves the key column alone.
#ifndef DNS_STORAGE_PG_SERVER_STORE_H_
#define DNS_STORAGE_PG_SERVER_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "storage/connection_pool.h"
#include "storage/secret_box.h"
#include "storage/server_store.h"

namespace dns {

class PgServerStore : public ServerStore {
 public:
  PgServerStore(std::shared_ptr<ConnectionPool> pool, SecretBox box);

  // Errors carry reasons SERVER_ALREADY_EXISTS, SERVER_NOT_FOUND and
  // STALE_SERVER. A non-empty request_id makes Register/Update safe to
  // retry: a replay returns the server as it is now. The fingerprint is
  // extended with a keyed digest of the API key (the caller's fingerprint
  // must not cover the key itself: see RequestKeyOf in the service).
  absl::StatusOr<Server> RegisterServer(const Server& server, const RequestKey& key) override;
  absl::StatusOr<Server> GetServer(const std::string& name) override;
  absl::StatusOr<Page<Server>> ListServers(const ServerFilter& filter,
                                           const std::string& after_name, int limit) override;
  // Setting maintenance makes the status MAINTENANCE; clearing it makes the
  // status UNSPECIFIED (until the next check) and the server's pending zones
  // due at once. A new URL, key or DNS address also makes them due at once.
  absl::StatusOr<Server> UpdateServer(const std::string& name, const ServerUpdate& update,
                                      const std::string& expected_etag,
                                      const RequestKey& key) override;
  absl::Status DeregisterServer(const std::string& name, const WriteOrigin& origin) override;
  // Does not change the etag. A server in maintenance stays MAINTENANCE.
  absl::Status RecordCheck(const std::string& name, const ServerCheck& check) override;
  // A server whose key cannot be opened is left out (and logged); when none
  // can be opened the call fails with FAILED_PRECONDITION.
  absl::StatusOr<std::vector<Server>> ListServersWithKeys() override;
  absl::StatusOr<std::map<std::string, PropagationCounts>> CountPropagation(
      const std::vector<std::string>& servers) override;

  const SecretBox& box() const { return box_; }

 private:
  RequestKey KeyWithSecret(const RequestKey& key, const std::string* api_key) const;

  std::shared_ptr<ConnectionPool> pool_;
  const SecretBox box_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_SERVER_STORE_H_
