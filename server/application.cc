#include "server/application.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <map>
#include <csignal>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/dns_prober.h"
#include "client/pdns_client_pool.h"
#include "server/call_observer.h"
#include "server/core/event_bridge.h"
#include "server/core/event_hub.h"
#include "server/core/job_runner.h"
#include "server/core/metrics.h"
#include "server/core/timer_queue.h"
#include "server/core/weighted_gate.h"
#include "server/health/fleet_health.h"
#include "server/health/health_checker.h"
#include "server/health/health_feed.h"
#include "server/check_consistency.h"
#include "server/consistency/consistency_checker.h"
#include "server/consistency/consistency_sweeper.h"
#include "server/consistency/reconciler.h"
#include "server/failover/failover_manager.h"
#include "server/failover_service.h"
#include "server/health_reporter.h"
#include "common/logging.h"
#include "server/metrics_http.h"
#include "server/propagation/propagator.h"
#include "server/record_service.h"
#include "server/request_id.h"
#include "server/rpc_runner.h"
#include "server/token_service.h"
#include "server/audit_service.h"
#include "storage/pg_audit_store.h"
#include "server/server_manager.h"
#include "server/server_service.h"
#include "server/zone_manager.h"
#include "server/zone_service.h"
#include "storage/connection_pool.h"
#include "storage/pg_consistency_store.h"
#include "storage/pg_failover_store.h"
#include "storage/pg_token_store.h"
#include "storage/pg_health_store.h"
#include "storage/pg_leader_lock.h"
#include "storage/pg_maintenance.h"
#include "storage/pg_propagation_store.h"
#include "storage/pg_server_store.h"
#include "storage/pg_zone_store.h"
#include "storage/secret_box.h"

namespace dns {
namespace {

// Arbitrary, fixed: the advisory lock whose holder runs the periodic jobs.
constexpr int64_t kLeaderLockId = 0x646e7376316c6472;  // "dnsv1ldr"

std::string DefaultInstanceId() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string name = host[0] ? host : "dnsd";
  for (char& ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '-';
  }
  return absl::StrCat(name.substr(0, 32), "-", getpid(), "-", NewRequestId().substr(0, 6));
}

std::string WithStatementTimeout(const std::string& url, absl::Duration timeout) {
  const int64_t ms = absl::ToInt64Milliseconds(timeout);
  if (ms <= 0) return url;
  return absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                      "options=-c%20statement_timeout%3D", ms);
}

std::string WithApplicationName(const std::string& url, const std::string& name) {
  return absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                      "application_name=", name);
}

// Each server's oldest unconfirmed change for the health rounds: one query
// for the whole fleet, at most once a second, however many rounds ask.
class BacklogCache {
 public:
  explicit BacklogCache(PropagationStore& store) : store_(store) {}

  absl::StatusOr<std::optional<absl::Duration>> Lag(const std::string& server) {
    absl::MutexLock lock(&mu_);
    if (absl::Now() - read_ >= absl::Seconds(1)) {
      absl::StatusOr<std::vector<PropagationStore::Backlog>> backlog = store_.PendingByServer();
      if (!backlog.ok()) return backlog.status();
      lag_.clear();
      for (const auto& b : *backlog) {
        if (b.pending > 0) lag_[b.server] = b.oldest;
      }
      read_ = absl::Now();
    }
    auto it = lag_.find(server);
    if (it == lag_.end()) return std::optional<absl::Duration>();
    return std::optional<absl::Duration>(it->second);
  }

 private:
  PropagationStore& store_;
  absl::Mutex mu_;
  absl::Time read_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::map<std::string, absl::Duration> lag_ ABSL_GUARDED_BY(mu_);
};

