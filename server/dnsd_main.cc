// dnsd: parses flags (and their DNSD_* environment fallbacks) into an
// AppConfig, runs the Application until SIGTERM/SIGINT, then shuts it down
// gracefully. `dnsd migrate` applies the schema migrations and exits.

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/application.h"
#include "server/token_command.h"
#include "common/logging.h"
#include "storage/migrations.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "gRPC listen address host:port.");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9464",
          "HTTP address for /metrics (Prometheus), /healthz and /readyz; empty turns it off.");
ABSL_FLAG(std::string, instance_id, "",
          "This replica's name in leases and logs (e.g. the pod name); default host-pid-random.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain for TLS on the gRPC port (with --tls_key_file). Neither: "
          "plaintext gRPC.");
ABSL_FLAG(std::string, tls_key_file, "",
          "PEM private key (unencrypted) of --tls_cert_file. Give it through a mounted file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: clients must present a certificate it signed (mTLS). Needs "
          "--tls_cert_file and --tls_key_file.");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(60),
          "How often the TLS files are re-read: a renewed certificate is served to new "
          "connections without a restart (at least 1s).");
ABSL_FLAG(std::string, pdns_tls_ca_file, "",
          "PEM CA bundle verifying https:// PowerDNS API URLs; empty: the system's CA store. "
          "The server certificate is always verified.");
ABSL_FLAG(int, rpc_threads, 16, "Threads running RPC bodies (database and PowerDNS work).");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(20),
          "On SIGTERM, how long in-flight calls get before dnsd exits (keep it below the pod's "
          "terminationGracePeriodSeconds).");
ABSL_FLAG(absl::Duration, journal_horizon, absl::Hours(24),
          "Change journal kept at most this long; a server away longer gets full syncs.");
ABSL_FLAG(absl::Duration, audit_retention, absl::Hours(24 * 365),
          "Audit entries older than this are dropped (by the leader); 0 keeps them forever.");
ABSL_FLAG(absl::Duration, request_retention, absl::Hours(24),
          "How long a request_id is remembered; a retry after that is a new request.");
ABSL_FLAG(absl::Duration, housekeeping_interval, absl::Minutes(1),
          "How often the leader prunes the journal and expires request ids.");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL URL, e.g. postgresql://dns@db:5432/dns (required).");
ABSL_FLAG(int, db_pool_size, 16,
          "Maximum PostgreSQL connections for RPCs and propagation reads.");
ABSL_FLAG(int, db_propagation_pool_size, 8,
          "Further PostgreSQL connections for the propagator's progress records (claims, "
          "applied/failed marks).");
ABSL_FLAG(absl::Duration, db_acquire_timeout, absl::Seconds(5),
          "How long a call waits for a free database connection before UNAVAILABLE.");
ABSL_FLAG(absl::Duration, db_statement_timeout, absl::Seconds(10),
          "PostgreSQL statement_timeout for every statement of the service.");
ABSL_FLAG(bool, migrate_on_start, true, "Apply pending schema migrations at start-up.");
ABSL_FLAG(bool, auth, true,
          "Require a bearer token (authorization: Bearer <token>) on every dns.v1 call and "
          "check its role. false: every caller may do everything (warned at start); for a "
          "closed test network only. grpc.health.v1 and reflection are always open.");
ABSL_FLAG(double, auth_rate_limit_qps, 1000,
          "Calls per second one token may make on one replica; beyond, RESOURCE_EXHAUSTED with "
          "a retry delay (google.rpc.RetryInfo). 0: no limit.");
ABSL_FLAG(double, auth_rate_limit_burst, 2000,
          "Calls one token may make at once above its rate (the bucket's size).");
ABSL_FLAG(std::string, auth_bootstrap_token_file, "",
          "A file holding an admin token's secret (e.g. a mounted Kubernetes Secret): at start "
          "the token --auth_bootstrap_token_name is created with it, or given it if the file "
          "changed.");
