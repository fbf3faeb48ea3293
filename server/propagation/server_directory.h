// The fleet as propagation sees it: every registered server with its
// decrypted key and a PowerDNS client for it, reloaded when the registry
// changes (on this or another replica) and now and then in any case.
#ifndef DNS_SERVER_PROPAGATION_SERVER_DIRECTORY_H_
#define DNS_SERVER_PROPAGATION_SERVER_DIRECTORY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "client/pdns_client_pool.h"
#include "common/model.h"
#include "storage/server_store.h"

namespace dns {

class ServerDirectory {
 public:
  ServerDirectory(ServerStore& store, pdns::PdnsClientPool& clients,
                  std::shared_ptr<Clock> clock = RealClock(),
                  absl::Duration refresh = absl::Seconds(5));

  // Reads the registry now (one reload at a time, newest wins).
  absl::Status Reload();
  // Reloads when the last one is older than the refresh interval or failed.
  void ReloadIfStale();

  struct Entry {
    Server server;
    std::shared_ptr<pdns::PdnsClient> client;
  };
  // The server and its client; reloads once if it is unknown.
  std::optional<Entry> Find(const std::string& name);
  std::vector<Server> Servers();
  // No server registered (as of the last reload): writes cost nothing more.
  bool Empty();
  int size();
  // Each registered server's client bound on calls in flight now.
  std::map<std::string, int> ClientLimits();
  // A fresh client for `name` (its circuit breaker closed again).
  void ResetClient(const std::string& name);

  pdns::PdnsClientPool& clients() { return clients_; }

 private:
  ServerStore& store_;
  pdns::PdnsClientPool& clients_;
  const std::shared_ptr<Clock> clock_;
  const absl::Duration refresh_;
  absl::Mutex reload_mu_;
  absl::Mutex mu_;
  std::map<std::string, Server> servers_ ABSL_GUARDED_BY(mu_);
  absl::Time loaded_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool stale_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_SERVER_DIRECTORY_H_
