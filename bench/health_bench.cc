// The health monitor's costs, as a user runs it (default flags and pools,
// the local stack's fleet registered):
//   history  30 days of samples for --history_servers servers (one every
//            10 s each): bytes per sample on disk, and GetServerMetrics over
//            the 30 days (downsampled in SQL) — median of --queries calls.
//   watch    --subscribers WatchHealth streams on one dnsd: delivery delay
//            from each event's commit to each subscriber, dnsd's RSS and
//            threads; a single subscriber is the baseline, alternated with
//            the crowd over --rounds.
//   monitor  --servers real pdns_server processes registered and checked
//            every 10 s: dnsd's and PostgreSQL's CPU with the monitor on,
//            alternated with dnsd run with the monitor off, over --rounds
//            windows of --monitor_seconds; the extrapolation to 100 servers.
//
//   health_bench [--phases=history,watch,monitor] [--rounds=3]
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/harness.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "google/protobuf/util/time_util.h"

ABSL_FLAG(std::string, phases, "history,watch,monitor", "Which phases to run.");
ABSL_FLAG(int, rounds, 3, "Alternating baseline/subject rounds (medians in the summary).");
ABSL_FLAG(int, history_servers, 100, "Servers with 30 days of samples (history phase).");
ABSL_FLAG(int, history_days, 30, "Days of samples (history phase).");
ABSL_FLAG(int, queries, 7, "GetServerMetrics calls timed (history phase).");
ABSL_FLAG(int, subscribers, 1000, "WatchHealth streams (watch phase).");
ABSL_FLAG(int, events, 20, "Events per round (watch phase): maintenance on/off of a server.");
ABSL_FLAG(int, servers, 20, "pdns_servers monitored (monitor phase).");
ABSL_FLAG(int, monitor_seconds, 60, "Length of each CPU window (monitor phase).");

