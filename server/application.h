// dnsd as one object: storage, the PowerDNS client pool, propagation, the
// event hub and its bridge to other replicas, the periodic jobs, the gRPC
// edge (interceptors, services, health, reflection) and the metrics port,
// wired and started in order, stopped gracefully in reverse. main() parses
// flags into an AppConfig and runs it; tests start it in-process.
#ifndef DNS_SERVER_APPLICATION_H_
#define DNS_SERVER_APPLICATION_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/pdns_client.h"
#include "server/tls_config.h"
#include "server/zone_manager.h"

namespace dns {

// The health monitor and its streams.
struct HealthConfig {
  // Zero: no monitor (the RPCs still answer from what is stored).
  absl::Duration interval = absl::Seconds(10);
  absl::Duration timeout = absl::Seconds(5);
  absl::Duration zone_check_interval = absl::Seconds(60);
  int concurrency = 8;
  int failure_threshold = 3;
  int recovery_threshold = 2;
  double api_latency_ms = 5000;
  double cpu_percent = 80;
  double memory_percent = 90;
  int64_t memory_limit_bytes = 0;
  double zones_out_of_sync = 0;
  absl::Duration sample_retention = absl::Hours(24 * 30);
  absl::Duration event_retention = absl::Hours(24 * 7);
  absl::Duration watch_heartbeat = absl::Seconds(15);
  int watch_buffer = 1024;
};

// Failover operations.
struct FailoverConfig {
  double max_share = 0.10;
  absl::Duration confirm_timeout = absl::Minutes(10);
  absl::Duration retention = absl::Hours(24 * 90);
};

// Consistency checks, sweeps and reconciles.
struct ConsistencyConfig {
  // SERIALS sweeps of every server (0: none); CONTENT sweeps.
  absl::Duration interval = absl::Seconds(60);
  absl::Duration content_interval = absl::Hours(24);
  // A zone still being propagated counts as drift only after this.
  absl::Duration grace = absl::Seconds(30);
  // CheckConsistency and ReconcileServer calls running at once.
  int max_checks = 4;
};

struct AppConfig {
  std::string listen = "0.0.0.0:50051";
  // Empty: no metrics port.
  std::string metrics_listen = "0.0.0.0:9464";
  std::string database_url;
  int db_pool_size = 16;
  int db_propagation_pool_size = 8;
  absl::Duration db_acquire_timeout = absl::Seconds(5);
  absl::Duration db_statement_timeout = absl::Seconds(10);
  // Names this replica in leases and logs; empty: host-pid-random.
  std::string instance_id;
  ZoneDefaults zone_defaults;
  absl::Duration health_interval = absl::Seconds(2);
  // Bearer tokens and roles on every dns.v1 call; false: all open (warned).
  bool auth = true;
  // Calls per second and burst per token per replica; 0: no limit.
  double auth_rate_limit_qps = 1000;
  double auth_rate_limit_burst = 2000;
  // A file holding an admin token's secret (a Kubernetes Secret, say); at
  // start the token `auth_bootstrap_token_name` is made to have it.
  std::string auth_bootstrap_token_file;
  std::string auth_bootstrap_token_name = "bootstrap-admin";
  // Base64 of 32 bytes sealing the PowerDNS API keys; empty: plain text.
  std::string secret_key;
  absl::Duration server_check_timeout = absl::Seconds(3);

  // Propagation.
  int propagation_workers = 16;
  absl::Duration propagation_lease = absl::Seconds(4);
  absl::Duration propagation_max_backoff = absl::Seconds(30);
  absl::Duration propagation_coalesce = absl::Milliseconds(250);
  absl::Duration propagation_sweep = absl::Seconds(1);
  int64_t max_full_sync_rrsets = 200000;
  pdns::ClientOptions pdns;
  // PowerDNS calls in flight across all servers (threads).
  int pdns_threads = 16;

  // The gRPC edge.
  TlsConfig tls;  // no certificate: plaintext
  int rpc_threads = 16;
  int max_message_bytes = 4 << 20;
  int64_t max_large_request_bytes = 8 << 20;
  absl::Duration longest_call = absl::Minutes(5);

  // Periodic jobs (on the leader).
  absl::Duration journal_horizon = absl::Hours(24);
  absl::Duration request_retention = absl::Hours(24);
  // Audit entries older than this are dropped; 0 keeps them forever.
  absl::Duration audit_retention = absl::Hours(24 * 365);
  absl::Duration housekeeping_interval = absl::Minutes(1);
  HealthConfig health;
  FailoverConfig failover;
  ConsistencyConfig consistency;
};

class Application {
 public:
  // Builds every part and starts serving; UNAVAILABLE if a port cannot be
  // bound, INVALID_ARGUMENT for an unusable configuration.
  static absl::StatusOr<std::unique_ptr<Application>> Start(AppConfig config);
  ~Application();  // Shutdown(grace 10 s) if still running

  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  int port() const;
  int metrics_port() const;  // 0 without a metrics port
  const std::string& instance_id() const;

  // Stops taking calls, answers the waiting ones with where propagation
  // stands, gives back leased work and leadership, abandons PowerDNS calls
  // in flight: returns within `grace` even with a server that never answers.
  void Shutdown(absl::Duration grace);

 private:
  struct Parts;
  explicit Application(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace dns

#endif  // DNS_SERVER_APPLICATION_H_