ABSL_FLAG(std::string, auth_bootstrap_token_name, "bootstrap-admin",
          "Name of the token --auth_bootstrap_token_file makes.");
ABSL_FLAG(std::string, role, "", "dnsd token create: reader, editor, operator or admin.");
ABSL_FLAG(std::vector<std::string>, accounts, {},
          "dnsd token create: the accounts the token is limited to (comma-separated); empty: "
          "every account.");
ABSL_FLAG(std::optional<absl::Duration>, ttl, std::nullopt,
          "dnsd token create: how long the token is valid (e.g. 720h); unset: no expiry.");
ABSL_FLAG(bool, show_revoked, false, "dnsd token list: include revoked tokens.");
ABSL_FLAG(absl::Duration, db_wait, absl::Seconds(30),
          "How long migrations (`dnsd migrate`, --migrate_on_start) wait for an unreachable "
          "database before giving up.");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, err, critical or off.");
ABSL_FLAG(std::string, log_format, "text", "text (logfmt) or json (one object per line).");
ABSL_FLAG(std::string, default_nameservers, "",
          "Comma-separated NS names for zones created without nameservers.");
ABSL_FLAG(std::string, soa_hostmaster, "",
          "SOA RNAME (admin@example.net or admin.example.net.); default hostmaster.<zone>.");
ABSL_FLAG(uint32_t, soa_refresh, 10800, "SOA refresh, seconds.");
ABSL_FLAG(uint32_t, soa_retry, 3600, "SOA retry, seconds.");
ABSL_FLAG(uint32_t, soa_expire, 604800, "SOA expire, seconds.");
ABSL_FLAG(uint32_t, soa_minimum, 3600, "SOA minimum (negative-caching TTL), seconds.");
ABSL_FLAG(uint32_t, default_ttl, 3600, "TTL of RRsets given with ttl 0, and of SOA and NS.");
ABSL_FLAG(uint32_t, min_ttl, 60, "Smallest TTL accepted.");
ABSL_FLAG(uint32_t, max_ttl, 604800, "Largest TTL accepted.");
ABSL_FLAG(uint32_t, max_records_per_rrset, 400, "Most records one RRset may hold.");
ABSL_FLAG(uint32_t, max_content_octets, 4000, "Longest record content (canonical form), octets.");
ABSL_FLAG(uint32_t, max_changes_per_batch, 1000, "Most RRset changes in one ChangeRRsets.");
ABSL_FLAG(uint32_t, max_import_rrsets, 100000, "Most RRsets one ImportZone may bring.");
ABSL_FLAG(int32_t, max_message_bytes, 4 << 20,
          "Largest gRPC request accepted (RESOURCE_EXHAUSTED above it).");
ABSL_FLAG(uint64_t, max_large_request_bytes, 8 << 20,
          "Bytes of large requests (ImportZone, ChangeRRsets of 256 KiB or more) worked on at "
          "once; others wait (until their deadline, at most a minute). Bounds dnsd's memory.");
ABSL_FLAG(int64_t, max_full_sync_rrsets, 200000,
          "RRsets of full zone pushes to API servers worked on at once (zones under 5,000 "
          "RRsets pass freely). Bounds dnsd's memory.");
ABSL_FLAG(absl::Duration, health_interval, absl::Seconds(2),
          "How often the database is checked for grpc.health.v1.");
ABSL_FLAG(std::string, secret_key, "",
          "Base64 of 32 random bytes (openssl rand -base64 32) sealing the PowerDNS API keys in "
          "the database with AES-256-GCM. Empty: keys are stored in plain text (warned at "
          "start). Give it through the environment, not the command line.");
ABSL_FLAG(absl::Duration, server_check_timeout, absl::Seconds(3),
          "How long RegisterServer waits for a candidate server's API to answer.");
ABSL_FLAG(int, propagation_workers, 16, "Pushes to PowerDNS servers in flight at once.");
ABSL_FLAG(absl::Duration, propagation_lease, absl::Seconds(4),
          "Lease on a (zone, server) push, renewed while this dnsd lives; a killed dnsd's work "
          "is taken over by another replica after it.");
