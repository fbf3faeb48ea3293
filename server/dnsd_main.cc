// dnsd: wires configuration, storage, domain logic and the gRPC server.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

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
#include "client/dns_prober.h"
#include "client/pdns_client_pool.h"
#include "server/health_reporter.h"
#include "server/propagator.h"
#include "server/server_manager.h"
#include "server/server_service.h"
#include "server/logging.h"
#include "server/record_service.h"
#include "server/zone_manager.h"
#include "server/zone_service.h"
#include "storage/migrations.h"
#include "storage/pg_propagation_store.h"
#include "storage/pg_server_store.h"
#include "storage/pg_zone_store.h"
#include "storage/secret_box.h"

ABSL_FLAG(std::string, listen, "0.0.0.0:50051", "gRPC listen address host:port.");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL URL, e.g. postgresql://dns@db:5432/dns (required).");
ABSL_FLAG(int, db_pool_size, 16,
          "Maximum PostgreSQL connections for RPCs and propagation reads.");
ABSL_FLAG(int, db_propagation_pool_size, 4,
          "Further PostgreSQL connections for the propagator's progress records (claims, "
          "applied/failed marks).");
ABSL_FLAG(absl::Duration, db_acquire_timeout, absl::Seconds(5),
          "How long a call waits for a free database connection before UNAVAILABLE.");
ABSL_FLAG(absl::Duration, db_statement_timeout, absl::Seconds(10),
          "PostgreSQL statement_timeout for every statement of the service.");
ABSL_FLAG(bool, migrate_on_start, true, "Apply pending schema migrations at start-up.");
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
ABSL_FLAG(int, propagation_workers, 32, "Pushes to PowerDNS servers in flight at once.");
ABSL_FLAG(absl::Duration, propagation_lease, absl::Seconds(60),
          "How long one push holds its (zone, server); a crashed dnsd's work resumes after it.");
ABSL_FLAG(absl::Duration, propagation_max_backoff, absl::Seconds(30),
          "Longest wait between retries of a failing push.");
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

