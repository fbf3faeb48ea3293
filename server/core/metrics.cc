#include "server/core/metrics.h"

#include "absl/time/clock.h"
#include "prometheus/text_serializer.h"

namespace dns {
namespace {

// go-grpc-prometheus's default buckets.
const prometheus::Histogram::BucketBoundaries& RpcBuckets() {
  static const auto* buckets =
      new prometheus::Histogram::BucketBoundaries{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& JobBuckets() {
  static const auto* buckets =
      new prometheus::Histogram::BucketBoundaries{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300};
  return *buckets;
}

}  // namespace

std::string GrpcCodeName(int code) {
  static const char* const kNames[] = {
      "OK",           "Canceled",          "Unknown",          "InvalidArgument",
      "DeadlineExceeded", "NotFound",      "AlreadyExists",    "PermissionDenied",
      "ResourceExhausted", "FailedPrecondition", "Aborted",    "OutOfRange",
      "Unimplemented", "Internal",         "Unavailable",      "DataLoss",
      "Unauthenticated"};
  if (code < 0 || code > 16) return "Unknown";
  return kNames[code];
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      rpc_started_(prometheus::BuildCounter()
                       .Name("grpc_server_started_total")
                       .Help("Total number of RPCs started on the server.")
                       .Register(*registry_)),
      rpc_handled_(prometheus::BuildCounter()
                       .Name("grpc_server_handled_total")
                       .Help("Total number of RPCs completed on the server, regardless of success "
                             "or failure.")
                       .Register(*registry_)),
      rpc_seconds_(prometheus::BuildHistogram()
                       .Name("grpc_server_handling_seconds")
                       .Help("Histogram of response latency (seconds) of gRPC that had been "
                             "application-level handled by the server.")
                       .Register(*registry_)),
      pdns_requests_(prometheus::BuildCounter()
                         .Name("dnsd_pdns_requests_total")
                         .Help("PowerDNS API calls (each attempt) by server, operation and "
                               "outcome (a status code name).")
                         .Register(*registry_)),
      pdns_seconds_(prometheus::BuildHistogram()
                        .Name("dnsd_pdns_request_duration_seconds")
                        .Help("Latency of PowerDNS API calls.")
                        .Register(*registry_)),
      circuit_(prometheus::BuildGauge()
                   .Name("dnsd_pdns_circuit_state")
                   .Help("Circuit breaker of each PowerDNS server: 0 closed, 1 half-open, 2 open.")
                   .Register(*registry_)),
      pending_(prometheus::BuildGauge()
                   .Name("dnsd_propagation_pending")
                   .Help("Zone changes not yet confirmed on each server.")
                   .Register(*registry_)),
      oldest_(prometheus::BuildGauge()
                  .Name("dnsd_propagation_oldest_pending_seconds")
                  .Help("Age of the oldest change not yet confirmed on each server.")
                  .Register(*registry_)),
      subscribers_(prometheus::BuildGauge()
                       .Name("dnsd_event_hub_subscribers")
                       .Help("Subscribers of the event hub (waiting calls, streams, parts).")
                       .Register(*registry_)),
      job_runs_(prometheus::BuildCounter()
                    .Name("dnsd_job_runs_total")
                    .Help("Runs of periodic jobs on this replica by job and outcome (ok, error).")
                    .Register(*registry_)),
      job_last_success_(prometheus::BuildGauge()
                            .Name("dnsd_job_last_success_timestamp_seconds")
                            .Help("When each periodic job last succeeded on this replica.")
                            .Register(*registry_)),
      job_seconds_(prometheus::BuildHistogram()
                       .Name("dnsd_job_duration_seconds")
                       .Help("Duration of periodic job runs.")
                       .Register(*registry_)),
      leader_(prometheus::BuildGauge()
                  .Name("dnsd_leader")
                  .Help("1 on the replica that runs the periodic jobs (it holds the PostgreSQL "
                        "advisory lock), 0 on the others.")
                  .Register(*registry_)),
      pool_in_use_(prometheus::BuildGauge()
                       .Name("dnsd_db_pool_connections_in_use")
                       .Help("PostgreSQL connections lent out, by pool.")
                       .Register(*registry_)),
      pool_size_(prometheus::BuildGauge()
                     .Name("dnsd_db_pool_connections")
                     .Help("PostgreSQL connections each pool may open.")
                     .Register(*registry_)),
      health_checks_(prometheus::BuildCounter()
                         .Name("dnsd_health_checks_total")
                         .Help("Health checks run on this replica by server, check and outcome "
                               "(pass, fail).")
                         .Register(*registry_)),
      health_check_seconds_(prometheus::BuildHistogram()
                                .Name("dnsd_health_check_duration_seconds")
                                .Help("How long each health check took.")
                                .Register(*registry_)),
      server_status_(prometheus::BuildGauge()
                         .Name("dnsd_server_status")
                         .Help("1 for each server's current status (HEALTHY, DEGRADED, "
                               "UNAVAILABLE, MAINTENANCE, UNSPECIFIED), 0 for the others.")
                         .Register(*registry_)),
      alerts_(prometheus::BuildGauge()
                  .Name("dnsd_server_alert")
                  .Help("1 while a health alert (api, memory, cpu, zones_out_of_sync) stands "
                        "on a server.")
                  .Register(*registry_)),
      watchers_(prometheus::BuildGauge()
                    .Name("dnsd_health_watchers")
                    .Help("WatchHealth streams open on this replica.")
                    .Register(*registry_)) {
  watchers_.Add({}).Set(0);
  leader_.Add({}).Set(0);
  subscribers_.Add({}).Set(0);
}

void Metrics::RpcStarted(const std::string& type, const std::string& service,
                         const std::string& method) {
  rpc_started_.Add({{"grpc_type", type}, {"grpc_service", service}, {"grpc_method", method}})
      .Increment();
}

void Metrics::RpcHandled(const std::string& type, const std::string& service,
                         const std::string& method, int code, absl::Duration elapsed) {
  rpc_handled_
      .Add({{"grpc_type", type},
            {"grpc_service", service},
            {"grpc_method", method},
            {"grpc_code", GrpcCodeName(code)}})
      .Increment();
  rpc_seconds_
      .Add({{"grpc_type", type}, {"grpc_service", service}, {"grpc_method", method}}, RpcBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void Metrics::PdnsCall(const std::string& server, const std::string& operation,
                       const std::string& outcome, absl::Duration elapsed) {
  pdns_requests_.Add({{"server", server}, {"operation", operation}, {"outcome", outcome}})
      .Increment();
  pdns_seconds_.Add({{"server", server}, {"operation", operation}}, RpcBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void Metrics::JobRan(const std::string& job, bool ok, absl::Duration elapsed) {
  job_runs_.Add({{"job", job}, {"outcome", ok ? "ok" : "error"}}).Increment();
  job_seconds_.Add({{"job", job}}, JobBuckets()).Observe(absl::ToDoubleSeconds(elapsed));
  if (ok) job_last_success_.Add({{"job", job}}).Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
}

void Metrics::HealthCheck(const std::string& server, const std::string& check, bool passed,
                          absl::Duration elapsed) {
  health_checks_.Add({{"server", server}, {"check", check}, {"outcome", passed ? "pass" : "fail"}})
      .Increment();
  health_check_seconds_.Add({{"server", server}, {"check", check}}, RpcBuckets())
      .Observe(absl::ToDoubleSeconds(elapsed));
}

void Metrics::SetServerStatus(const std::string& server, const std::string& status) {
  for (const char* s : {"HEALTHY", "DEGRADED", "UNAVAILABLE", "MAINTENANCE", "UNSPECIFIED"}) {
    server_status_.Add({{"server", server}, {"status", s}}).Set(status == s ? 1 : 0);
  }
}

void Metrics::SetAlert(const std::string& server, const std::string& alert, bool active) {
  alerts_.Add({{"server", server}, {"alert", alert}}).Set(active ? 1 : 0);
}

void Metrics::SetHealthWatchers(int64_t n) { watchers_.Add({}).Set(static_cast<double>(n)); }

void Metrics::ForgetServer(const std::string& server) {
  for (const char* s : {"HEALTHY", "DEGRADED", "UNAVAILABLE", "MAINTENANCE", "UNSPECIFIED"}) {
    server_status_.Remove(&server_status_.Add({{"server", server}, {"status", s}}));
  }
  for (const char* a : {"api", "memory", "cpu", "zones_out_of_sync"}) {
    alerts_.Remove(&alerts_.Add({{"server", server}, {"alert", a}}));
  }
}

void Metrics::SetCircuitState(const std::string& server, int state) {
  circuit_.Add({{"server", server}}).Set(state);
}

void Metrics::SetPropagationBacklog(const std::string& server, int64_t pending,
                                    absl::Duration oldest) {
  pending_.Add({{"server", server}}).Set(static_cast<double>(pending));
  oldest_.Add({{"server", server}}).Set(absl::ToDoubleSeconds(oldest));
}

void Metrics::SetSubscribers(int64_t n) { subscribers_.Add({}).Set(static_cast<double>(n)); }

void Metrics::SetLeader(bool leader) { leader_.Add({}).Set(leader ? 1 : 0); }

void Metrics::SetPool(const std::string& pool, int in_use, int size) {
  pool_in_use_.Add({{"pool", pool}}).Set(in_use);
  pool_size_.Add({{"pool", pool}}).Set(size);
}

void Metrics::AddCollector(std::function<void(Metrics&)> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::Render() {
  std::vector<std::function<void(Metrics&)>> collectors;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
  }
  for (auto& collect : collectors) collect(*this);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace dns