absl::Status CheckHealthConfig(const HealthConfig& h) {
  if (h.interval != absl::ZeroDuration() && h.interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--health_check_interval must be 0 (off) or at least 1s");
  }
  if (h.timeout < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--health_check_timeout must be at least 100ms");
  }
  if (h.concurrency < 1 || h.failure_threshold < 1 || h.recovery_threshold < 1 ||
      h.watch_buffer < 1) {
    return absl::InvalidArgumentError(
        "--health_check_concurrency, --health_failure_threshold, --health_recovery_threshold "
        "and --watch_buffer must be at least 1");
  }
  if (h.watch_heartbeat < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--watch_heartbeat must be at least 1s");
  }
  if (h.sample_retention < absl::Hours(24)) {
    return absl::InvalidArgumentError("--health_sample_retention must be at least 24h");
  }
  return absl::OkStatus();
}

}  // namespace

struct Application::Parts {
  AppConfig config;
  std::string instance;
  std::shared_ptr<ConnectionPool> pool;
  std::shared_ptr<ConnectionPool> progress_pool;
  std::unique_ptr<SecretBox> secret_box;
  std::unique_ptr<PgZoneStore> zone_store;
  std::unique_ptr<PgServerStore> server_store;
  std::unique_ptr<PgPropagationStore> propagation_store;
  std::unique_ptr<PgMaintenance> maintenance;
  Metrics metrics;
  EventHub hub;
  std::unique_ptr<TimerQueue> timers;
  std::unique_ptr<pdns::PdnsClientPool> clients;
  std::unique_ptr<CaresDnsProber> prober;
  std::unique_ptr<PgHealthStore> health_store;
  std::unique_ptr<BacklogCache> backlog_cache;
  std::unique_ptr<pdns::PdnsClientPool> health_clients;
  std::unique_ptr<HealthChecker> health_checker;
  std::unique_ptr<FleetHealth> fleet_health;
  std::unique_ptr<HealthFeed> health_feed;
  std::unique_ptr<Propagator> propagator;
  std::unique_ptr<ZoneManager> zone_manager;
  std::unique_ptr<ServerManager> server_manager;
  std::unique_ptr<WeightedGate> large_requests;
  std::unique_ptr<RpcRunner> runner;
  std::unique_ptr<ZoneServiceImpl> zone_service;
  std::unique_ptr<RecordServiceImpl> record_service;
  std::unique_ptr<ServerServiceImpl> server_service;
  std::unique_ptr<PgConsistencyStore> consistency_store;
  std::unique_ptr<ConsistencyChecker> checker;
  std::unique_ptr<Reconciler> reconciler;
  std::unique_ptr<ConsistencySweeper> sweeper;
  std::unique_ptr<BackgroundCalls> background;
  std::unique_ptr<PgFailoverStore> failover_store;
  std::unique_ptr<FailoverManager> failover_manager;
  std::unique_ptr<FailoverServiceImpl> failover_service;
  std::unique_ptr<PgTokenStore> token_store;
  std::unique_ptr<Authenticator> authenticator;
  EventHub::Subscription token_events;
  std::unique_ptr<TokenAdmin> token_admin;
  std::unique_ptr<ScopeGuard> scope;
  std::unique_ptr<TokenServiceImpl> token_service;
  std::unique_ptr<PgAuditStore> audit_store;
  std::unique_ptr<AuditManager> audit_manager;
  std::unique_ptr<AuditServiceImpl> audit_service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::unique_ptr<HealthReporter> health;
  std::atomic<bool> database_ok{false};
  std::atomic<bool> serving{false};
  std::unique_ptr<EventBridge> bridge;
  std::unique_ptr<JobRunner> jobs;
  std::unique_ptr<MetricsHttpServer> metrics_http;
  int metrics_port = 0;
  absl::Mutex backlog_mu;
  absl::Time backlog_read = absl::InfinitePast();
  bool shut_down = false;
};