ABSL_FLAG(absl::Duration, propagation_sweep, absl::Seconds(1),
          "How often the database is asked for due propagation work besides the events (retries, "
          "expired leases).");
ABSL_FLAG(absl::Duration, propagation_max_backoff, absl::Seconds(30),
          "Longest wait between retries of a failing push.");
ABSL_FLAG(absl::Duration, propagation_coalesce, absl::Milliseconds(250),
          "A zone that keeps changing is pushed to each server at most once per this "
          "interval, its changes together; a change to a quiet zone goes out at once. 0: push "
          "after every push that found newer changes.");
ABSL_FLAG(int, pdns_threads, 16, "PowerDNS API calls in flight across all servers.");
ABSL_FLAG(int, pdns_max_in_flight, 8,
          "PowerDNS API calls in flight per server (each costs it a database connection).");
ABSL_FLAG(absl::Duration, pdns_timeout, absl::Seconds(10), "PowerDNS API read timeout.");
ABSL_FLAG(uint64_t, pdns_max_body_bytes, 1 << 20,
          "Largest request body sent to PowerDNS in one call; bigger changes and zones go as "
          "several PATCHes. Keep it below the servers' webserver-max-bodysize (2 MB default).");
ABSL_FLAG(double, pdns_rate_limit_qps, 0, "PowerDNS API calls per second per server; 0: unlimited.");
ABSL_FLAG(int, pdns_breaker_failures, 5,
          "Consecutive failures that open a server's circuit breaker; 0 disables it.");
ABSL_FLAG(absl::Duration, pdns_breaker_open, absl::Seconds(30),
          "How long an open circuit waits before a half-open probe.");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(10),
          "How often the leader checks each PowerDNS server (API, statistics, DNS probe, zones, "
          "propagation lag), with 10% jitter; 0 turns the monitor off.");
ABSL_FLAG(absl::Duration, health_check_timeout, absl::Seconds(5),
          "Bound on one round of checks on one server.");
ABSL_FLAG(absl::Duration, health_zone_check_interval, absl::Seconds(60),
          "How often an API server's zone list is fetched and compared with the truth "
          "(zones, zones_out_of_sync).");
ABSL_FLAG(int, health_check_concurrency, 8,
          "Rounds of checks running at once (a thread each, and two for their API calls).");
ABSL_FLAG(int, health_failure_threshold, 3,
          "Rounds in a row without a DNS answer (or with a failed check) before a server "
          "becomes UNAVAILABLE (or DEGRADED).");
ABSL_FLAG(int, health_recovery_threshold, 2,
          "Good rounds in a row before a server is HEALTHY again.");
ABSL_FLAG(double, health_alert_api_ms, 5000, "Alert when the API answers slower (ms).");
ABSL_FLAG(double, health_alert_cpu_percent, 80, "Alert when PowerDNS uses more CPU (% of a core).");
ABSL_FLAG(double, health_alert_memory_percent, 90,
          "Alert when PowerDNS's real memory passes this share of --health_memory_limit_bytes.");
ABSL_FLAG(int64_t, health_memory_limit_bytes, 0,
          "Memory a PowerDNS server may use (its container limit); 0: unknown, no memory alert.");
ABSL_FLAG(double, health_alert_zones_out_of_sync, 0,
          "Alert when more zones than this are out of sync on a server.");
ABSL_FLAG(absl::Duration, health_sample_retention, absl::Hours(24 * 30),
          "How long health samples are kept (whole days are dropped).");
ABSL_FLAG(absl::Duration, health_event_retention, absl::Hours(24 * 7),
          "How long health events are kept for WatchHealth's resume_after.");
ABSL_FLAG(absl::Duration, watch_heartbeat, absl::Seconds(15),
          "Default heartbeat interval of WatchHealth streams.");
ABSL_FLAG(int, watch_buffer, 1024,
          "Events a WatchHealth subscriber may have queued before it is ended as too slow.");
