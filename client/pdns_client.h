// The PowerDNS HTTP API client: one PdnsClient per PowerDNS server.
//
// PdnsClient is the interface the domain logic codes against; the HTTP
// implementation (MakeHttpPdnsClient) adds connection pooling, bounded
// concurrency, per-zone write ordering, rate limiting, a circuit breaker and
// retries; FakePdnsClient (fake_pdns_client.h) is an in-memory PowerDNS for
// other components' tests. FanOut (fan_out.h) calls many servers at once and
// PdnsClientPool (pdns_client_pool.h) keeps one client per registered server.
//
// Error mapping, the same for every implementation:
//   401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED, 404 → NOT_FOUND,
//   409 → ALREADY_EXISTS, 400/413/422 → INVALID_ARGUMENT (with PowerDNS's
//   own "error" text), 5xx/429/timeouts/transport → UNAVAILABLE, open circuit
//   → UNAVAILABLE ("circuit breaker is open"), too much queued →
//   RESOURCE_EXHAUSTED, caller's deadline passed → DEADLINE_EXCEEDED.
// Messages name the server ("pdns server ns1: ..."), never the API key.
#ifndef DNS_CLIENT_PDNS_CLIENT_H_
#define DNS_CLIENT_PDNS_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/circuit_breaker.h"
#include "client/clock.h"
#include "client/executor.h"
#include "client/pdns_types.h"
#include "common/model.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace dns::pdns {

// How to reach one server.
struct ServerConfig {
  std::string name;  // the server's identifier in dns.v1; in logs and errors
  // The PowerDNS webserver's base URL, e.g. "http://10.0.0.5:8081" (a path
  // prefix for a reverse proxy is kept; a trailing "/api/v1" is dropped).
  std::string api_url;
  std::string api_key;  // never logged, never put in a status message

  friend bool operator==(const ServerConfig&, const ServerConfig&) = default;
};

struct RetryOptions {
  // Attempts in total, the first included. Only idempotent calls retry,
  // and only on UNAVAILABLE; a call that never reached the server (connect
  // failed) may retry whatever its method.
  int max_attempts = 3;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  double multiplier = 2.0;
};

struct ClientOptions {
  // PowerDNS opens a database connection per API request; this keeps one
  // busy server from exhausting PostgreSQL's connections.
  int max_in_flight = 8;
  // Calls waiting for a slot beyond this fail with RESOURCE_EXHAUSTED.
  size_t max_queued = 10000;
  // Largest request body sent in one call. PowerDNS refuses bodies over its
  // webserver-max-bodysize (2 MB by default) with a plain 400; larger
  // changes and zone creations go out as several PATCHes, in order.
  size_t max_body_bytes = 1 << 20;

  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration read_timeout = absl::Seconds(10);
  absl::Duration write_timeout = absl::Seconds(10);

  // Requests per second to this server; <= 0 means unlimited.
  double rate_limit_qps = 0;
  double rate_limit_burst = 1;

  CircuitBreakerOptions circuit_breaker;
  RetryOptions retry;

  // PowerDNS 4.7 closes every connection anyway; a proxy in front may not.
  bool keep_alive = true;
  // For https URLs.
  bool verify_tls = true;
  std::string ca_cert_path;

  // Time source for the breaker, the rate limiter and backoff. Null: real.
  std::shared_ptr<Clock> clock;
  // One line per HTTP call goes here. Null: spdlog's default logger, looked
  // up at each call so that a sink installed later is honoured.
  std::shared_ptr<spdlog::logger> logger;
  std::string user_agent = "dns.v1";
  // Told about every HTTP attempt (for metrics): the server's name, the
  // operation ("get_zone", "patch_rrsets", ...), the outcome, the time it
  // took. Must be quick and thread-safe.
  std::function<void(const std::string& server, const char* operation, absl::StatusCode code,
                     absl::Duration elapsed)>
      observer;
};

// A snapshot for health reporting and metrics.
struct ClientStats {
  int in_flight = 0;
  size_t queued = 0;
  // The adaptive bound on calls in flight (see CallScheduler).
  int limit = 0;
  CircuitBreaker::State circuit = CircuitBreaker::State::kClosed;
  int consecutive_failures = 0;
};

class PdnsClient {
 public:
  virtual ~PdnsClient() = default;

  virtual const std::string& server_name() const = 0;
  virtual ClientStats stats() = 0;
  // Abandons the calls in flight (they fail with CANCELLED at once) and
  // fails every later call the same way. For shutdown.
  virtual void Abort() {}

  // Every call returns at once; the future resolves when the call is done.
  // Zone names are absolute ("example.com."; a missing dot is added).

