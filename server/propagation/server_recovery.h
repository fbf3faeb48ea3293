// Notices when a failing PowerDNS server answers again, so that its backlog
// is pushed at once rather than at each row's next backoff. Every failing
// server is probed in parallel on a thread of its own, never on the
// claimer's or a worker's: a dozen dead servers delay nothing else.
#ifndef DNS_SERVER_PROPAGATION_SERVER_RECOVERY_H_
#define DNS_SERVER_PROPAGATION_SERVER_RECOVERY_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/executor.h"
#include "client/pdns_client_pool.h"
#include "server/propagation/server_directory.h"

namespace dns {

struct RecoveryOptions {
  absl::Duration probe_every = absl::Seconds(1);
  absl::Duration probe_timeout = absl::Seconds(1);
  // Probes in flight at once.
  int threads = 4;
  // Makes the one-off probe client; null: pdns::MakeHttpPdnsClient.
  pdns::PdnsClientPool::Factory client_factory;
};

class ServerRecovery {
 public:
  // `on_back(server)` runs (on the recovery thread) for each server that
  // answered again.
  ServerRecovery(ServerDirectory& directory, std::function<void(const std::string&)> on_back,
                 RecoveryOptions options = {});
  ~ServerRecovery();  // Stop()

  // A push to `server` failed as if it were down (unreachable, timed out).
  void Failed(const std::string& server);
  // A push to `server` worked.
  void Succeeded(const std::string& server);
  std::vector<std::string> failing();

  // Probes every failing server at once; returns those that answered (and
  // calls on_back for each). Used by the thread, and by tests directly.
  std::vector<std::string> ProbeOnce();

  void Start();
  void Stop();

 private:
  ServerDirectory& directory_;
  const std::function<void(const std::string&)> on_back_;
  const RecoveryOptions options_;
  Executor probes_;
  absl::Mutex mu_;
  std::set<std::string> failing_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_SERVER_RECOVERY_H_
