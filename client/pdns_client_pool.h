// One PdnsClient per registered PowerDNS server, sharing one Executor.
// Servers come and go at run time (RegisterServer, key rotation), so clients
// are added, replaced and removed by name; a call already running on a
// replaced client finishes there.
//
//   PdnsClientPool pool;  // HTTP clients, default options
//   pool.Upsert({"ns1", "http://10.0.0.5:8081", key});
//   auto outcomes = FanOut(pool.List(), [&](PdnsClient& c) {
//     return c.AsyncPatchRRsets(ctx, "example.com.", changes);
//   }, ctx.deadline);
#ifndef DNS_CLIENT_PDNS_CLIENT_POOL_H_
#define DNS_CLIENT_PDNS_CLIENT_POOL_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "client/executor.h"
#include "client/pdns_client.h"

namespace dns::pdns {

class PdnsClientPool {
 public:
  // Makes the client for one server; tests pass one returning fakes.
  using Factory = std::function<absl::StatusOr<std::shared_ptr<PdnsClient>>(
      const ServerConfig&, const ClientOptions&, Executor&)>;

  struct Options {
    Executor::Options executor;
    // Used by Upsert(config) without options of its own.
    ClientOptions client_defaults;
    // Null: MakeHttpPdnsClient.
    Factory factory;
  };

  PdnsClientPool();
  explicit PdnsClientPool(Options options);
  // Finishes every call in flight (their futures resolve), then stops the
  // threads.
  ~PdnsClientPool();

  PdnsClientPool(const PdnsClientPool&) = delete;
  PdnsClientPool& operator=(const PdnsClientPool&) = delete;

  // Adds the server, or replaces its client if the URL or key changed (an
  // unchanged config keeps the client, and so its circuit breaker state).
  absl::Status Upsert(const ServerConfig& config);
  // Always makes a new client with these options.
  absl::Status Upsert(const ServerConfig& config, const ClientOptions& options);
  void Remove(const std::string& name);

  // Null if the server is unknown.
  std::shared_ptr<PdnsClient> Get(absl::string_view name) const;
  // All clients, ordered by server name.
  std::vector<std::shared_ptr<PdnsClient>> List() const;
  // The clients of the named servers, in that order; unknown names yield
  // null entries (FanOut reports them as INVALID_ARGUMENT).
  std::vector<std::shared_ptr<PdnsClient>> Select(
      const std::vector<std::string>& names) const;

  Executor& executor() { return executor_; }
  const ClientOptions& client_defaults() const { return client_defaults_; }
  // Abandons every call in flight on every client (their futures resolve
  // with CANCELLED at once) and fails new ones: for shutdown, so that a
  // server that never answers cannot hold the process.
  void AbortAll();

 private:
  struct Entry {
    ServerConfig config;
    std::shared_ptr<PdnsClient> client;
  };

  absl::Status Install(const ServerConfig& config, const ClientOptions& options);

  const ClientOptions client_defaults_;
  const Factory factory_;
  // Declared before the clients: destroyed after them, so their calls can
  // still finish on it.
  Executor executor_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> clients_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns::pdns

#endif  // DNS_CLIENT_PDNS_CLIENT_POOL_H_