namespace dns::bench {
namespace {

using google::protobuf::util::TimeUtil;

double Now() { return EpochNow(); }

double EventTime(const v1::HealthEvent& e) {
  return static_cast<double>(TimeUtil::TimestampToMicroseconds(e.time())) / 1e6;
}

// ------------------------------------------------------------------ history
struct HistoryResult {
  double bytes_per_sample = kNaN;
  double query_ms = kNaN;
  int64_t samples = 0;
};

HistoryResult RunHistory(dt::PostgresServer& pg, const std::string& target) {
  Section("History: samples over 30 days, GetServerMetrics");
  HistoryResult out;
  const int servers = std::max(1, absl::GetFlag(FLAGS_history_servers));
  const int days = std::max(1, absl::GetFlag(FLAGS_history_days));
  auto made = pg.Psql("dns", absl::StrCat("SELECT dnsv1.ensure_health_partitions(now() - interval '",
                                          days + 1, " days', ", days + 3, ")"));
  if (!made.ok()) {
    Note(absl::StrCat("partitions: ", made.status().message()));
    return out;
  }
  const Clock::time_point t0 = Clock::now();
  // One server at a time: a statement per 259,200 rows keeps memory flat.
  for (int i = 0; i < servers; ++i) {
    const std::string name = i == 0 ? "shared-a" : absl::StrCat("bench-", i);
    auto ins = pg.Psql(
        "dns",
        absl::StrCat(
            "INSERT INTO dnsv1.health_samples (time, server, good, status, api, dns_probe, memory,"
            " cpu, query_rate, packet_cache_hit_rate, query_cache_hit_rate, servfail_rate, latency,"
            " fd_usage, uptime, zones, zones_out_of_sync, propagation_lag)"
            " SELECT t, '", name, "', random() > 0.01, 1, 5 + random() * 20, 1 + random() * 4,"
            " 1e8 + random() * 1e7, random() * 30, random() * 2000, random(), random(),"
            " random() * 2, 100 + random() * 80, 40 + (random() * 10)::int,"
            " extract(epoch from t - (now() - interval '", days, " days')), 1000,"
            " (random() > 0.99)::int, random() * 2"
            " FROM generate_series(now() - interval '", days, " days', now(), interval '10 s') t"));
    if (!ins.ok()) {
      Note(absl::StrCat("inserting samples: ", ins.status().message()));
      return out;
    }
    if ((i + 1) % 10 == 0 || i + 1 == servers) {
      std::printf("  %d/%d servers of samples (%.0f s)\n", i + 1, servers,
                  Ms(Clock::now() - t0) / 1000);
      std::fflush(stdout);
    }
  }
  // The leader's housekeeping rolls up a week per run; here all at once.
  const Clock::time_point r0 = Clock::now();
  (void)pg.Psql("dns", "DELETE FROM dnsv1.health_hourly; DELETE FROM dnsv1.health_rollup_state");
  for (int i = 0; i < 100; ++i) {
    auto hours = pg.Psql("dns", "SELECT dnsv1.roll_up_health(now() - interval '2 minutes')");
    if (!hours.ok() || absl::StripAsciiWhitespace(*hours) == "0") break;
  }
  Row("roll-up of the samples into hours", F(Ms(Clock::now() - r0) / 1000, " s"));
  (void)pg.Psql("dns", "VACUUM ANALYZE dnsv1.health_samples; VACUUM ANALYZE dnsv1.health_hourly");
  auto size = pg.Psql(
      "dns",
      "SELECT (SELECT count(*) FROM dnsv1.health_samples),"
      " (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits"
      "   WHERE inhparent = 'dnsv1.health_samples'::regclass),"
      " (SELECT sum(pg_relation_size(inhrelid)) FROM pg_inherits"
      "   WHERE inhparent = 'dnsv1.health_samples'::regclass)");
  if (size.ok()) {
    std::vector<std::string> f = absl::StrSplit(absl::StripAsciiWhitespace(*size), '|');
    double rows = 0, total = 0, heap = 0;
    if (f.size() == 3 && absl::SimpleAtod(f[0], &rows) && absl::SimpleAtod(f[1], &total) &&
        absl::SimpleAtod(f[2], &heap) && rows > 0) {
      out.samples = static_cast<int64_t>(rows);
      out.bytes_per_sample = total / rows;
      Row("samples", absl::StrFormat("%.0f (%d servers x %d days, one per 10 s)", rows, servers,
                                     days));
      Row("bytes per sample", absl::StrFormat("%.0f with its index (%.0f heap); %.2f GiB in all",
                                              total / rows, heap / rows,
                                              total / (1024.0 * 1024 * 1024)));
    }
  }
  auto stub = v1::ServerService::NewStub(NewChannel(target));
  struct Query {
    std::string label;
    int step_s;
    int range_days;
  };
  for (const auto& [label, step_s, range_days] :
       std::vector<Query>{{"30 days, default step (2 h)", 0, days},
                          {"30 days, step 1 h", 3600, days},
                          {"30 days, step 30 min (from samples)", 1800, days},
                          {"1 day, default step (5 min, from samples)", 0, 1},
                          {"1 day, step 10 s (from samples)", 10, 1}}) {
    Samples lat;
    int64_t points = 0;
    for (int i = 0; i < absl::GetFlag(FLAGS_queries); ++i) {
      v1::GetServerMetricsRequest req;
      req.set_name("shared-a");
      *req.mutable_start_time() = TimeUtil::SecondsToTimestamp(
          static_cast<int64_t>(Now()) - int64_t{range_days} * 86400);
      if (step_s > 0) *req.mutable_step() = TimeUtil::SecondsToDuration(step_s);
      v1::GetServerMetricsResponse resp;
      const Clock::time_point s = Clock::now();
      grpc::Status st = stub->GetServerMetrics(Ctx().get(), req, &resp);
      lat.Add(Ms(Clock::now() - s));
      if (!st.ok()) {
        Note(absl::StrCat("GetServerMetrics: ", StatusText(st)));
        return out;
      }
      points = 0;
      for (const auto& series : resp.series()) points += series.points_size();
      if (i == 0) {
        Row(absl::StrCat("  ", label, " answer"),
            absl::StrFormat("%d series, %d points, %d samples, availability %.3f",
                            resp.series_size(), points, resp.sample_count(), resp.availability()));
      }
    }
    Row(absl::StrCat("GetServerMetrics ", label),
        absl::StrCat("ms p50/p90/p99/max: ", P50_90_99_Max(lat)));
    if (step_s == 0 && range_days == days) out.query_ms = lat.Pct(50);
  }
  return out;
}

// -------------------------------------------------------------------- watch
// One WatchHealth stream held by a callback reactor: no thread per stream.
class Subscriber : public grpc::ClientReadReactor<v1::HealthEvent> {
 public:
  Subscriber(v1::ServerService::Stub* stub, Samples* delays, std::mutex* mu)
      : delays_(delays), mu_(mu) {
    v1::WatchHealthRequest req;
    req.add_servers("shared-b");
    req.add_event_types(v1::HEALTH_EVENT_TYPE_STATUS_CHANGED);
    *req.mutable_heartbeat_interval() = TimeUtil::SecondsToDuration(5);
    stub->async()->WatchHealth(&context_, &req, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (event_.type() == v1::HEALTH_EVENT_TYPE_STATUS_CHANGED &&
        (event_.from_status() == v1::SERVER_STATUS_MAINTENANCE ||
         event_.to_status() == v1::SERVER_STATUS_MAINTENANCE)) {
      const double delay_ms = (Now() - EventTime(event_)) * 1000;
      std::lock_guard<std::mutex> lock(*mu_);
      if (recording_) delays_->Add(delay_ms);
      ++received_;
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& s) override {
    std::lock_guard<std::mutex> lock(done_mu_);
    status_ = s;
    done_ = true;
    done_cv_.notify_all();
  }

  void Cancel() { context_.TryCancel(); }
  void Wait() {
    std::unique_lock<std::mutex> lock(done_mu_);
    done_cv_.wait(lock, [&] { return done_; });
  }
  int64_t received() {
    std::lock_guard<std::mutex> lock(*mu_);
    return received_;
  }
  void SetRecording(bool on) {
    std::lock_guard<std::mutex> lock(*mu_);
    recording_ = on;
  }
  grpc::Status status() {
    std::lock_guard<std::mutex> lock(done_mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  v1::HealthEvent event_;
  Samples* delays_;
  std::mutex* mu_;
  bool recording_ = true;
  int64_t received_ = 0;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  grpc::Status status_;
};

struct WatchRound {
  double p50 = kNaN, p99 = kNaN, max = kNaN;
  int64_t delivered = 0, expected = 0;
};

void Toggle(v1::ServerService::Stub& stub, bool on) {
  v1::UpdateServerRequest req;
  req.mutable_server()->set_name("shared-b");
  req.mutable_server()->set_maintenance(on);
  req.mutable_update_mask()->add_paths("maintenance");
  v1::Server out;
  grpc::Status s = stub.UpdateServer(Ctx().get(), req, &out);
  if (!s.ok()) Note(absl::StrCat("UpdateServer: ", StatusText(s)));
}

// `n` subscribers take `events` maintenance changes; returns the delays.
WatchRound RunWatchRound(const std::string& target, dt::DnsdProcess& dnsd, int n, int events,
                         const std::string& label, bool print_process) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::ServerService::Stub>> stubs;
  for (int i = 0; i < 8; ++i) {
    channels.push_back(NewChannel(target));
    stubs.push_back(v1::ServerService::NewStub(channels.back()));
  }
  const ProcStatus before = ReadProcStatus(dnsd.pid());
  Samples delays;
  std::mutex mu;
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < n; ++i) {
    subs.push_back(std::make_unique<Subscriber>(stubs[i % stubs.size()].get(), &delays, &mu));
  }
  // Every stream open on dnsd before the first event.
  for (int i = 0; i < 300; ++i) {
    if (SumOf(ScrapeMetrics(dnsd.metrics_port()), "dnsd_health_watchers") >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto stub = v1::ServerService::NewStub(NewChannel(target));
  for (int i = 0; i < events; ++i) {
    Toggle(*stub, i % 2 == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  if (events % 2 == 1) Toggle(*stub, false);  // leave it out of maintenance
  const int64_t expected = static_cast<int64_t>(n) * (events + events % 2);
  for (int i = 0; i < 300; ++i) {
    int64_t got = 0;
    for (auto& s : subs) got += s->received();
    if (got >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const ProcStatus during = ReadProcStatus(dnsd.pid());
  WatchRound r;
  for (auto& s : subs) r.delivered += s->received();
  r.expected = expected;
  for (auto& s : subs) s->Cancel();
  for (auto& s : subs) s->Wait();
  {
    std::lock_guard<std::mutex> lock(mu);
    r.p50 = delays.Pct(50);
    r.p99 = delays.Pct(99);
    r.max = delays.Max();
    Row(label, absl::StrFormat("delivered %d/%d; delay ms p50/p90/p99/max: %s", r.delivered,
                               r.expected, P50_90_99_Max(delays)));
  }
  if (print_process) {
    Row("  dnsd threads / RSS before, with the streams",
        absl::StrFormat("%d / %.1f MiB -> %d / %.1f MiB", before.threads, before.rss_mib,
                        during.threads, during.rss_mib));
  }
  return r;
}

struct WatchResult {
  std::vector<double> base_p99, crowd_p99;
  int threads_before = 0, threads_during = 0;
  double rss_during = kNaN;
};

WatchResult RunWatch(const std::string& target, dt::DnsdProcess& dnsd) {
  Section("Watch: WatchHealth streams on one dnsd");
  WatchResult out;
  const int n = std::max(1, absl::GetFlag(FLAGS_subscribers));
  const int events = std::max(2, absl::GetFlag(FLAGS_events));
  for (int round = 1; round <= std::max(1, absl::GetFlag(FLAGS_rounds)); ++round) {
    WatchRound base =
        RunWatchRound(target, dnsd, 1, events, absl::StrCat("round ", round, ": 1 subscriber"),
                      false);
    out.base_p99.push_back(base.p99);
    const ProcStatus before = ReadProcStatus(dnsd.pid());
    WatchRound crowd = RunWatchRound(
        target, dnsd, n, events, absl::StrCat("round ", round, ": ", n, " subscribers"), true);
    out.crowd_p99.push_back(crowd.p99);
    const ProcStatus after = ReadProcStatus(dnsd.pid());
    out.threads_before = before.threads;
    out.threads_during = std::max(out.threads_during, after.threads);
    out.rss_during = std::isnan(out.rss_during) ? after.hwm_mib
                                                : std::max(out.rss_during, after.hwm_mib);
  }
  Row("p99 delay per round: 1 subscriber", Joined(out.base_p99, " ms"));
  Row(absl::StrCat("p99 delay per round: ", n, " subscribers"), Joined(out.crowd_p99, " ms"));
  Row("dnsd peak RSS (VmHWM)", F(out.rss_during, " MiB"));
  return out;
}

// ------------------------------------------------------------------ monitor
struct MonitorResult {
  std::vector<double> on_dnsd, off_dnsd, on_pg, off_pg;
  int servers = 0;
};

MonitorResult RunMonitor(dt::PostgresServer& pg, std::unique_ptr<dt::DnsdProcess>& dnsd,
                         PdnsFleet& fleet) {
  Section("Monitor: checking real pdns_servers every 10 s");
  MonitorResult out;
  const int want = std::max(3, absl::GetFlag(FLAGS_servers));
  // The fleet's three plus API servers (gsqlite3) up to --servers.
  std::vector<std::unique_ptr<dt::PdnsServer>> extra;
  auto servers = v1::ServerService::NewStub(NewChannel(dnsd->target()));
  for (int i = 3; i < want; ++i) {
    dt::PdnsServer::Options options;
    options.backend = dt::PdnsServer::Options::Backend::kGsqlite3;
    options.api_key = kApiKey;
    auto p = dt::PdnsServer::Start(options);
    if (!p.ok()) {
      Note(absl::StrCat("pdns_server: ", p.status().message()));
      break;
    }
    v1::RegisterServerRequest req;
    req.mutable_server()->set_name(absl::StrCat("api-", i - 1));
    req.mutable_server()->set_api_url((*p)->api_url());
    req.mutable_server()->set_api_key(kApiKey);
    req.mutable_server()->set_dns_address((*p)->dns_address());
    req.mutable_server()->set_mode(v1::SERVER_MODE_API);
    v1::Server resp;
    grpc::Status s = servers->RegisterServer(Ctx().get(), req, &resp);
    if (!s.ok()) Note(absl::StrCat("RegisterServer: ", StatusText(s)));
    extra.push_back(*std::move(p));
  }
  out.servers = 3 + static_cast<int>(extra.size());
  Row("pdns_servers registered", absl::StrCat(out.servers, " (2 SHARED_DB, ", out.servers - 2,
                                              " API)"));
  // Zones on every server, so the probes and zone lists have work.
  auto zones = v1::ZoneService::NewStub(NewChannel(dnsd->target()));
  for (int i = 0; i < 100; ++i) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(absl::StrCat("mon", i, ".bench.test."));
    v1::Zone z;
    (void)zones->CreateZone(Ctx().get(), req, &z);
  }
  std::this_thread::sleep_for(std::chrono::seconds(10));  // pushes settle

  const double window = std::max(10, absl::GetFlag(FLAGS_monitor_seconds));
  for (int round = 1; round <= std::max(1, absl::GetFlag(FLAGS_rounds)); ++round) {
    for (bool on : {false, true}) {
      const std::string flag = on ? "--health_check_interval=10s" : "--health_check_interval=0";
      dnsd.reset();
      auto d = StartDnsd(pg, "dns", {flag}, absl::StrCat("dnsd (monitor ", on ? "on" : "off", ")"));
      if (!d.ok()) {
        Note(absl::StrCat("dnsd: ", d.status().message()));
        return out;
      }
      dnsd = *std::move(d);
      std::this_thread::sleep_for(std::chrono::seconds(3));  // start-up, first rounds spread
      const Cpu c0 = TakeCpu();
      const Clock::time_point t0 = Clock::now();
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(window * 1000)));
      const Cpu dc = TakeCpu() - c0;
      const double wall = Ms(Clock::now() - t0) / 1000;
      PrintCpu(dc, wall, 0, "");
      (on ? out.on_dnsd : out.off_dnsd).push_back(100 * dc.dnsd / wall);
      (on ? out.on_pg : out.off_pg).push_back(100 * dc.postgres / wall);
    }
  }
  Row("dnsd CPU, % of one core: monitor off / on", absl::StrCat(Joined(out.off_dnsd, "%"), "  |  ",
                                                                 Joined(out.on_dnsd, "%")));
  Row("PostgreSQL CPU, % of one core: off / on", absl::StrCat(Joined(out.off_pg, "%"), "  |  ",
                                                               Joined(out.on_pg, "%")));
  (void)fleet;
  return out;
}

}  // namespace
}  // namespace dns::bench

int main(int argc, char** argv) {
  using namespace dns::bench;
  absl::ParseCommandLine(argc, argv);
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  struct rlimit fds{65536, 65536};
  (void)setrlimit(RLIMIT_NOFILE, &fds);
  const std::string phases = absl::GetFlag(FLAGS_phases);
  std::printf("health_bench: --phases=%s --rounds=%d --history_servers=%d --subscribers=%d "
              "--events=%d --servers=%d --monitor_seconds=%d (%u cpus)\n",
              phases.c_str(), absl::GetFlag(FLAGS_rounds), absl::GetFlag(FLAGS_history_servers),
              absl::GetFlag(FLAGS_subscribers), absl::GetFlag(FLAGS_events),
              absl::GetFlag(FLAGS_servers), absl::GetFlag(FLAGS_monitor_seconds),
              std::thread::hardware_concurrency());
  Section("Environment");
  auto pg = StartPostgres(false);
  if (!pg.ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", std::string(pg.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dns::testing::PostgresServer> postgres = *std::move(pg);
  auto d = StartDnsd(*postgres, "dns", {});
  if (!d.ok()) {
    std::fprintf(stderr, "dnsd: %s\n", std::string(d.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dns::testing::DnsdProcess> dnsd = *std::move(d);
  auto fleet_or = StartAndRegisterFleet(*postgres, "dns", /*shared_caches=*/true, dnsd->target());
  if (!fleet_or.ok()) return 1;
  PdnsFleet fleet = *std::move(fleet_or);

  HistoryResult history;
  WatchResult watch;
  MonitorResult monitor;
  const bool do_history = absl::StrContains(phases, "history");
  const bool do_watch = absl::StrContains(phases, "watch");
  const bool do_monitor = absl::StrContains(phases, "monitor");
  if (do_history) history = RunHistory(*postgres, dnsd->target());
  if (do_watch) watch = RunWatch(dnsd->target(), *dnsd);
  if (do_monitor) monitor = RunMonitor(*postgres, dnsd, fleet);

  Section("Summary");
  if (do_history) {
    SummaryLine("bytes per sample (heap + index)", F(history.bytes_per_sample, " B", 0),
                "(stated)", "info");
    SummaryLine("GetServerMetrics over 30 days, median", F(history.query_ms, " ms"), "<= 200 ms",
                Verdict(history.query_ms, 200, false));
  }
  if (do_watch) {
    const double crowd = Median(watch.crowd_p99);
    SummaryLine("WatchHealth delivery p99, 1 subscriber (baseline), median",
                F(Median(watch.base_p99), " ms"), "(baseline)", "info");
    SummaryLine(absl::StrCat("WatchHealth delivery p99, ", absl::GetFlag(FLAGS_subscribers),
                             " subscribers, median"),
                F(crowd, " ms"), "<= 100 ms", Verdict(crowd, 100, false));
    SummaryLine("dnsd peak RSS with the streams", F(watch.rss_during, " MiB"), "<= 200 MiB",
                Verdict(watch.rss_during, 200, false));
    SummaryLine("dnsd threads before / with the streams",
                absl::StrCat(watch.threads_before, " / ", watch.threads_during), "bounded",
                watch.threads_during <= watch.threads_before + 8 ? "PASS" : "FAIL");
  }
  if (do_monitor && !monitor.on_dnsd.empty()) {
    const double dnsd_cost = Median(monitor.on_dnsd) - Median(monitor.off_dnsd);
    const double pg_cost = Median(monitor.on_pg) - Median(monitor.off_pg);
    SummaryLine(absl::StrCat("monitor cost, dnsd, ", monitor.servers, " servers (on - off)"),
                F(dnsd_cost, "% of a core", 2), "<= 2%", Verdict(dnsd_cost, 2, false));
    SummaryLine(absl::StrCat("monitor cost, PostgreSQL, ", monitor.servers, " servers"),
                F(pg_cost, "% of a core", 2), "<= 2%", Verdict(pg_cost, 2, false));
    SummaryLine("extrapolated to 100 servers: dnsd / PostgreSQL",
                absl::StrCat(F(dnsd_cost * 100 / monitor.servers, "%", 1), " / ",
                             F(pg_cost * 100 / monitor.servers, "%", 1)),
                "(linear in servers)", "info");
  }
  return 0;
}