namespace {

// The bootstrap admin token from its file. A file that cannot be read or
// holds no usable secret stops the start (a configuration error); a revoked
// token is only reported: the others still work.
absl::Status EnsureBootstrapToken(TokenAdmin& admin, const AppConfig& c) {
  std::ifstream in(c.auth_bootstrap_token_file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--auth_bootstrap_token_file ", c.auth_bootstrap_token_file, " cannot be read"));
  }
  const std::string secret(absl::StripAsciiWhitespace(text.str()));
  WriteOrigin origin;
  origin.actor = "dnsd";
  origin.rpc = "bootstrap token";
  absl::StatusOr<TokenInfo> token = admin.EnsureBootstrap(c.auth_bootstrap_token_name, secret,
                                                          origin);
  if (absl::IsFailedPrecondition(token.status())) {
    Log(spdlog::level::warn, "bootstrap token not usable",
        {{"token", c.auth_bootstrap_token_name}, {"error", std::string(token.status().message())}});
    return absl::OkStatus();
  }
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("bootstrap token: ", token.status().message()));
  }
  Log(spdlog::level::info, "bootstrap token ready", {{"token", token->name}});
  return absl::OkStatus();
}

}  // namespace

Application::Application(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Application::~Application() { Shutdown(absl::Seconds(10)); }

int Application::port() const { return parts_->port; }
int Application::metrics_port() const { return parts_->metrics_port; }
const std::string& Application::instance_id() const { return parts_->instance; }

absl::StatusOr<std::unique_ptr<Application>> Application::Start(AppConfig config) {
  // A peer that closes a socket or pipe while dnsd writes to it (PowerDNS
  // refusing an oversized body, a log reader going away) is an error on that
  // write, never the end of the process.
  std::signal(SIGPIPE, SIG_IGN);

  auto p = std::make_unique<Parts>();
  p->config = std::move(config);
  AppConfig& c = p->config;
  p->instance = c.instance_id.empty() ? DefaultInstanceId() : c.instance_id;
  // It names this replica in leases and in its database sessions'
  // application_name (how other replicas see that it lives).
  if (p->instance.size() > 48 ||
      !std::all_of(p->instance.begin(), p->instance.end(), [](char ch) {
        return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' ||
               ch == '_';
      })) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--instance_id '", p->instance, "' must be 1-48 letters, digits, '-', '.' or '_'"));
  }

  if (absl::Status bad = CheckHealthConfig(c.health); !bad.ok()) return bad;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(c.tls);
  if (!credentials.ok()) return credentials.status();
  if (!c.pdns.ca_cert_path.empty()) {
    if (absl::Status ca = CheckCaFile(c.pdns.ca_cert_path, "--pdns_tls_ca_file"); !ca.ok()) {
      return ca;
    }
  }

  absl::StatusOr<SecretBox> box = SecretBox::FromBase64Key(c.secret_key);
  c.secret_key.clear();  // the box holds it now
  if (!box.ok()) return box.status();
  if (!box->encrypting()) {
    Log(spdlog::level::warn,
        "no secret key configured: PowerDNS API keys are stored in plain text in the database; "
        "set DNSD_SECRET_KEY (openssl rand -base64 32)",
        {});
  }
  p->secret_box = std::make_unique<SecretBox>(*std::move(box));

  const std::string url =
      WithApplicationName(WithStatementTimeout(c.database_url, c.db_statement_timeout),
                          absl::StrCat("dnsd-", p->instance));
  ConnectionPool::Options pool_options;
  pool_options.url = url;
  pool_options.size = c.db_pool_size;
  pool_options.acquire_timeout = c.db_acquire_timeout;
  pool_options.on_connect = [](pqxx::connection& conn) {
    PgZoneStore::PrepareConnection(conn);
    PgPropagationStore::PrepareConnection(conn);
  };
  p->pool = std::make_shared<ConnectionPool>(pool_options);
  // The propagator's progress records on a small pool of their own
  // (PrepareProgressConnection: no WAL flush wait per mark).
  ConnectionPool::Options progress_options = pool_options;
  progress_options.size = c.db_propagation_pool_size;
  progress_options.on_connect = &PgPropagationStore::PrepareProgressConnection;
  p->progress_pool = std::make_shared<ConnectionPool>(progress_options);
  p->zone_store = std::make_unique<PgZoneStore>(p->pool);
  p->server_store = std::make_unique<PgServerStore>(p->pool, *p->secret_box);
  p->propagation_store = std::make_unique<PgPropagationStore>(p->pool, p->progress_pool);
  p->maintenance = std::make_unique<PgMaintenance>(p->pool);

  p->timers = std::make_unique<TimerQueue>();
  Metrics* metrics = &p->metrics;
  pdns::ClientOptions client_options = c.pdns;
  client_options.observer = [metrics](const std::string& server, const char* op,
                                      absl::StatusCode code, absl::Duration elapsed) {
    metrics->PdnsCall(server, op, absl::StatusCodeToString(code), elapsed);
  };
  pdns::PdnsClientPool::Options client_pool_options;
  client_pool_options.client_defaults = client_options;
  client_pool_options.executor.threads = c.pdns_threads;
  p->clients = std::make_unique<pdns::PdnsClientPool>(client_pool_options);
  p->prober = std::make_unique<CaresDnsProber>();

  // Health: its own PowerDNS clients (no breaker, no retries: a check sees
  // what a server does now) on its own threads, apart from propagation's.
  p->health_store = std::make_unique<PgHealthStore>(p->pool);
  pdns::PdnsClientPool::Options health_pool_options;
  health_pool_options.client_defaults = client_options;
  health_pool_options.client_defaults.retry.max_attempts = 1;
  health_pool_options.client_defaults.circuit_breaker.failure_threshold = 0;
  health_pool_options.client_defaults.max_in_flight = 3;
  health_pool_options.client_defaults.rate_limit_qps = 0;
  health_pool_options.client_defaults.connect_timeout =
      std::min(c.health.timeout, absl::Seconds(2));
  health_pool_options.client_defaults.read_timeout = c.health.timeout;
  health_pool_options.client_defaults.write_timeout = c.health.timeout;
  health_pool_options.executor.threads = std::max(2, c.health.concurrency * 2);
  p->health_clients = std::make_unique<pdns::PdnsClientPool>(health_pool_options);
  HealthCheckOptions checks;
  checks.timeout = c.health.timeout;
  checks.probe_timeout = std::min(c.health.timeout, absl::Seconds(2));
  checks.api_latency_ms = c.health.api_latency_ms;
  checks.cpu_percent = c.health.cpu_percent;
  checks.memory_percent = c.health.memory_percent;
  checks.memory_limit_bytes = c.health.memory_limit_bytes;
  checks.zones_out_of_sync = c.health.zones_out_of_sync;
  checks.zone_check_every = c.health.zone_check_interval;
  p->backlog_cache = std::make_unique<BacklogCache>(*p->propagation_store);
  BacklogCache* backlog = p->backlog_cache.get();
  p->health_checker = std::make_unique<HealthChecker>(
      *p->health_store, *p->prober,
      [backlog](const std::string& server) { return backlog->Lag(server); }, checks);
  FleetHealthOptions fleet;
  fleet.interval = c.health.interval > absl::ZeroDuration() ? c.health.interval
                                                             : absl::Seconds(10);
  fleet.concurrency = c.health.concurrency;
  fleet.policy.failure_threshold = c.health.failure_threshold;
  fleet.policy.recovery_threshold = c.health.recovery_threshold;
  fleet.sample_retention = c.health.sample_retention;
  fleet.event_retention = c.health.event_retention;
  fleet.failure_report_every = fleet.interval;
  p->fleet_health = std::make_unique<FleetHealth>(*p->server_store, *p->health_store,
                                                  *p->health_checker, *p->health_clients,
                                                  metrics, fleet);
  HealthFeed::Options feed_options;
  feed_options.subscriber_capacity = static_cast<size_t>(c.health.watch_buffer);
  feed_options.max_replay = feed_options.subscriber_capacity * 10;
  p->health_feed =
      std::make_unique<HealthFeed>(*p->health_store, p->hub, *p->timers, feed_options);

  PropagatorOptions propagation;
  FleetHealth* fleet_health = p->fleet_health.get();
  propagation.workers.on_unreachable = [fleet_health](const std::string& server,
                                                      const absl::Status& status) {
    fleet_health->ReportFailure(server, status);
  };
  propagation.claimer.owner = p->instance;
  propagation.claimer.capacity = c.propagation_workers;
  propagation.claimer.per_server = std::max(1, c.pdns.max_in_flight);
  propagation.claimer.lease = c.propagation_lease;
  propagation.claimer.renew_every = std::max(absl::Milliseconds(100), c.propagation_lease / 4);
  propagation.claimer.sweep_every = c.propagation_sweep;
  propagation.workers.threads = c.propagation_workers;
  propagation.workers.max_backoff = c.propagation_max_backoff;
  propagation.claimer.hold = std::max(absl::ZeroDuration(), c.propagation_coalesce);
  propagation.max_full_sync_rrsets = c.max_full_sync_rrsets;
  p->propagator = std::make_unique<Propagator>(*p->propagation_store, *p->zone_store,
                                               *p->server_store, *p->clients, *p->prober,
                                               p->hub, *p->timers, propagation);

  p->zone_manager = std::make_unique<ZoneManager>(*p->zone_store, c.zone_defaults,
                                                  p->propagator.get());
  ServerCheckOptions server_check;
  server_check.timeout = c.server_check_timeout;
  server_check.ca_cert_path = c.pdns.ca_cert_path;
  Propagator* propagator = p->propagator.get();
  p->server_manager = std::make_unique<ServerManager>(
      *p->server_store, [propagator] { propagator->ServersChanged(); }, server_check);

  // Large requests cost dnsd about 30 times their size in memory while they
  // are worked on: bound how many bytes of them are at once.
  p->large_requests = std::make_unique<WeightedGate>(c.max_large_request_bytes, 256 << 10);
  p->token_store = std::make_unique<PgTokenStore>(p->pool);
  AuthOptions auth;
  auth.enabled = c.auth;
  auth.rate_limit_qps = c.auth_rate_limit_qps;
  auth.rate_limit_burst = c.auth_rate_limit_burst;
  p->authenticator = std::make_unique<Authenticator>(p->token_store.get(), auth);
  if (!c.auth) {
    Log(spdlog::level::warn,
        "authentication is off (--auth=false): anyone who reaches the gRPC port can change "
        "every zone",
        {});
  }
  // A token changed on any replica (or by `dnsd token`), or events may have
  // been missed: what this replica cached of tokens is forgotten.
  Authenticator* authenticator = p->authenticator.get();
  p->token_events = p->hub.Subscribe("", [authenticator](const Event& event) {
    if (event.type == EventType::kTokensChanged || event.type == EventType::kResync) {
      authenticator->Invalidate();
    }
  });
  p->token_admin = std::make_unique<TokenAdmin>(*p->token_store);
  if (!c.auth_bootstrap_token_file.empty()) {
    if (absl::Status st = EnsureBootstrapToken(*p->token_admin, c); !st.ok()) return st;
  }
  RpcRunner::Options runner_options;
  runner_options.threads = c.rpc_threads;
  runner_options.longest_call = c.longest_call;
  runner_options.auth = p->authenticator.get();
  p->runner = std::make_unique<RpcRunner>(runner_options);
  p->token_service = std::make_unique<TokenServiceImpl>(*p->token_admin, *p->runner);
  p->scope = std::make_unique<ScopeGuard>(*p->zone_store);
  p->audit_store = std::make_unique<PgAuditStore>(p->pool);
  p->audit_manager = std::make_unique<AuditManager>(*p->audit_store, *p->zone_manager);
  p->audit_service =
      std::make_unique<AuditServiceImpl>(*p->audit_manager, *p->runner, *p->scope);
  p->zone_service = std::make_unique<ZoneServiceImpl>(*p->zone_manager, *p->runner, *p->scope,
                                                      p->large_requests.get());
  p->record_service = std::make_unique<RecordServiceImpl>(*p->zone_manager, *p->runner,
                                                          *p->scope, p->large_requests.get());
  HealthServices health_services;
  health_services.fleet = p->fleet_health.get();
  health_services.feed = p->health_feed.get();
  health_services.timers = p->timers.get();
  health_services.metrics = metrics;
  health_services.watch.default_heartbeat = c.health.watch_heartbeat;
  p->consistency_store = std::make_unique<PgConsistencyStore>(p->pool);
  ServerDirectory* directory = &p->propagator->directory();
  FleetAccess fleet_access;
  fleet_access.servers = [directory] { return directory->Servers(); };
  fleet_access.client = [directory](const std::string& server) {
    std::optional<ServerDirectory::Entry> entry = directory->Find(server);
    return entry ? entry->client : std::shared_ptr<pdns::PdnsClient>();
  };
  p->checker =
      std::make_unique<ConsistencyChecker>(*p->consistency_store, fleet_access, *p->prober);
  p->reconciler = std::make_unique<Reconciler>(*p->consistency_store, *p->checker);
  SweepOptions sweep;
  sweep.interval = c.consistency.interval;
  sweep.content_interval = c.consistency.content_interval;
  sweep.grace = c.consistency.grace;
  p->sweeper = std::make_unique<ConsistencySweeper>(*p->checker, *p->consistency_store,
                                                    fleet_access.servers, RealClock(), sweep);
  p->background = std::make_unique<BackgroundCalls>(std::max(1, c.consistency.max_checks));
  health_services.checker = p->checker.get();
  health_services.reconciler = p->reconciler.get();
  health_services.background = p->background.get();
  p->server_service =
      std::make_unique<ServerServiceImpl>(*p->server_manager, *p->runner, health_services);

  p->failover_store = std::make_unique<PgFailoverStore>(p->pool);
  FailoverOptions failover;
  failover.owner = p->instance;
  failover.max_share = c.failover.max_share;
  failover.confirm_timeout = c.failover.confirm_timeout;
  failover.limits = c.zone_defaults.limits;
  p->failover_manager = std::make_unique<FailoverManager>(
      *p->failover_store, *p->server_store, *p->prober, p->propagator.get(), p->hub,
      [propagator = p->propagator.get()](const std::string& server) {
        std::optional<ServerDirectory::Entry> entry = propagator->directory().Find(server);
        return entry ? entry->client : std::shared_ptr<pdns::PdnsClient>();
      },
      failover);
  p->failover_service = std::make_unique<FailoverServiceImpl>(
      *p->failover_manager, *p->zone_manager, *p->runner, p->hub, *p->timers, *p->scope);

  p->propagator->Start();

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(c.listen, *credentials, &p->port);
  builder.SetMaxReceiveMessageSize(c.max_message_bytes);
  builder.RegisterService(p->zone_service.get());
  builder.RegisterService(p->record_service.get());
  builder.RegisterService(p->server_service.get());
  builder.RegisterService(p->failover_service.get());
  builder.RegisterService(p->token_service.get());
  builder.RegisterService(p->audit_service.get());
  // The services are callback-based; only health and reflection use the
  // synchronous threads, so a few suffice.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 2);
  grpc::ResourceQuota quota("dnsd");
  quota.SetMaxThreads(16);
  builder.SetResourceQuota(quota);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<CallObserverFactory>(metrics));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  p->server = builder.BuildAndStart();
  if (!p->server || p->port == 0) {
    p->propagator->Stop();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", c.listen));
  }
  auto* health = p->server->GetHealthCheckService();
  // Not ready until the first database check says so.
  health->SetServingStatus(false);
  Parts* raw = p.get();
  p->health = std::make_unique<HealthReporter>(
      *p->zone_store, c.health_interval, [raw, health](bool serving) {
        raw->database_ok = serving;
        for (const char* service :
             {"", "dns.v1.ZoneService", "dns.v1.RecordService", "dns.v1.ServerService",
              "dns.v1.FailoverService", "dns.v1.TokenService"}) {
          health->SetServingStatus(service, serving);
        }
      });
  p->serving = true;

  PgEventChannel::Options channel;
  channel.url = c.database_url;
  channel.application_name = absl::StrCat("dnsd-", p->instance);
  p->bridge = std::make_unique<EventBridge>(p->hub, p->instance, channel);
  p->bridge->Start();
  // Without the database now, the feed learns where the events stand at its
  // first successful poll; watchers are refused until then.
  if (absl::Status feed = p->health_feed->Start(); !feed.ok()) {
    Log(spdlog::level::warn, "health events not readable yet",
        {{"error", std::string(feed.message())}});
  }

  p->jobs = std::make_unique<JobRunner>(
      std::make_unique<PgLeaderLock>(c.database_url, kLeaderLockId,
                                     absl::StrCat("dnsd-", p->instance, "-leader")),
      metrics, &p->hub);
  PgPropagationStore* store = p->propagation_store.get();
  const absl::Duration horizon = c.journal_horizon;
  p->jobs->Add(Job{"prune_journal", c.housekeeping_interval, [store, horizon]() -> absl::Status {
                     absl::StatusOr<int64_t> pruned = store->PruneJournal(horizon);
                     return pruned.status();
                   }});
  PgMaintenance* maintenance = p->maintenance.get();
  const absl::Duration retention = c.request_retention;
  p->jobs->Add(Job{"expire_requests", c.housekeeping_interval,
                   [maintenance, retention]() -> absl::Status {
                     return maintenance->ExpireRequests(retention).status();
                   }});
  if (c.audit_retention > absl::ZeroDuration()) {
    const absl::Duration audit_retention = c.audit_retention;
    p->jobs->Add(Job{"prune_audit", c.housekeeping_interval,
                     [maintenance, audit_retention]() -> absl::Status {
                       return maintenance->PruneAudit(audit_retention).status();
                     }});
  }
  if (c.health.interval > absl::ZeroDuration()) {
    p->jobs->Add(Job{"health_monitor", absl::Seconds(1),
                     [fleet_health]() -> absl::Status { return fleet_health->Tick(); },
                     /*quiet=*/true});
  }
  p->jobs->Add(Job{"health_history", c.housekeeping_interval,
                   [fleet_health]() -> absl::Status { return fleet_health->Housekeep(); }});
  FailoverManager* failovers = p->failover_manager.get();
  // A failover whose replica went away is taken over within a lease.
  p->jobs->Add(Job{"resume_failovers", absl::Seconds(2),
                   [failovers]() -> absl::Status { return failovers->ResumeOrphans(); },
                   /*quiet=*/true});
  const absl::Duration failover_retention = c.failover.retention;
  p->jobs->Add(Job{"failover_history", c.housekeeping_interval,
                   [failovers, failover_retention]() -> absl::Status {
                     return failovers->Housekeep(failover_retention);
                   }});
  if (c.consistency.interval > absl::ZeroDuration()) {
    ConsistencySweeper* sweeper = p->sweeper.get();
    // The sweeper itself keeps an interval between the end of one sweep
    // and the start of the next; the job only asks often enough.
    p->jobs->Add(Job{"consistency_sweep", std::min(c.consistency.interval, absl::Seconds(5)),
                     [sweeper]() -> absl::Status { return sweeper->Kick(); }, /*quiet=*/true});
  }
  p->jobs->Start();

  // State gauges, refreshed at each scrape; the backlog is read from the
  // database at most every 5 seconds whatever the scrape rate.
  p->metrics.AddCollector([raw](Metrics& m) {
    for (const auto& client : raw->clients->List()) {
      m.SetCircuitState(client->server_name(), static_cast<int>(client->stats().circuit));
    }
    m.SetSubscribers(raw->hub.subscribers());
    m.SetPool("main", raw->pool->in_use(), raw->pool->size());
    m.SetPool("progress", raw->progress_pool->in_use(), raw->progress_pool->size());
    {
      absl::MutexLock lock(&raw->backlog_mu);
      if (absl::Now() - raw->backlog_read < absl::Seconds(5)) return;
      raw->backlog_read = absl::Now();
    }
    absl::StatusOr<std::vector<PropagationStore::Backlog>> backlog =
        raw->propagation_store->PendingByServer();
    if (backlog.ok()) {
      for (const auto& b : *backlog) m.SetPropagationBacklog(b.server, b.pending, b.oldest);
    }
    // Every replica shows the fleet's status and alerts (the leader sets
    // them as it checks; the others read them here).
    absl::StatusOr<Page<Server>> servers = raw->server_store->ListServers({}, "", 1000);
    if (servers.ok()) {
      for (const Server& s : servers->items) {
        m.SetServerStatus(s.name, ServerStatusName(s.status));
        for (const char* alert : {"api", "memory", "cpu", "zones_out_of_sync"}) {
          m.SetAlert(s.name, alert,
                     std::find(s.active_alerts.begin(), s.active_alerts.end(), alert) !=
                         s.active_alerts.end());
        }
      }
    }
  });
  if (!c.metrics_listen.empty()) {
    p->metrics_http = std::make_unique<MetricsHttpServer>(
        p->metrics, [raw] { return raw->serving && raw->database_ok; });
    absl::StatusOr<int> metrics_port = p->metrics_http->Start(c.metrics_listen);
    if (!metrics_port.ok()) {
      auto app = std::unique_ptr<Application>(new Application(std::move(p)));
      app->Shutdown(absl::Seconds(5));
      return metrics_port.status();
    }
    p->metrics_port = *metrics_port;
  }
  Log(spdlog::level::info, "dnsd serving",
      {{"listen", c.listen},
       {"port", absl::StrCat(p->port)},
       {"metrics_port", absl::StrCat(p->metrics_port)},
       {"grpc_transport", TransportMode(c.tls)},
       {"instance", p->instance}});
  return std::unique_ptr<Application>(new Application(std::move(p)));
}

