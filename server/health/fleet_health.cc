#include "server/health/fleet_health.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_details.h"
#include "server/domain/server_name.h"

namespace dns {
namespace {

// At most this many buckets in one GetServerMetrics answer.
constexpr int64_t kMaxBuckets = 10000;
// Buckets when the request names no step.
constexpr int64_t kDefaultBuckets = 360;

// Bucket widths a person reads easily; over an hour, whole hours (which
// also lets the store answer from its hourly roll-ups).
absl::Duration NiceStep(absl::Duration raw) {
  for (absl::Duration d : {absl::Seconds(1), absl::Seconds(5), absl::Seconds(10),
                           absl::Seconds(15), absl::Seconds(30), absl::Minutes(1),
                           absl::Minutes(5), absl::Minutes(10), absl::Minutes(15),
                           absl::Minutes(30), absl::Hours(1)}) {
    if (raw <= d) return d;
  }
  return absl::Ceil(raw, absl::Hours(1));
}

}  // namespace

FleetHealth::FleetHealth(ServerStore& servers, HealthStore& store, HealthChecker& checker,
                         pdns::PdnsClientPool& clients, Metrics* metrics,
                         FleetHealthOptions options, std::shared_ptr<Clock> clock)
    : servers_(servers),
      store_(store),
      checker_(checker),
      clients_(clients),
      metrics_(metrics),
      options_(std::move(options)),
      clock_(std::move(clock)),
      executor_(Executor::Options{std::max(1, options_.concurrency), 4096}) {}

FleetHealth::~FleetHealth() { Stop(); }

void FleetHealth::Stop() { executor_.Shutdown(); }

void FleetHealth::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::set<std::string>* running) { return running->empty(); }, &running_));
}

