// The registry of PowerDNS servers.
#ifndef DNS_STORAGE_SERVER_STORE_H_
#define DNS_STORAGE_SERVER_STORE_H_

#include <optional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model.h"
#include "storage/zone_store.h"

namespace dns {

struct ServerFilter {
  std::string location;
  std::optional<ServerMode> mode;
};

// UpdateServer's fields; unset ones are left alone.
struct ServerUpdate {
  std::optional<std::string> api_url;
  std::optional<std::string> api_key;  // plain; sealed by the store
  std::optional<std::string> dns_address;
  std::optional<std::string> location;
  std::optional<uint32_t> capacity_qps;
  std::optional<bool> maintenance;
};

// Outcome of a health/API check, recorded on the server.
struct ServerCheck {
  ServerStatus status = ServerStatus::kUnspecified;
  std::string version;     // empty: unchanged
  std::string last_error;  // empty: cleared
  absl::Time time;
};

class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // ALREADY_EXISTS when the name is taken. Every existing zone becomes
  // pending on the new server in the same transaction.
  virtual absl::StatusOr<Server> RegisterServer(const Server& server, const RequestKey& key) = 0;
  // Without the API key.
  virtual absl::StatusOr<Server> GetServer(const std::string& name) = 0;
  virtual absl::StatusOr<Page<Server>> ListServers(const ServerFilter& filter,
                                                   const std::string& after_name, int limit) = 0;
  // Leaving maintenance makes the server's pending zones due at once.
  virtual absl::StatusOr<Server> UpdateServer(const std::string& name, const ServerUpdate& update,
                                              const std::string& expected_etag,
                                              const RequestKey& key) = 0;
  virtual absl::Status DeregisterServer(const std::string& name, const WriteOrigin& origin) = 0;
  virtual absl::Status RecordCheck(const std::string& name, const ServerCheck& check) = 0;
  // Every server with its plain API key, for the service's own use.
  virtual absl::StatusOr<std::vector<Server>> ListServersWithKeys() = 0;
  // Zones by propagation state on each named server (absent: no zones).
  virtual absl::StatusOr<std::map<std::string, PropagationCounts>> CountPropagation(
      const std::vector<std::string>& servers) {
    (void)servers;
    return std::map<std::string, PropagationCounts>();
  }
};

}  // namespace dns

#endif  // DNS_STORAGE_SERVER_STORE_H_