namespace dns {
namespace {

constexpr const char* kFlagNames[] = {
    "listen",        "database_url",    "db_pool_size",         "db_propagation_pool_size",
    "db_acquire_timeout", "db_statement_timeout", "migrate_on_start", "db_wait",
    "log_level",     "log_format",
    "default_nameservers", "soa_hostmaster", "soa_refresh",  "soa_retry",
    "soa_expire",    "soa_minimum",     "default_ttl",          "min_ttl",
    "max_ttl",       "max_records_per_rrset", "max_content_octets", "max_changes_per_batch",
    "max_import_rrsets",
    "max_message_bytes",
    "max_large_request_bytes", "max_full_sync_rrsets", "health_interval",
    "secret_key",    "server_check_timeout", "propagation_workers", "propagation_lease",
    "propagation_max_backoff", "pdns_max_in_flight", "pdns_timeout", "pdns_max_body_bytes", "pdns_rate_limit_qps",
    "pdns_breaker_failures", "pdns_breaker_open"};

std::string EnvName(absl::string_view flag) {
  return absl::StrCat("DNSD_", absl::AsciiStrToUpper(flag));
}

// Every flag falls back to DNSD_<FLAG> from the environment; the command
// line wins over both.
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
      "       dnsd migrate [--database_url=...] apply schema migrations and exit\n\n"
      "Every flag can also be set from the environment; the command line wins:\n";
  for (const char* name : kFlagNames) absl::StrAppend(&text, "  --", name, "  <- $", EnvName(name), "\n");
  return text;
}

std::string DatabaseUrl() {
  std::string url = absl::GetFlag(FLAGS_database_url);
  // statement_timeout per connection bounds every query of the service.
  const int64_t ms = absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_db_statement_timeout));
  if (ms > 0) {
    absl::StrAppend(&url, url.find('?') == std::string::npos ? "?" : "&",
                    "options=-c%20statement_timeout%3D", ms);
  }
  return url;
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
  if (absl::GetFlag(FLAGS_migrate_on_start) && RunMigrate() != 0) return 1;

  ConnectionPool::Options pool_options;
  pool_options.url = DatabaseUrl();
  pool_options.size = absl::GetFlag(FLAGS_db_pool_size);
  pool_options.acquire_timeout = absl::GetFlag(FLAGS_db_acquire_timeout);
  pool_options.on_connect = [](pqxx::connection& conn) {
    PgZoneStore::PrepareConnection(conn);
    PgPropagationStore::PrepareConnection(conn);
  };
  auto pool = std::make_shared<ConnectionPool>(pool_options);

  absl::StatusOr<SecretBox> secret_box = SecretBox::FromBase64Key(absl::GetFlag(FLAGS_secret_key));
  absl::SetFlag(&FLAGS_secret_key, "");  // the box holds it now
  if (!secret_box.ok()) {
    Log(spdlog::level::critical, "unusable secret key",
        {{"error", std::string(secret_box.status().message())}});
    return 1;
  }
  if (!secret_box->encrypting()) {
    Log(spdlog::level::warn,
        "no secret key configured: PowerDNS API keys are stored in plain text in the database; "
        "set DNSD_SECRET_KEY (openssl rand -base64 32)",
        {});
  }

  PgZoneStore store(pool);
  PgServerStore server_store(pool, *secret_box);
  // The propagator's progress records on a small pool of their own
  // (PrepareProgressConnection: no WAL flush wait per mark).
  ConnectionPool::Options progress_pool_options = pool_options;
  progress_pool_options.size = absl::GetFlag(FLAGS_db_propagation_pool_size);
  progress_pool_options.on_connect = &PgPropagationStore::PrepareProgressConnection;
  PgPropagationStore propagation_store(pool,
                                       std::make_shared<ConnectionPool>(progress_pool_options));

  pdns::ClientOptions client_options;
  client_options.max_in_flight = absl::GetFlag(FLAGS_pdns_max_in_flight);
  client_options.read_timeout = absl::GetFlag(FLAGS_pdns_timeout);
  client_options.write_timeout = absl::GetFlag(FLAGS_pdns_timeout);
  client_options.max_body_bytes = absl::GetFlag(FLAGS_pdns_max_body_bytes);
  client_options.rate_limit_qps = absl::GetFlag(FLAGS_pdns_rate_limit_qps);
  client_options.rate_limit_burst = std::max(1.0, absl::GetFlag(FLAGS_pdns_rate_limit_qps));
  client_options.circuit_breaker.failure_threshold = absl::GetFlag(FLAGS_pdns_breaker_failures);
  client_options.circuit_breaker.open_duration = absl::GetFlag(FLAGS_pdns_breaker_open);
  pdns::PdnsClientPool::Options client_pool_options;
  client_pool_options.client_defaults = client_options;
  pdns::PdnsClientPool clients(client_pool_options);
  CaresDnsProber prober;
  PropagatorOptions propagator_options;
  propagator_options.workers = absl::GetFlag(FLAGS_propagation_workers);
  propagator_options.lease = absl::GetFlag(FLAGS_propagation_lease);
  propagator_options.max_backoff = absl::GetFlag(FLAGS_propagation_max_backoff);
  propagator_options.client_options = client_options;
  propagator_options.max_full_sync_rrsets = absl::GetFlag(FLAGS_max_full_sync_rrsets);
  Propagator propagator(propagation_store, store, server_store, clients, prober,
                        propagator_options);

  ZoneManager manager(store, DefaultsFromFlags(), &propagator);
  // Large requests cost dnsd about 35 times their size in memory while they
  // are worked on: bound how many bytes of them are at once.
  WeightedGate large_requests(static_cast<int64_t>(absl::GetFlag(FLAGS_max_large_request_bytes)),
                              256 << 10);
  ZoneServiceImpl zone_service(manager, &large_requests);
  RecordServiceImpl record_service(manager, &large_requests);
  ServerCheckOptions server_check;
  server_check.timeout = absl::GetFlag(FLAGS_server_check_timeout);
  ServerManager server_manager(server_store, [&propagator] { propagator.ServersChanged(); },
                               server_check);
  ServerServiceImpl server_service(server_manager);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_max_message_bytes));
  builder.RegisterService(&zone_service);
  builder.RegisterService(&record_service);
  builder.RegisterService(&server_service);
  // A steady pool of handler threads: growing and shrinking it per burst
  // costs more than the calls themselves.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 4);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 8);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    Log(spdlog::level::critical, "cannot listen", {{"listen", absl::GetFlag(FLAGS_listen)}});
    return 1;
  }
  auto* health = server->GetHealthCheckService();
  // Not ready until the first database check says so.
  health->SetServingStatus(false);
  HealthReporter reporter(store, absl::GetFlag(FLAGS_health_interval), [health](bool serving) {
    for (const char* service :
         {"", "dns.v1.ZoneService", "dns.v1.RecordService", "dns.v1.ServerService"}) {
      health->SetServingStatus(service, serving);
    }
  });
  propagator.Start();
  Log(spdlog::level::info, "dnsd serving", {{"listen", absl::GetFlag(FLAGS_listen)},
                                             {"port", std::to_string(port)}});

  // Wait for SIGTERM/SIGINT, then drain in-flight calls.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  Log(spdlog::level::info, "shutting down", {{"signal", std::to_string(received)}});
  health->Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  propagator.Stop();
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
  // A peer that closes a socket or pipe while dnsd writes to it (PowerDNS
  // refusing an oversized body, a log reader going away) is an error on that
  // write, never the end of the process.
  std::signal(SIGPIPE, SIG_IGN);

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