absl::Status FleetHealth::Tick() {
  {
    absl::MutexLock lock(&mu_);
    if (!partitions_ready_) {
      // A new leader makes sure today's partition exists before sampling.
      partitions_ready_ = store_.EnsurePartitions(clock_->Now(), 2).ok();
    }
  }
  absl::StatusOr<std::vector<Server>> servers = servers_.ListServersWithKeys();
  if (!servers.ok()) return servers.status();
  const absl::Time now = clock_->Now();
  std::set<std::string> names;
  for (const Server& s : *servers) names.insert(s.name);
  for (const auto& client : clients_.List()) {
    if (!names.count(client->server_name())) {
      clients_.Remove(client->server_name());
      if (metrics_) metrics_->ForgetServer(client->server_name());
    }
  }
  for (const Server& server : *servers) {
    if (metrics_) metrics_->SetServerStatus(server.name, ServerStatusName(server.status));
    {
      absl::MutexLock lock(&mu_);
      if (running_.count(server.name)) continue;
      // Due when the interval passed since the last round anyone ran (a
      // CheckServerHealth on another replica counts) and since the last
      // one this monitor planned.
      absl::Time due = server.last_check_time == absl::InfinitePast()
                           ? absl::InfinitePast()
                           : server.last_check_time + options_.interval * 0.95;
      auto next = next_.find(server.name);
      if (next != next_.end()) due = std::max(due, next->second);
      if (now < due) continue;
      const double factor =
          1.0 + absl::Uniform(rng_, -options_.jitter, options_.jitter + 1e-9);
      next_[server.name] = now + options_.interval * factor;
      running_.insert(server.name);
    }
    absl::Status scheduled = executor_.Schedule([this, server]() mutable {
      absl::StatusOr<HealthReport> report = Round(server);
      if (!report.ok() && !absl::IsNotFound(report.status())) {
        Log(spdlog::level::warn, "health round not recorded",
            {{"server", server.name}, {"error", std::string(report.status().message())}});
      }
      absl::MutexLock lock(&mu_);
      running_.erase(server.name);
    });
    if (!scheduled.ok()) {
      absl::MutexLock lock(&mu_);
      running_.erase(server.name);
    }
  }
  absl::MutexLock lock(&mu_);
  for (auto it = next_.begin(); it != next_.end();) {
    it = names.count(it->first) ? std::next(it) : next_.erase(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<HealthReport> FleetHealth::Round(const Server& server) {
  pdns::ServerConfig config{server.name, server.api_url, server.api_key};
  if (absl::Status st = clients_.Upsert(config); !st.ok()) {
    return st;
  }
  std::shared_ptr<pdns::PdnsClient> client = clients_.Get(server.name);
  if (!client) return absl::NotFoundError(absl::StrCat("server ", server.name, " is gone"));
  HealthReport report = checker_.Run(server, *client);

  HealthSample sample;
  sample.server = server.name;
  sample.time = report.time;
  sample.version = report.version;
  for (const auto& c : report.checks) {
    if (c.value) sample.values[c.name] = *c.value;
  }
  const StatusPolicy policy = options_.policy;
  absl::StatusOr<HealthTransition> t = store_.RecordRound(
      server.name, sample, [&report, policy](const HealthState& before) {
        return Assess(before, report, policy);
      });
  if (!t.ok()) return t.status();
  report.status = t->state.status;
  report.status_reason = t->state.reason;
  report.active_alerts = t->state.active_alerts;
  Observe(report);
  for (const HealthEvent& e : t->events) {
    Log(e.type == HealthEventType::kStatusChanged ? spdlog::level::warn : spdlog::level::info,
        "health event",
        {{"server", e.server},
         {"event_id", absl::StrCat(e.id)},
         {"type", HealthEventTypeName(e.type)},
         {"from", ServerStatusName(e.from_status)},
         {"to", ServerStatusName(e.to_status)},
         {"check", e.alert},
         {"reason", e.reason}});
  }
  return report;
}

void FleetHealth::Observe(const HealthReport& report) {
  if (!metrics_) return;
  for (const auto& c : report.checks) {
    metrics_->HealthCheck(report.server, c.name, c.passed, c.latency);
    if (c.threshold) {
      metrics_->SetAlert(report.server, c.name,
                         std::find(report.active_alerts.begin(), report.active_alerts.end(),
                                   c.name) != report.active_alerts.end());
    }
  }
  metrics_->SetServerStatus(report.server, ServerStatusName(report.status));
}

absl::StatusOr<HealthReport> FleetHealth::CheckNow(const std::string& name) {
  if (auto bad = CheckServerName(name)) return InvalidField("name", *bad);
  absl::StatusOr<std::vector<Server>> servers = servers_.ListServersWithKeys();
  if (!servers.ok()) return servers.status();
  auto it = std::find_if(servers->begin(), servers->end(),
                         [&](const Server& s) { return s.name == name; });
  if (it == servers->end()) {
    return WithReason(absl::NotFoundError(absl::StrCat("server ", name, " is not registered")),
                      "SERVER_NOT_FOUND");
  }
  return Round(*it);
}

absl::StatusOr<MetricsAnswer> FleetHealth::QueryMetrics(MetricsRequest request) {
  std::vector<FieldViolation> violations;
  if (auto bad = CheckServerName(request.server)) violations.push_back({"name", *bad});
  const absl::Time now = clock_->Now();
  if (request.end == absl::InfiniteFuture()) request.end = now;
  if (request.start == absl::InfinitePast()) request.start = request.end - absl::Hours(1);
  if (request.start >= request.end) {
    violations.push_back({"start_time", "must be before end_time"});
  }
  if (request.step < absl::ZeroDuration()) {
    violations.push_back({"step", "must not be negative"});
  }
  for (const auto& m : request.metrics) {
    bool known = false;
    for (const auto& k : kHealthMetrics) known = known || m == k.name;
    if (!known) {
      violations.push_back(
          {"metrics", absl::StrCat("unknown metric '", m.substr(0, 64),
                                   "' (api, dns_probe, memory, cpu, query_rate, "
                                   "packet_cache_hit_rate, query_cache_hit_rate, servfail_rate, "
                                   "latency, fd_usage, uptime, zones, zones_out_of_sync, "
                                   "propagation_lag)")});
      break;
    }
  }
  if (!violations.empty()) return InvalidFields(violations);
  const absl::Duration range = request.end - request.start;
  if (request.step == absl::ZeroDuration()) {
    request.step = NiceStep(range / kDefaultBuckets);
  } else if (request.step > absl::Hours(1)) {
    request.step = absl::Ceil(request.step, absl::Hours(1));
  }
  request.step = std::max(absl::Ceil(request.step, absl::Seconds(1)), absl::Seconds(1));
  if (range / request.step > kMaxBuckets) {
    return InvalidField("step", absl::StrCat("gives more than ", kMaxBuckets,
                                             " buckets over the range; use at least ",
                                             absl::FormatDuration(absl::Ceil(
                                                 range / kMaxBuckets, absl::Seconds(1)))));
  }
  absl::StatusOr<Server> server = servers_.GetServer(request.server);
  if (!server.ok()) return server.status();
  MetricsQuery query{request.server, request.start, request.end, request.step, request.metrics};
  absl::StatusOr<MetricsResult> result = store_.QueryMetrics(query);
  if (!result.ok()) return result.status();
  return MetricsAnswer{*std::move(result), request.step};
}

void FleetHealth::ReportFailure(const std::string& server, const absl::Status& status) {
  const absl::Time now = clock_->Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = last_failure_report_.find(server);
    if (it != last_failure_report_.end() && now - it->second < options_.failure_report_every) {
      return;
    }
    last_failure_report_[server] = now;
  }
  const std::string reason =
      absl::StrCat("propagation: ", status.message().substr(0, 300));
  const StatusPolicy policy = options_.policy;
  (void)executor_.Schedule([this, server, reason, now, policy] {
    absl::StatusOr<HealthTransition> t = store_.RecordRound(
        server, std::nullopt, [&](const HealthState& before) {
          return AssessFailure(before, server, reason, now, policy);
        });
    if (t.ok() && metrics_) metrics_->SetServerStatus(server, ServerStatusName(t->state.status));
  });
}

absl::Status FleetHealth::Housekeep() {
  const absl::Time now = clock_->Now();
  absl::StatusOr<int> made = store_.EnsurePartitions(now, 2);
  if (!made.ok()) return made.status();
  absl::StatusOr<int> dropped = store_.DropPartitionsBefore(now - options_.sample_retention);
  if (!dropped.ok()) return dropped.status();
  absl::StatusOr<int64_t> pruned = store_.PruneEvents(now - options_.event_retention);
  if (!pruned.ok()) return pruned.status();
  // Hours that ended a while ago: a round that began before the hour's end
  // has been recorded by then.
  absl::StatusOr<int> rolled = store_.RollUp(now - absl::Minutes(2));
  if (!rolled.ok()) return rolled.status();
  if (*made > 0 || *dropped > 0 || *pruned > 0 || *rolled > 1) {
    Log(spdlog::level::info, "health history kept to its retention",
        {{"partitions_made", absl::StrCat(*made)},
         {"partitions_dropped", absl::StrCat(*dropped)},
         {"events_pruned", absl::StrCat(*pruned)},
         {"hours_rolled_up", absl::StrCat(*rolled)}});
  }
  return absl::OkStatus();
}

}  // namespace dns
