// The domain logic of ServerService on model types: input validation, the
// registration check against the candidate's PowerDNS API, pagination, and
// telling the propagator that the registry changed. Knows neither SQL nor
// protobuf.
//
// API keys: read from the input, handed to the store (which seals them) and
// to the one-off check client; never logged and never in a status message.
#ifndef DNS_SERVER_SERVER_MANAGER_H_
#define DNS_SERVER_SERVER_MANAGER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/executor.h"
#include "client/pdns_client_pool.h"
#include "server/domain/server_name.h"
#include "server/zone_manager.h"
#include "common/model.h"
#include "storage/server_store.h"

namespace dns {

struct ServerCheckOptions {
  // The whole check (connect + answer) of a candidate server.
  absl::Duration timeout = absl::Seconds(3);
  // Makes the one-off client for a check; null: pdns::MakeHttpPdnsClient.
  pdns::PdnsClientPool::Factory client_factory;
  // For https API URLs.
  bool verify_tls = true;
  std::string ca_cert_path;
};

// RegisterServer's input.
struct ServerRegistration {
  Server server;  // name, api_url, api_key, dns_address, location, capacity_qps, maintenance
  std::optional<ServerMode> mode;  // nullopt: not given (a violation)
  // Register without asking the server's API (for servers not up yet).
  bool skip_check = false;
};

// The fields of `server` named by `paths` (api_url, api_key, dns_address,
// location, capacity_qps, maintenance) are applied to the server
// `server.name`; `server.etag`, if set, must be current.
struct ServerPatch {
  Server server;
  std::vector<std::string> paths;
};

struct ListServersQuery {
  ServerFilter filter;
  int page_size = 0;
  std::string page_token;
};

// What a call contributes to the PowerDNS calls made for it.
struct ServerCallOptions {
  std::string request_id;
  absl::Time deadline = absl::InfiniteFuture();
};

class ServerManager {
 public:
  // `on_change` (may be empty) runs after every successful register, update
  // and deregister, so that the propagator reloads the registry.
  explicit ServerManager(ServerStore& store, std::function<void()> on_change = {},
                         ServerCheckOptions options = {});
  ~ServerManager();

  ServerManager(const ServerManager&) = delete;
  ServerManager& operator=(const ServerManager&) = delete;

  // Unless skip_check, asks the server's API for its version first: a server
  // that does not answer, or refuses the key, is not stored
  // (FAILED_PRECONDITION, reason SERVER_CHECK_FAILED). The stored version
  // and status (HEALTHY) are what the check found.
  absl::StatusOr<Server> RegisterServer(ServerRegistration registration, const RequestKey& key,
                                        const ServerCallOptions& call = {});
  // With the zones' propagation counts on the server.
  absl::StatusOr<Server> GetServer(const std::string& name);
  absl::StatusOr<ListResult<Server>> ListServers(const ListServersQuery& query);
  // After a new URL or key, or leaving maintenance, the server is checked
  // again (best effort: the update stands whatever the check finds, and
  // status, version and last_error show the outcome).
  absl::StatusOr<Server> UpdateServer(const ServerPatch& patch, const RequestKey& key,
                                      const ServerCallOptions& call = {});
  absl::Status DeregisterServer(const std::string& name, bool allow_missing,
                                const WriteOrigin& origin);

  // Asks `server`'s API (with server.api_key) for its version. The errors
  // are FAILED_PRECONDITION (reason SERVER_CHECK_FAILED) with a message
  // that names the URL and never the key; INVALID_ARGUMENT on
  // server.api_url when the URL cannot be used.
  absl::StatusOr<std::string> CheckApi(const Server& server, const ServerCallOptions& call);

 private:
  // Every Server answered carries its zones' propagation counts.
  void AddCounts(std::vector<Server>& servers);
  absl::StatusOr<Server> WithCounts(absl::StatusOr<Server> server);
  // Checks again and records the outcome; returns the server as stored then.
  absl::StatusOr<Server> Recheck(Server server, const ServerCallOptions& call);
  void Changed();

  ServerStore& store_;
  const std::function<void()> on_change_;
  const ServerCheckOptions options_;
  // Runs the check clients' calls; declared last so it outlives nothing
  // that uses it.
  Executor executor_;
};

// Input rules, exposed for tests. Each returns a description of what is
// wrong (never echoing an API key), or nullopt when the value is fine.
// (CheckServerName: server/domain/server_name.h.)
// On success *canonical is the URL as stored (scheme and host lower-case,
// no trailing '/').
std::optional<std::string> CheckApiUrl(absl::string_view url, std::string* canonical);
std::optional<std::string> CheckApiKey(absl::string_view key);
std::optional<std::string> CheckDnsAddress(absl::string_view address);
std::optional<std::string> CheckLocation(absl::string_view location);
std::optional<std::string> CheckCapacity(uint32_t capacity_qps);

}  // namespace dns

#endif  // DNS_SERVER_SERVER_MANAGER_H_