void Application::Shutdown(absl::Duration grace) {
  Parts& p = *parts_;
  if (p.shut_down) return;
  p.shut_down = true;
  const absl::Time start = absl::Now();
  Log(spdlog::level::info, "shutting down", {{"grace", absl::FormatDuration(grace)}});
  p.serving = false;
  if (p.server) p.server->GetHealthCheckService()->Shutdown();
  // Waiting calls answer now with where propagation stands.
  p.propagator->BeginShutdown();
  // Watch streams end now with the last id each was sent.
  if (p.health_feed) p.health_feed->Stop();
  Event shutdown;
  shutdown.type = EventType::kShutdown;
  p.hub.Publish(shutdown);
  // New calls are refused; those in flight get a part of the grace period
  // (their database work is bounded by the statement timeout).
  if (p.server) {
    p.server->Shutdown(absl::ToChronoTime(absl::Now() + grace / 3));
  }
  p.runner->Shutdown();
  // Running failovers are handed over (their leases given back).
  if (p.failover_manager) p.failover_manager->Stop();
  // Abandons PowerDNS calls in flight and gives leased work back.
  p.propagator->Stop();
  if (p.jobs) p.jobs->Stop();
  // Checks and reconciles on threads of their own end at their next page
  // (their calls were cancelled, their PowerDNS calls abandoned).
  if (p.sweeper) p.sweeper->Stop();
  if (p.background) p.background->Drain();
  // Rounds in flight fail at once rather than wait for a stalled server.
  if (p.health_clients) p.health_clients->AbortAll();
  if (p.fleet_health) p.fleet_health->Stop();
  if (p.bridge) p.bridge->Stop();
  if (p.metrics_http) p.metrics_http->Stop();
  p.health.reset();
  if (p.server) p.server->Wait();
  p.timers->Stop();
  Log(spdlog::level::info, "stopped",
      {{"duration_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start))}});
}

}  // namespace dns