  // GET /api/v1/servers/localhost
  virtual std::future<absl::StatusOr<ServerInfo>> AsyncGetServerInfo(
      const CallContext& ctx) = 0;
  // GET .../statistics?includerings=false
  virtual std::future<absl::StatusOr<Statistics>> AsyncGetStatistics(
      const CallContext& ctx) = 0;
  // GET .../zones?dnssec=false (summary fields only, no rrsets)
  virtual std::future<absl::StatusOr<std::vector<ZoneInfo>>> AsyncListZones(
      const CallContext& ctx) = 0;
  // GET .../zones/{id}, with rrsets
  virtual std::future<absl::StatusOr<ZoneInfo>> AsyncGetZone(
      const CallContext& ctx, const std::string& zone) = 0;
  // POST .../zones. Not retried; after an ambiguous failure (500, timeout)
  // the zone is looked up, and if it exists the call succeeds with it. A
  // zone over ClientOptions::max_body_bytes is created, then filled by
  // PATCHes; the answer is then the POST's (its rrsets the first part only).
  virtual std::future<absl::StatusOr<ZoneInfo>> AsyncCreateZone(
      const CallContext& ctx, const CreateZoneRequest& request) = 0;
  // DELETE .../zones/{id}. A retry after a lost response may see NOT_FOUND:
  // callers wanting "gone" should accept it.
  virtual std::future<absl::Status> AsyncDeleteZone(const CallContext& ctx,
                                                    const std::string& zone) = 0;
  // One PATCH .../zones/{id} with all changes (DELETEs first, then
  // REPLACEs). No changes: OK without a call.
  virtual std::future<absl::Status> AsyncPatchRRsets(
      const CallContext& ctx, const std::string& zone,
      const std::vector<RRsetChange>& changes) = 0;
  // PUT .../cache/flush?domain={zone}; returns the number of purged entries.
  // zone "." purges the whole cache in one call.
  virtual std::future<absl::StatusOr<int64_t>> AsyncFlushCache(
      const CallContext& ctx, const std::string& zone) = 0;
  // PUT .../zones/{id}/notify
  virtual std::future<absl::Status> AsyncNotifyZone(const CallContext& ctx,
                                                    const std::string& zone) = 0;
  // PUT .../zones/{id} with kind, masters and soa_edit_api.
  virtual std::future<absl::Status> AsyncUpdateZoneAttributes(const CallContext& ctx,
                                                              const std::string& zone,
                                                              const ZoneAttributes& attrs) = 0;
  // PUT .../zones/{id}/rectify
  virtual std::future<absl::Status> AsyncRectifyZone(
      const CallContext& ctx, const std::string& zone) = 0;
  // GET .../zones/{id}/export: the zone as zone-file text.
  virtual std::future<absl::StatusOr<std::string>> AsyncExportZone(
      const CallContext& ctx, const std::string& zone) = 0;

  // Blocking forms. Never call them from a thread of the Executor that runs
  // the calls: with every thread waiting there, nothing would run them.
  absl::StatusOr<ServerInfo> GetServerInfo(const CallContext& ctx) {
    return AsyncGetServerInfo(ctx).get();
  }
  absl::StatusOr<Statistics> GetStatistics(const CallContext& ctx) {
    return AsyncGetStatistics(ctx).get();
  }
  absl::StatusOr<std::vector<ZoneInfo>> ListZones(const CallContext& ctx) {
    return AsyncListZones(ctx).get();
  }
  absl::StatusOr<ZoneInfo> GetZone(const CallContext& ctx,
                                   const std::string& zone) {
    return AsyncGetZone(ctx, zone).get();
  }
  absl::StatusOr<ZoneInfo> CreateZone(const CallContext& ctx,
                                      const CreateZoneRequest& request) {
    return AsyncCreateZone(ctx, request).get();
  }
  absl::Status DeleteZone(const CallContext& ctx, const std::string& zone) {
    return AsyncDeleteZone(ctx, zone).get();
  }
  absl::Status PatchRRsets(const CallContext& ctx, const std::string& zone,
                           const std::vector<RRsetChange>& changes) {
    return AsyncPatchRRsets(ctx, zone, changes).get();
  }
  absl::StatusOr<int64_t> FlushCache(const CallContext& ctx,
                                     const std::string& zone) {
    return AsyncFlushCache(ctx, zone).get();
  }
  absl::Status NotifyZone(const CallContext& ctx, const std::string& zone) {
    return AsyncNotifyZone(ctx, zone).get();
  }
  absl::Status RectifyZone(const CallContext& ctx, const std::string& zone) {
    return AsyncRectifyZone(ctx, zone).get();
  }
  absl::Status UpdateZoneAttributes(const CallContext& ctx, const std::string& zone,
                                    const ZoneAttributes& attrs) {
    return AsyncUpdateZoneAttributes(ctx, zone, attrs).get();
  }
  absl::StatusOr<std::string> ExportZone(const CallContext& ctx,
                                         const std::string& zone) {
    return AsyncExportZone(ctx, zone).get();
  }
};

// The HTTP implementation. Calls run on `executor`, which must outlive every
// call in flight (destroying an Executor first finishes what it has queued).
// INVALID_ARGUMENT if the URL cannot be used. The first call sets SIGPIPE to
// be ignored process-wide: cpp-httplib writes to sockets without
// MSG_NOSIGNAL, and a server that closes the connection while a request is
// being sent (as PowerDNS does on an oversized body) must cost an error, not
// the process.
absl::StatusOr<std::shared_ptr<PdnsClient>> MakeHttpPdnsClient(
    ServerConfig config, ClientOptions options, Executor& executor);

}  // namespace dns::pdns

#endif  // DNS_CLIENT_PDNS_CLIENT_H_