ABSL_FLAG(double, failover_max_share, 0.10,
          "Share of the fleet's records above which ExecuteFailover needs force.");
ABSL_FLAG(absl::Duration, failover_confirm_timeout, absl::Minutes(10),
          "How long a failover waits for the active servers to confirm it over DNS before it "
          "ends INCOMPLETE (propagation goes on).");
ABSL_FLAG(absl::Duration, failover_retention, absl::Hours(24 * 90),
          "How long finished failover operations are kept.");
ABSL_FLAG(absl::Duration, consistency_interval, absl::Seconds(60),
          "How often the leader sweeps every server at depth SERIALS (0: no sweeps).");
ABSL_FLAG(absl::Duration, consistency_content_interval, absl::Hours(24),
          "How often a sweep goes to depth CONTENT (RRset by RRset on API servers).");
ABSL_FLAG(absl::Duration, consistency_grace, absl::Seconds(30),
          "How long a zone may be on its way to a server before a sweep counts it as drift.");
ABSL_FLAG(int, max_consistency_checks, 4,
          "CheckConsistency and ReconcileServer calls running at once; more are refused with "
          "RESOURCE_EXHAUSTED.");

namespace dns {
namespace {

constexpr const char* kFlagNames[] = {
    "listen", "metrics_listen", "instance_id", "database_url", "db_pool_size",
    "db_propagation_pool_size", "db_acquire_timeout", "db_statement_timeout", "migrate_on_start",
    "db_wait", "log_level", "log_format", "default_nameservers", "soa_hostmaster", "soa_refresh",
    "soa_retry", "soa_expire", "soa_minimum", "default_ttl", "min_ttl", "max_ttl",
    "max_records_per_rrset", "max_content_octets", "max_changes_per_batch", "max_import_rrsets",
    "max_message_bytes", "max_large_request_bytes", "max_full_sync_rrsets", "health_interval",
    "secret_key", "server_check_timeout", "rpc_threads", "shutdown_grace", "propagation_workers",
    "propagation_lease", "propagation_sweep", "propagation_max_backoff", "propagation_coalesce", "journal_horizon",
    "request_retention", "audit_retention", "housekeeping_interval", "pdns_threads", "pdns_max_in_flight", "pdns_timeout",
    "pdns_max_body_bytes", "pdns_rate_limit_qps", "pdns_breaker_failures", "pdns_breaker_open",
    "health_check_interval", "health_check_timeout", "health_zone_check_interval",
    "health_check_concurrency",
    "health_failure_threshold", "health_recovery_threshold", "health_alert_api_ms",
    "health_alert_cpu_percent", "health_alert_memory_percent", "health_memory_limit_bytes",
    "health_alert_zones_out_of_sync", "health_sample_retention", "health_event_retention",
    "watch_heartbeat", "watch_buffer", "failover_max_share", "failover_confirm_timeout",
    "failover_retention", "consistency_interval", "consistency_content_interval",
    "consistency_grace", "max_consistency_checks", "auth", "auth_rate_limit_qps",
    "auth_rate_limit_burst", "auth_bootstrap_token_file", "auth_bootstrap_token_name",
    "tls_cert_file", "tls_key_file", "tls_client_ca_file", "tls_reload_interval",
    "pdns_tls_ca_file"};

std::string EnvName(absl::string_view flag) {
  return absl::StrCat("DNSD_", absl::AsciiStrToUpper(flag));
}

// Every flag falls back to DNSD_<FLAG> from the environment; the command
// line wins over both. A variable set to the empty string counts (the Helm
// chart turns the metrics port off that way).
bool ApplyEnvironment() {
  for (const char* name : kFlagNames) {
    const char* value = std::getenv(EnvName(name).c_str());
    if (value == nullptr) continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    std::string error;
    if (flag == nullptr || !flag->ParseFrom(value, &error)) {
      std::cerr << "dnsd: bad value in " << EnvName(name) << ": " << error << "\n";
      return false;
    }
  }
  return true;
}

std::string Usage() {
  std::string text =
      "dnsd: the dns.v1 gRPC service (ZoneService, RecordService, ServerService, health,\n"
      "reflection), driving a fleet of PowerDNS servers.\n\n"
      "Usage: dnsd [serve] [--flag=value ...]   run the server (default)\n"
      "       dnsd migrate [--database_url=...] apply schema migrations and exit\n"
      "       dnsd token create NAME --role=R [--accounts=a,b] [--ttl=720h]\n"
      "       dnsd token list [--show_revoked] | dnsd token revoke NAME\n"
      "                                         bearer tokens, straight on the database\n\n"
      "Every flag can also be set from the environment; the command line wins:\n";
  for (const char* name : kFlagNames) absl::StrAppend(&text, "  --", name, "  <- $", EnvName(name), "\n");
  return text;
}

ZoneDefaults DefaultsFromFlags() {
  ZoneDefaults d;
  for (absl::string_view ns : absl::StrSplit(absl::GetFlag(FLAGS_default_nameservers), ',',
                                             absl::SkipWhitespace())) {
    d.nameservers.emplace_back(absl::StripAsciiWhitespace(ns));
  }
  d.hostmaster = absl::GetFlag(FLAGS_soa_hostmaster);
  d.soa.refresh = absl::GetFlag(FLAGS_soa_refresh);
  d.soa.retry = absl::GetFlag(FLAGS_soa_retry);
  d.soa.expire = absl::GetFlag(FLAGS_soa_expire);
  d.soa.minimum = absl::GetFlag(FLAGS_soa_minimum);
  d.soa_ttl = d.ns_ttl = absl::GetFlag(FLAGS_default_ttl);
  d.limits.default_ttl = absl::GetFlag(FLAGS_default_ttl);
  d.limits.min_ttl = absl::GetFlag(FLAGS_min_ttl);
  d.limits.max_ttl = absl::GetFlag(FLAGS_max_ttl);
  d.limits.max_records_per_rrset = absl::GetFlag(FLAGS_max_records_per_rrset);
  d.limits.max_content_octets = absl::GetFlag(FLAGS_max_content_octets);
  d.limits.max_changes_per_batch = absl::GetFlag(FLAGS_max_changes_per_batch);
  d.limits.max_import_rrsets = absl::GetFlag(FLAGS_max_import_rrsets);
  return d;
}

AppConfig ConfigFromFlags() {
  AppConfig c;
  c.listen = absl::GetFlag(FLAGS_listen);
  c.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  c.instance_id = absl::GetFlag(FLAGS_instance_id);
  c.database_url = absl::GetFlag(FLAGS_database_url);
  c.db_pool_size = absl::GetFlag(FLAGS_db_pool_size);
  c.db_propagation_pool_size = absl::GetFlag(FLAGS_db_propagation_pool_size);
  c.db_acquire_timeout = absl::GetFlag(FLAGS_db_acquire_timeout);
  c.db_statement_timeout = absl::GetFlag(FLAGS_db_statement_timeout);
  c.zone_defaults = DefaultsFromFlags();
  c.health_interval = absl::GetFlag(FLAGS_health_interval);
  c.secret_key = absl::GetFlag(FLAGS_secret_key);
  absl::SetFlag(&FLAGS_secret_key, "");  // the config holds it now
  c.server_check_timeout = absl::GetFlag(FLAGS_server_check_timeout);
  c.propagation_workers = absl::GetFlag(FLAGS_propagation_workers);
  c.propagation_lease = absl::GetFlag(FLAGS_propagation_lease);
  c.propagation_sweep = absl::GetFlag(FLAGS_propagation_sweep);
  c.propagation_max_backoff = absl::GetFlag(FLAGS_propagation_max_backoff);
  c.propagation_coalesce = absl::GetFlag(FLAGS_propagation_coalesce);
  c.max_full_sync_rrsets = absl::GetFlag(FLAGS_max_full_sync_rrsets);
  c.pdns_threads = absl::GetFlag(FLAGS_pdns_threads);
  c.pdns.max_in_flight = absl::GetFlag(FLAGS_pdns_max_in_flight);
  c.pdns.read_timeout = absl::GetFlag(FLAGS_pdns_timeout);
  c.pdns.write_timeout = absl::GetFlag(FLAGS_pdns_timeout);
  c.pdns.max_body_bytes = absl::GetFlag(FLAGS_pdns_max_body_bytes);
  c.pdns.rate_limit_qps = absl::GetFlag(FLAGS_pdns_rate_limit_qps);
  c.pdns.rate_limit_burst = std::max(1.0, absl::GetFlag(FLAGS_pdns_rate_limit_qps));
  c.pdns.circuit_breaker.failure_threshold = absl::GetFlag(FLAGS_pdns_breaker_failures);
  c.pdns.circuit_breaker.open_duration = absl::GetFlag(FLAGS_pdns_breaker_open);
  c.pdns.verify_tls = true;
  c.pdns.ca_cert_path = absl::GetFlag(FLAGS_pdns_tls_ca_file);
  c.tls.cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  c.tls.key_file = absl::GetFlag(FLAGS_tls_key_file);
  c.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  c.tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  c.rpc_threads = absl::GetFlag(FLAGS_rpc_threads);
  c.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  c.max_large_request_bytes = static_cast<int64_t>(absl::GetFlag(FLAGS_max_large_request_bytes));
  c.journal_horizon = absl::GetFlag(FLAGS_journal_horizon);
  c.request_retention = absl::GetFlag(FLAGS_request_retention);
  c.audit_retention = absl::GetFlag(FLAGS_audit_retention);
  c.housekeeping_interval = absl::GetFlag(FLAGS_housekeeping_interval);
  HealthConfig& h = c.health;
  h.interval = absl::GetFlag(FLAGS_health_check_interval);
  h.timeout = absl::GetFlag(FLAGS_health_check_timeout);
  h.zone_check_interval = absl::GetFlag(FLAGS_health_zone_check_interval);
  h.concurrency = absl::GetFlag(FLAGS_health_check_concurrency);
  h.failure_threshold = absl::GetFlag(FLAGS_health_failure_threshold);
  h.recovery_threshold = absl::GetFlag(FLAGS_health_recovery_threshold);
  h.api_latency_ms = absl::GetFlag(FLAGS_health_alert_api_ms);
  h.cpu_percent = absl::GetFlag(FLAGS_health_alert_cpu_percent);
  h.memory_percent = absl::GetFlag(FLAGS_health_alert_memory_percent);
  h.memory_limit_bytes = absl::GetFlag(FLAGS_health_memory_limit_bytes);
  h.zones_out_of_sync = absl::GetFlag(FLAGS_health_alert_zones_out_of_sync);
  h.sample_retention = absl::GetFlag(FLAGS_health_sample_retention);
  h.event_retention = absl::GetFlag(FLAGS_health_event_retention);
  h.watch_heartbeat = absl::GetFlag(FLAGS_watch_heartbeat);
  h.watch_buffer = absl::GetFlag(FLAGS_watch_buffer);
  c.failover.max_share = absl::GetFlag(FLAGS_failover_max_share);
  c.failover.confirm_timeout = absl::GetFlag(FLAGS_failover_confirm_timeout);
  c.failover.retention = absl::GetFlag(FLAGS_failover_retention);
  c.consistency.interval = absl::GetFlag(FLAGS_consistency_interval);
  c.consistency.content_interval = absl::GetFlag(FLAGS_consistency_content_interval);
  c.consistency.grace = absl::GetFlag(FLAGS_consistency_grace);
  c.consistency.max_checks = absl::GetFlag(FLAGS_max_consistency_checks);
  c.auth = absl::GetFlag(FLAGS_auth);
  c.auth_rate_limit_qps = absl::GetFlag(FLAGS_auth_rate_limit_qps);
  c.auth_rate_limit_burst = absl::GetFlag(FLAGS_auth_rate_limit_burst);
  c.auth_bootstrap_token_file = absl::GetFlag(FLAGS_auth_bootstrap_token_file);
  c.auth_bootstrap_token_name = absl::GetFlag(FLAGS_auth_bootstrap_token_name);
  return c;
}

int RunMigrate() {
  // A database that is still starting (a fresh stack, a pod scheduled before
  // PostgreSQL) is waited for, with a line per try, instead of a crash loop.
  const absl::Time give_up = absl::Now() + absl::GetFlag(FLAGS_db_wait);
  absl::Duration pause = absl::Milliseconds(250);
  absl::StatusOr<std::vector<int>> applied = Migrate(absl::GetFlag(FLAGS_database_url));
  while (absl::IsUnavailable(applied.status()) && absl::Now() + pause < give_up) {
    Log(spdlog::level::warn, "database not reachable yet; retrying",
        {{"error", std::string(applied.status().message())},
         {"retry_in", absl::FormatDuration(pause)}});
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(5));
    applied = Migrate(absl::GetFlag(FLAGS_database_url));
  }
  if (!applied.ok()) {
    Log(spdlog::level::critical, "migration failed", {{"error", std::string(applied.status().message())}});
    return 1;
  }
  Log(spdlog::level::info, "schema up to date", {{"applied", std::to_string(applied->size())}});
  return 0;
}

int RunServer() {
  AppConfig config = ConfigFromFlags();
  // A bad TLS set-up fails before migrations touch the database.
  if (absl::Status tls = ValidateTlsConfig(config.tls); !tls.ok()) {
    Log(spdlog::level::critical, "cannot start", {{"error", std::string(tls.message())}});
    return 1;
  }
  if (absl::GetFlag(FLAGS_migrate_on_start) && RunMigrate() != 0) return 1;
  absl::StatusOr<std::unique_ptr<Application>> app = Application::Start(std::move(config));
  if (!app.ok()) {
    Log(spdlog::level::critical, "cannot start", {{"error", std::string(app.status().message())}});
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  Log(spdlog::level::info, "signal received", {{"signal", std::to_string(received)}});
  (*app)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  return 0;
}

}  // namespace
}  // namespace dns

