#include "server/health/health_checker.h"

#include <chrono>
#include <future>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/host_port.h"
#include "common/serial.h"

namespace dns {
namespace {

// A name no server serves: with no zone in sync to ask for, any answer to
// it (REFUSED, NXDOMAIN) still shows the server answers DNS.
constexpr char kCanaryName[] = "health-probe.dns-v1.invalid.";

double Stat(const pdns::Statistics& stats, const char* name, bool* found = nullptr) {
  auto it = stats.find(name);
  double value = 0;
  const bool ok = it != stats.end() && absl::SimpleAtod(it->second, &value);
  if (found) *found = ok;
  return ok ? value : 0;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// Waits for a future until `deadline` (real time): a stalled server's
// answer is not waited for past the round's end.
template <typename T>
std::optional<T> WaitUntil(std::future<T>& f, absl::Time deadline) {
  const absl::Duration left = std::max(absl::ZeroDuration(), deadline - absl::Now());
  if (f.wait_for(absl::ToChronoMicroseconds(left)) != std::future_status::ready) {
    return std::nullopt;
  }
  return f.get();
}

CheckResult Figure(const char* name, double value, const char* unit) {
  CheckResult c;
  c.name = name;
  c.value = value;
  c.unit = unit;
  return c;
}

// Fails the check when its figure is over the threshold (an alert).
void Judge(CheckResult& c, std::optional<double> threshold, const std::string& what) {
  c.threshold = threshold;
  if (threshold && c.value && *c.value > *threshold) {
    c.passed = false;
    c.message = absl::StrFormat("%s %.6g %s, over %.6g", what, *c.value, c.unit, *threshold);
  }
}

}  // namespace

HealthChecker::HealthChecker(HealthStore& store, DnsProber& prober, LagSource lag,
                             HealthCheckOptions options, std::shared_ptr<Clock> clock)
    : store_(store),
      prober_(prober),
      lag_(std::move(lag)),
      options_(std::move(options)),
      clock_(std::move(clock)) {}

HealthReport HealthChecker::Run(const Server& server, pdns::PdnsClient& client) {
  HealthReport report;
  report.server = server.name;
  report.time = clock_->Now();
  const absl::Time deadline = absl::Now() + options_.timeout;
  pdns::CallContext ctx;
  ctx.request_id = absl::StrCat("health-", server.name);
  ctx.deadline = clock_->Now() + options_.timeout;

  // The API calls go out together; the DNS probe runs meanwhile here.
  const absl::Time api_start = absl::Now();
  auto info = client.AsyncGetServerInfo(ctx);
  auto stats = client.AsyncGetStatistics(ctx);
  std::optional<std::future<absl::StatusOr<std::vector<pdns::ZoneInfo>>>> zones;
  bool zones_due = server.mode == ServerMode::kSharedDb;
  if (server.mode == ServerMode::kApi) {
    absl::MutexLock lock(&mu_);
    auto it = last_zone_check_.find(server.name);
    if (it == last_zone_check_.end() || report.time - it->second >= options_.zone_check_every) {
      last_zone_check_[server.name] = report.time;
      zones_due = true;
    }
  }
  if (server.mode == ServerMode::kApi && zones_due) zones = client.AsyncListZones(ctx);

  std::optional<HostPort> dns = ParseIpHostPort(server.dns_address, 53);
  if (dns) {
    CheckResult probe;
    probe.name = "dns_probe";
    probe.unit = "ms";
    absl::StatusOr<std::optional<ProbeTarget>> target = store_.FindProbeTarget(server.name);
    const absl::Time start = absl::Now();
    const std::string name = target.ok() && *target ? (*target)->zone : kCanaryName;
    absl::StatusOr<ProbeResult> answer =
        prober_.Query(dns->host, dns->port, name, "SOA", options_.probe_timeout);
    probe.latency = absl::Now() - start;
    if (target.ok() && *target) {
      if (!answer.ok()) {
        probe.passed = false;
        probe.message = absl::StrCat("SOA ", name, ": ", answer.status().message());
        // An answer without the zone (REFUSED, NXDOMAIN) still shows the
        // server serves; silence or SERVFAIL does not.
        std::optional<int> rcode = RcodeFromStatus(answer.status());
        if (rcode && *rcode != 2) probe.value = Ms(probe.latency);
      } else {
        probe.value = Ms(answer->latency);
        const uint32_t want = (*target)->serial;
        const uint32_t got = answer->soa_serial.value_or(0);
        // Newer than the truth read a moment ago is a write that landed
        // since.
        if (!answer->soa_serial || !SerialAtOrAfter(got, want)) {
          probe.passed = false;
          probe.message =
              absl::StrCat("SOA ", name, " serial ", got, ", the truth's is ", want);
        } else {
          probe.message = absl::StrCat("SOA ", name, " serial ", got);
        }
      }
    } else {
      const absl::StatusCode code = answer.status().code();
      // Any DNS answer shows the server serves; only silence is a failure.
      if (answer.ok() || RcodeFromStatus(answer.status())) {
        probe.value = Ms(probe.latency);
        probe.message = absl::StrCat("answers (asked ", name,
                                     answer.ok() ? "" : absl::StrCat(": ", answer.status().message()),
                                     "; no zone in sync to ask for)");
      } else {
        probe.passed = false;
        probe.message = absl::StrCat("no DNS answer: ", absl::StatusCodeToString(code), " ",
                                     answer.status().message());
      }
    }
    report.checks.push_back(std::move(probe));
  }

  CheckResult api;
  api.name = "api";
  api.unit = "ms";
  if (std::optional<absl::StatusOr<pdns::ServerInfo>> got = WaitUntil(info, deadline)) {
    api.latency = absl::Now() - api_start;
    if (got->ok()) {
      report.version = (*got)->version;
      api.value = Ms(api.latency);
      api.message = absl::StrCat("PowerDNS ", (*got)->version);
      Judge(api, options_.api_latency_ms, "answered in");
    } else {
      api.passed = false;
      api.message = std::string(got->status().message());
    }
  } else {
    api.latency = absl::Now() - api_start;
    api.passed = false;
    api.message = absl::StrCat("no answer within ", absl::FormatDuration(options_.timeout));
  }
  report.checks.push_back(std::move(api));

  CheckResult statistics;
  statistics.name = "statistics";
  std::optional<absl::StatusOr<pdns::Statistics>> got_stats = WaitUntil(stats, deadline);
  statistics.latency = absl::Now() - api_start;
  if (got_stats && got_stats->ok()) {
    statistics.message = absl::StrCat((*got_stats)->size(), " statistics");
    report.checks.push_back(std::move(statistics));
    AddStatistics(server.name, **got_stats, report.time, report);
  } else {
    statistics.passed = false;
    statistics.message = got_stats ? std::string(got_stats->status().message())
                                   : absl::StrCat("no answer within ",
                                                  absl::FormatDuration(options_.timeout));
    report.checks.push_back(std::move(statistics));
  }

  CheckResult out_of_sync;
  out_of_sync.name = "zones_out_of_sync";
  out_of_sync.unit = "count";
  absl::StatusOr<int64_t> drift = absl::UnknownError("not counted");
  if (zones) {
    CheckResult list;
    list.name = "zones";
    list.unit = "count";
    std::optional<absl::StatusOr<std::vector<pdns::ZoneInfo>>> got = WaitUntil(*zones, deadline);
    list.latency = absl::Now() - api_start;
    if (got && got->ok()) {
      std::vector<std::string> names;
      std::vector<uint32_t> serials;
      names.reserve((*got)->size());
      for (const auto& z : **got) {
        names.push_back(z.name);
        serials.push_back(z.serial);
      }
      list.value = static_cast<double>(names.size());
      list.message = absl::StrCat(names.size(), " zones");
      const absl::Time start = absl::Now();
      drift = store_.CountOutOfSync(server.name, names, serials);
      out_of_sync.latency = absl::Now() - start;
    } else {
      list.passed = false;
      list.message = got ? std::string(got->status().message())
                         : absl::StrCat("no answer within ", absl::FormatDuration(options_.timeout));
      absl::MutexLock lock(&mu_);
      last_zone_check_.erase(server.name);  // try again next round
    }
    report.checks.push_back(std::move(list));
  } else if (zones_due) {
    const absl::Time start = absl::Now();
    drift = store_.CountOutOfSync(server.name, std::nullopt, {});
    out_of_sync.latency = absl::Now() - start;
  }
  if (drift.ok()) {
    out_of_sync.value = static_cast<double>(*drift);
    out_of_sync.message = absl::StrCat(*drift, " zones out of sync");
    Judge(out_of_sync, options_.zones_out_of_sync, "");
    if (!out_of_sync.passed) out_of_sync.message = absl::StrCat(*drift, " zones out of sync");
    report.checks.push_back(std::move(out_of_sync));
  }

  if (lag_) {
    const absl::Time start = absl::Now();
    absl::StatusOr<std::optional<absl::Duration>> lag = lag_(server.name);
    if (lag.ok()) {
      CheckResult c = Figure("propagation_lag", 0, "s");
      c.latency = absl::Now() - start;
      c.value = *lag ? absl::ToDoubleSeconds(**lag) : 0.0;
      c.message = *lag ? absl::StrCat("oldest unconfirmed change ",
                                      absl::FormatDuration(absl::Trunc(**lag, absl::Milliseconds(1))))
                       : "nothing pending";
      report.checks.push_back(std::move(c));
    }
  }
  return report;
}

void HealthChecker::AddStatistics(const std::string& server, const pdns::Statistics& stats,
                                  absl::Time now, HealthReport& report) {
  Counters c;
  c.time = now;
  c.uptime = Stat(stats, "uptime");
  c.cpu_msec = Stat(stats, "user-msec") + Stat(stats, "sys-msec");
  c.queries = Stat(stats, "udp-queries") + Stat(stats, "tcp-queries");
  c.servfail = Stat(stats, "servfail-packets");
  c.packet_hit = Stat(stats, "packetcache-hit");
  c.packet_miss = Stat(stats, "packetcache-miss");
  c.query_hit = Stat(stats, "query-cache-hit");
  c.query_miss = Stat(stats, "query-cache-miss");
  std::optional<Counters> last;
  {
    absl::MutexLock lock(&mu_);
    auto it = last_.find(server);
    if (it != last_.end()) last = it->second;
    last_[server] = c;
  }
  // Rates need a previous round of the same process: a restart (uptime
  // went back) or a first round has none.
  const double wall = last ? absl::ToDoubleSeconds(now - last->time) : 0;
  const bool rates = last && wall > 0 && c.uptime >= last->uptime;

  bool found = false;
  const double memory = Stat(stats, "real-memory-usage", &found);
  if (found) {
    CheckResult m = Figure("memory", memory, "bytes");
    std::optional<double> limit;
    if (options_.memory_limit_bytes > 0) {
      limit = options_.memory_limit_bytes * options_.memory_percent / 100.0;
    }
    Judge(m, limit, "real memory");
    report.checks.push_back(std::move(m));
  }
  if (rates) {
    CheckResult cpu = Figure("cpu", (c.cpu_msec - last->cpu_msec) / 10.0 / wall, "percent");
    Judge(cpu, options_.cpu_percent, "cpu");
    report.checks.push_back(std::move(cpu));
    report.checks.push_back(Figure("query_rate", (c.queries - last->queries) / wall, "qps"));
    report.checks.push_back(Figure("servfail_rate", (c.servfail - last->servfail) / wall, "qps"));
  }
  auto hit_rate = [&](const char* name, double hit, double miss, double last_hit,
                      double last_miss) {
    double h = hit, m = miss;
    if (rates) {
      h -= last_hit;
      m -= last_miss;
    }
    if (h + m <= 0) return;
    report.checks.push_back(Figure(name, h / (h + m), "ratio"));
  };
  hit_rate("packet_cache_hit_rate", c.packet_hit, c.packet_miss, last ? last->packet_hit : 0,
           last ? last->packet_miss : 0);
  hit_rate("query_cache_hit_rate", c.query_hit, c.query_miss, last ? last->query_hit : 0,
           last ? last->query_miss : 0);
  const double latency = Stat(stats, "latency", &found);
  if (found) report.checks.push_back(Figure("latency", latency, "us"));
  const double fds = Stat(stats, "fd-usage", &found);
  if (found) report.checks.push_back(Figure("fd_usage", fds, "count"));
  report.checks.push_back(Figure("uptime", c.uptime, "s"));
}

}  // namespace dns