int main(int argc, char** argv) {
  // Debian's abseil is built with deadlock detection on: bookkeeping on
  // every Mutex operation (gRPC's included) for a check we do not need.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Block the shutdown signals before any thread starts so sigwait gets them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage(dns::Usage());
  if (!dns::ApplyEnvironment()) return 2;
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  absl::Status logging = dns::ConfigureLogging(absl::GetFlag(FLAGS_log_level),
                                               absl::GetFlag(FLAGS_log_format));
  if (!logging.ok()) {
    std::cerr << "dnsd: " << logging.message() << "\n";
    return 2;
  }
  std::string command = args.size() > 1 ? args[1] : "serve";
  if (command == "token") {
    if (absl::GetFlag(FLAGS_database_url).empty()) {
      std::cerr << "dnsd: --database_url (or DNSD_DATABASE_URL) is required\n";
      return 2;
    }
    if (absl::GetFlag(FLAGS_migrate_on_start) && dns::RunMigrate() != 0) return 1;
    dns::TokenCommand token;
    token.database_url = absl::GetFlag(FLAGS_database_url);
    token.args.assign(args.begin() + 2, args.end());
    token.role = absl::GetFlag(FLAGS_role);
    token.accounts = absl::GetFlag(FLAGS_accounts);
    token.ttl = absl::GetFlag(FLAGS_ttl);
    token.show_revoked = absl::GetFlag(FLAGS_show_revoked);
    return dns::RunTokenCommand(token, std::cout, std::cerr);
  }
  if (args.size() > 2 || (command != "serve" && command != "migrate")) {
    std::cerr << "dnsd: unknown command; see dnsd --help\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_database_url).empty()) {
    std::cerr << "dnsd: --database_url (or DNSD_DATABASE_URL) is required\n";
    return 2;
  }
  return command == "migrate" ? dns::RunMigrate() : dns::RunServer();
}
