// propagation_bench: how fast a committed change reaches a fleet of PowerDNS
// servers, and what waiting for it costs, in one run, on one machine, with
// what a user runs (dnsd's default log level and pool sizes):
//
//   1. a private PostgreSQL 15 with fsync ON (database `dns`), dnsd on it,
//      two SHARED_DB pdns_servers (gpgsql on `dns`) and one API pdns_server
//      (gsqlite3 on its own file), all three registered through
//      ServerService.RegisterServer;
//   2. latency from commit to all three confirmed: --changes sequential
//      ChangeRRsets (one REPLACE of www A each) with propagation_timeout 5 s,
//      every response checked for 3 servers IN_SYNC at the response's serial,
//      with the SHARED_DB servers' caches off and then with PowerDNS's
//      production caches on; then --writers concurrent writers on their own
//      zones (and, as a diagnostic, the same PATCHes straight to the API
//      server);
//   3. --waiting_writes concurrent writes (one zone each, one async client
//      thread) each waiting for propagation while the API server is frozen
//      (SIGSTOP): dnsd's threads, resident memory and database connections
//      while they wait, and what each is answered;
//   4. push throughput to the API server, against a baseline of a minimal
//      parallel HTTP client POSTing the same kind of zone to the same
//      pdns_server (and a curl via xargs -P 8 sanity check):
//      a. end to end, once: --zones CreateZone calls from --create_threads
//         threads without waiting for propagation, until api-1 has them all
//         IN_SYNC (the end is the update_time the propagator stamped on the
//         last row; a cheap poll of the pending rows decides when to read
//         it); creating and pushing share the 2 cores here;
//      b. the push rate, alternating with the baseline for --rounds rounds
//         (medians compared: the shared machine drifts): --zones zones
//         committed through CreateZone while api-1 is in maintenance, then
//         maintenance off and the time until api-1 has them all (the same
//         POSTs as the baseline).
//
// Every phase prints the CPU each party used (from /proc) and the machine's
// other load, since the 2 cores are shared by everything. It prints a
// summary against the targets; the exit code is 0 whenever the environment
// came up: the bench reports, it does not gate.
//
//   propagation_bench [--changes=300] [--zones=10000] [--rounds=3]
//   propagation_bench --changes=50 --zones=1000 --rounds=1   # a quick pass
//   propagation_bench --sql_stats                            # + pg_stat_statements

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/harness.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

ABSL_FLAG(int, changes, 300, "Sequential ChangeRRsets timed (and per writer in the concurrent run).");
ABSL_FLAG(int, writers, 4, "Concurrent writers (one zone each) in the second latency run.");
ABSL_FLAG(int, zones, 10000, "Zones created through dnsd for the push phase (and per baseline run).");
ABSL_FLAG(int, create_threads, 16, "Client threads calling CreateZone in the push phase.");
ABSL_FLAG(std::vector<std::string>, baseline_workers, std::vector<std::string>({"8"}),
          "Worker counts of the minimal HTTP client baseline (each round runs each, --zones "
          "zones, and keeps the best).");
ABSL_FLAG(int, rounds, 3, "Alternating push-rate / baseline rounds (medians in the summary).");
ABSL_FLAG(int, waiting_writes, 1000,
          "Concurrent writes waiting for propagation while the API server is frozen (0: skip).");
ABSL_FLAG(int, curl_zones, 1000, "Zones POSTed by curl via xargs -P (0: skip).");
ABSL_FLAG(int, curl_parallel, 8, "xargs -P for the curl sanity check.");
ABSL_FLAG(int, poll_ms, 500,
          "Interval of the poll of dnsv1.zone_servers (one query counting this phase's pending "
          "rows per server) that decides when a push phase is over. The finish time itself is "
          "the last pushed row's update_time, not the poll's.");
ABSL_FLAG(int, poll_stall_seconds, 120,
          "Give up waiting for the push when no server makes progress for this long.");
ABSL_FLAG(std::string, dnsd_log_level, "info",
          "dnsd --log_level (info is dnsd's default). At info/debug the bench also summarises "
          "dnsd's pdns_call (info) and propagation (debug) log lines per phase.");
ABSL_FLAG(std::vector<std::string>, dnsd_flags, {},
          "Extra dnsd flags, comma-separated (e.g. --pdns_max_in_flight=16).");
ABSL_FLAG(bool, sql_stats, false,
          "Load pg_stat_statements (track=all) and print the top statements of all databases "
          "(dnsd and the gpgsql pdns_servers share `dns`) plus new sessions after each phase. "
          "Adds overhead: for finding where time goes, not for the headline numbers.");
ABSL_FLAG(bool, direct_patch_check, true,
          "After the concurrent-writer run, PATCH the same zones on the API pdns_server "
          "directly from --writers threads and count HTTP errors (does PowerDNS itself fail "
          "concurrent PATCHes?).");

namespace {

using json = nlohmann::json;
namespace v1 = ::dns::v1;
namespace dt = ::dns::testing;
using namespace ::dns::bench;  // NOLINT: the harness is this program's vocabulary

// dnsd's log, summarised per phase (pdns_call lines are at info, dnsd's
// default level; propagation lines at debug).
const dt::DnsdProcess* g_dnsd = nullptr;

size_t LogSize() { return g_dnsd == nullptr ? 0 : DnsdLogSize(*g_dnsd); }

void SummariseLog(size_t from, size_t to, double wall_s) {
  if (g_dnsd != nullptr) SummariseDnsdLog(*g_dnsd, from, to, wall_s);
}

// ------------------------------------------------------------- results
struct Latency {
  double p50 = kNaN, p99 = kNaN;
  int64_t failures = -1;  // responses not 3/3 IN_SYNC at their serial
};

struct Waiting {
  int64_t calls = 0;
  int max_threads = 0;
  double max_rss_mib = kNaN;
  int max_db_sessions = 0, max_db_active = 0;
  int max_pool_in_use = 0, pool_size = 0;  // both pools, from dnsd's /metrics
  int max_subscribers = 0;
  std::map<std::string, int64_t> answers;
};

struct Results {
  Latency seq, seq_cached, conc;
  Waiting waiting;
  double create_rate = kNaN;
  double push_rate = kNaN;
  std::vector<double> catchup_rounds, baseline_rounds, ratio_rounds;
  int baseline_workers = 0;
  double curl_rate = kNaN;
};

// --------------------------------------------------- latency to 3 servers
// One ChangeRRsets with a 5 s propagation_timeout: the wall time of the call
// and whether every server reported IN_SYNC at the response's serial.
struct ChangeOutcome {
  double ms = 0;
  bool ok = false;          // call OK and all 3 servers IN_SYNC at the serial
  std::string problem;      // why not
  // Per server: its update_time (when the propagator marked it applied)
  // minus the call's start, in ms.
  std::map<std::string, double> confirmed_ms;
};

ChangeOutcome TimedChange(v1::RecordService::Stub& stub, const std::string& zone, int n) {
  v1::ChangeRRsetsRequest req =
      ReplaceWwwA(zone, absl::StrCat("198.51.", n / 254 % 254, ".", n % 254 + 1));
  *req.mutable_propagation_timeout() = ProtoSeconds(5);
  v1::ChangeRRsetsResponse resp;
  ChangeOutcome out;
  const absl::Time wall0 = absl::Now();
  Clock::time_point t0 = Clock::now();
  grpc::Status s = stub.ChangeRRsets(Ctx().get(), req, &resp);
  out.ms = Ms(Clock::now() - t0);
  if (!s.ok()) {
    out.problem = StatusText(s);
    return out;
  }
  if (resp.propagation_size() != 3) {
    out.problem = absl::StrCat(resp.propagation_size(), " servers in propagation, want 3");
  }
  for (const auto& p : resp.propagation()) {
    out.confirmed_ms[p.server()] =
        absl::ToDoubleMilliseconds(absl::FromUnixSeconds(p.update_time().seconds()) +
                                   absl::Nanoseconds(p.update_time().nanos()) - wall0);
    if (p.state() != v1::PROPAGATION_STATE_IN_SYNC || p.applied_serial() != resp.serial()) {
      if (out.problem.empty()) {
        out.problem = absl::StrCat("serial ", resp.serial(), ": ", p.server(), " ",
                                   v1::PropagationState_Name(p.state()), " applied ",
                                   p.applied_serial(), " ", p.last_error());
      }
    }
  }
  out.ok = out.problem.empty();
  return out;
}

bool CreateZoneAndWait(v1::ZoneService::Stub& stub, const std::string& name) {
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(name);
  *req.mutable_propagation_timeout() = ProtoSeconds(10);
  v1::Zone zone;
  grpc::Status s = stub.CreateZone(Ctx().get(), req, &zone);
  if (!s.ok()) {
    Note(absl::StrCat("CreateZone ", name, ": ", StatusText(s)));
    return false;
  }
  int in_sync = 0;
  for (const auto& p : zone.propagation()) in_sync += p.state() == v1::PROPAGATION_STATE_IN_SYNC;
  if (in_sync != 3) Note(absl::StrCat("CreateZone ", name, ": ", in_sync, "/3 servers IN_SYNC"));
  return true;
}

Latency RunSequentialLatency(const std::string& target, int n, const std::string& zone,
                             const std::string& caches) {
  Section(absl::StrCat("Latency commit -> 3 servers confirmed: ", n,
                       " sequential ChangeRRsets (REPLACE www A), propagation_timeout 5 s, "
                       "SHARED_DB caches ", caches));
  Latency r;
  auto channel = NewChannel(target);
  auto zones = v1::ZoneService::NewStub(channel);
  auto records = v1::RecordService::NewStub(channel);
  if (!CreateZoneAndWait(*zones, zone)) return r;
  (void)TimedChange(*records, zone, 0);  // warm-up (first PATCH), not timed
  Samples all;
  std::map<std::string, Samples> per_server;
  ErrorLog failures;
  SqlStatsReset();
  const size_t log0 = LogSize();
  Cpu c0 = TakeCpu();
  Clock::time_point w0 = Clock::now();
  for (int i = 1; i <= n; ++i) {
    ChangeOutcome o = TimedChange(*records, zone, i);
    all.Add(o.ms);
    for (const auto& [server, ms] : o.confirmed_ms) per_server[server].Add(ms);
    if (!o.ok) failures.Add(o.problem);
  }
  double wall_s = Ms(Clock::now() - w0) / 1000.0;
  Cpu dc = TakeCpu() - c0;
  r.p50 = all.Pct(50);
  r.p99 = all.Pct(99);
  r.failures = failures.count();
  Row("calls", absl::StrCat(all.size(), " in ", F(wall_s, " s", 2), " (+1 warm-up untimed)"));
  Row("not all 3 IN_SYNC at response serial", absl::StrCat(failures.count()));
  failures.Print();
  Row("call wall time p50 / p90 / p99 / max", P50_90_99_Max(all));
  for (auto& [server, s] : per_server) {
    Row(absl::StrCat("  ", server, " marked applied at p50 / p99"),
        absl::StrCat(F(s.Pct(50), "", 2), " / ", F(s.Pct(99), " ms", 2),
                     " after call start (update_time)"));
  }
  PrintCpu(dc, wall_s, static_cast<int64_t>(all.size()), "change");
  SummariseLog(log0, LogSize(), wall_s);
  SqlStatsPrint();
  return r;
}

// The PATCH dnsd sends for one of these changes (the www A RRset and the
// SOA), straight to the API pdns_server from `writers` threads, one zone
// each: does PowerDNS itself fail concurrent PATCHes?
void DirectPatchCheck(dt::PdnsServer& api, int writers, int n,
                      const std::function<std::string(int)>& zone_of) {
  const httplib::Headers headers = {{"X-API-Key", kApiKey}, {"Accept", "application/json"}};
  std::atomic<int64_t> ok{0};
  std::map<std::string, int64_t> bad;
  std::mutex mu;
  std::string first_error;
  Clock::duration wall = RunThreads(writers, [&](int w) {
    httplib::Client cli("127.0.0.1", api.api_port());
    const std::string zone = zone_of(w);
    for (int i = 0; i < n; ++i) {
      json body = {{"rrsets",
                    json::array({{{"name", "www." + zone},
                                  {"type", "A"},
                                  {"ttl", 300},
                                  {"changetype", "REPLACE"},
                                  {"records", json::array({{{"content",
                                                             absl::StrCat("203.0.113.", i % 254 + 1)},
                                                            {"disabled", false}}})}}})}};
      auto res = cli.Patch(absl::StrCat("/api/v1/servers/localhost/zones/", zone), headers,
                           body.dump(), "application/json");
      if (res && res->status == 204) {
        ok.fetch_add(1);
      } else {
        std::lock_guard<std::mutex> lock(mu);
        ++bad[res ? absl::StrCat("HTTP ", res->status) : httplib::to_string(res.error())];
        if (first_error.empty() && res) first_error = res->body.substr(0, 200);
      }
    }
  });
  std::string summary = absl::StrCat(ok.load(), " x 204");
  for (const auto& [what, count] : bad) absl::StrAppend(&summary, ", ", count, " x ", what);
  Row(absl::StrCat("direct PATCH to api-1, ", writers, " threads x ", n),
      absl::StrCat(summary, " in ", F(Ms(wall) / 1000.0, " s", 2)));
  if (!first_error.empty()) Note(absl::StrCat("first error body: ", first_error));
}

void RunConcurrentLatency(const std::string& target, dt::PdnsServer& api, int writers, int n,
                          Results& r) {
  Section(absl::StrCat("Latency commit -> 3 servers confirmed: ", writers,
                       " concurrent writers on their own zones, ", n, " changes each"));
  auto channel = NewChannel(target);
  auto zones = v1::ZoneService::NewStub(channel);
  auto records = v1::RecordService::NewStub(channel);
  auto zone_of = [](int w) { return absl::StrCat("lat", w, ".bench.test."); };
  for (int w = 0; w < writers; ++w) {
    if (!CreateZoneAndWait(*zones, zone_of(w))) return;
    (void)TimedChange(*records, zone_of(w), 0);
  }
  std::vector<Samples> per_writer(writers);
  ErrorLog failures;
  SqlStatsReset();
  const size_t log0 = LogSize();
  Cpu c0 = TakeCpu();
  Clock::duration wall = RunThreads(writers, [&](int w) {
    for (int i = 1; i <= n; ++i) {
      ChangeOutcome o = TimedChange(*records, zone_of(w), i);
      per_writer[w].Add(o.ms);
      if (!o.ok) failures.Add(o.problem);
    }
  });
  double wall_s = Ms(wall) / 1000.0;
  Cpu dc = TakeCpu() - c0;
  Samples all;
  for (auto& s : per_writer) all.Merge(s);
  r.conc.p50 = all.Pct(50);
  r.conc.p99 = all.Pct(99);
  r.conc.failures = failures.count();
  Row("calls", absl::StrCat(all.size(), " in ", F(wall_s, " s", 2), " = ",
                            F(all.size() / wall_s, " changes/s")));
  Row("not all 3 IN_SYNC at response serial", absl::StrCat(failures.count()));
  failures.Print();
  Row("call wall time p50 / p90 / p99 / max", P50_90_99_Max(all));
  PrintCpu(dc, wall_s, static_cast<int64_t>(all.size()), "change");
  SummariseLog(log0, LogSize(), wall_s);
  SqlStatsPrint();
  if (absl::GetFlag(FLAGS_direct_patch_check)) DirectPatchCheck(api, writers, n, zone_of);
}

// ------------------------------------------------------- push throughput
// When the pushes finished is read from the rows themselves: MarkApplied
// stamps update_time when a push is recorded, so the last IN_SYNC row's
// update_time is when the server had them all, whatever the poll interval.
// The poll only decides when to look, and counts the rows still pending
// through an index, so a poll costs little. (Counting every IN_SYNC row of
// a 60,000-row table every 200 ms took 40 % of PostgreSQL's CPU during the
// push being measured.)

// Rows not IN_SYNC per server. Every earlier phase's zones are in sync by
// then, so these are this phase's; "IN (...)" rather than "<> 'IN_SYNC'" so
// that the (server, state) index reads only the pending entries.
std::map<std::string, int64_t> PendingCounts(pqxx::connection& conn,
                                             const std::vector<std::string>& servers) {
  std::map<std::string, int64_t> out;
  pqxx::nontransaction txn(conn);
  for (const std::string& server : servers) {
    pqxx::result rows = txn.exec_params(
        "SELECT count(*) FROM dnsv1.zone_servers WHERE server = $1"
        " AND state IN ('PENDING', 'ERROR')",
        server);
    out[server] = rows[0][0].as<int64_t>();
  }
  return out;
}

// For `server`'s IN_SYNC rows of the zones *<suffix>: how many, and the
// count finished in each whole second after `t0` (epoch seconds).
struct AppliedTimes {
  int64_t in_sync = 0;
  double last_s = kNaN;  // seconds from t0 to the last one
  std::vector<std::pair<int64_t, int64_t>> per_second;
};

AppliedTimes ReadAppliedTimes(pqxx::connection& conn, const std::string& suffix,
                              const std::string& server, double t0) {
  AppliedTimes out;
  pqxx::nontransaction txn(conn);
  pqxx::result rows = txn.exec_params(
      "SELECT floor(extract(epoch FROM update_time) - $3)::bigint AS s, count(*),"
      "       max(extract(epoch FROM update_time)) - $3"
      " FROM dnsv1.zone_servers WHERE server = $1 AND state = 'IN_SYNC'"
      "   AND zone LIKE '%' || $2 GROUP BY 1 ORDER BY 1",
      server, suffix, t0);
  for (const auto& row : rows) {
    out.in_sync += row[1].as<int64_t>();
    out.per_second.emplace_back(row[0].as<int64_t>(), row[1].as<int64_t>());
    out.last_s = row[2].as<double>();
  }
  return out;
}

// Polls PendingCounts every --poll_ms (500) on its own thread from Start() until
// every server in `servers` has `want` zones IN_SYNC, or nothing moved for
// --poll_stall_seconds; then reads when each finished from update_time.
class Poller {
 public:
  Poller(dt::PostgresServer& pg, std::string suffix, int64_t want,
         std::vector<std::string> servers)
      : pg_(pg), suffix_(std::move(suffix)), want_(want), servers_(std::move(servers)) {}
  ~Poller() { Join(); }

  // `t0` is when the measured interval began (epoch seconds, EpochNow()).
  void Start(double t0) {
    t0_ = t0;
    thread_ = std::thread([this] { Run(); });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // Seconds from t0 to the last of `server`'s pushes; NaN if not all done.
  double DoneAt(const std::string& server) const {
    auto it = applied_.find(server);
    return it == applied_.end() || it->second.in_sync < want_ ? kNaN : it->second.last_s;
  }
  // Seconds from t0 to the poll that first saw `server` done.
  double SeenAt(const std::string& server) const {
    auto it = seen_at_s_.find(server);
    return it == seen_at_s_.end() ? kNaN : it->second;
  }
  // "1s:38 2s:104 ..." for `server`: IN_SYNC at the end of each second.
  std::string Progress(const std::string& server) const {
    auto it = applied_.find(server);
    if (it == applied_.end()) return "n/a";
    std::string out;
    int64_t total = 0;
    for (const auto& [second, count] : it->second.per_second) {
      total += count;
      if (second < 0) continue;  // finished before t0 (not in a push phase)
      absl::StrAppend(&out, out.empty() ? "" : " ", second + 1, "s:", total);
    }
    return out;
  }
  Samples& poll_ms() { return poll_ms_; }
  const std::string& stall_note() const { return stall_note_; }

 private:
  void Run() {
    try {
      pqxx::connection conn(pg_.ConnectionString("dns"));
      Poll(conn);
      for (const auto& server : servers_) {
        applied_[server] = ReadAppliedTimes(conn, suffix_, server, t0_);
      }
    } catch (const std::exception& e) {
      stall_note_ = absl::StrCat("poll failed: ", e.what());
    }
  }

  void Poll(pqxx::connection& conn) {
    Clock::time_point last_progress = Clock::now();
    int64_t last_pending = -1;
    while (true) {
      Clock::time_point p0 = Clock::now();
      std::map<std::string, int64_t> pending = PendingCounts(conn, servers_);
      int64_t pending_total = 0;
      for (const auto& server : servers_) {
        pending_total += pending[server];
        // Nothing pending may also mean not created yet: count the done.
        if (pending[server] == 0 && !seen_at_s_.count(server) &&
            ReadAppliedTimes(conn, suffix_, server, t0_).in_sync >= want_) {
          seen_at_s_[server] = EpochNow() - t0_;
        }
      }
      poll_ms_.Add(Ms(Clock::now() - p0));
      if (seen_at_s_.size() == servers_.size()) return;
      if (pending_total != last_pending) {
        last_pending = pending_total;
        last_progress = Clock::now();
      }
      if (Ms(Clock::now() - last_progress) / 1000.0 > absl::GetFlag(FLAGS_poll_stall_seconds)) {
        stall_note_ = absl::StrCat("no progress for ", absl::GetFlag(FLAGS_poll_stall_seconds),
                                   " s; gave up polling");
        return;
      }
      std::this_thread::sleep_until(p0 + std::chrono::milliseconds(absl::GetFlag(FLAGS_poll_ms)));
    }
  }

  dt::PostgresServer& pg_;
  const std::string suffix_;
  const int64_t want_;
  const std::vector<std::string> servers_;
  double t0_ = 0;
  std::thread thread_;
  std::map<std::string, double> seen_at_s_;
  std::map<std::string, AppliedTimes> applied_;
  Samples poll_ms_;
  std::string stall_note_;
};

// Creates zones name(0..n-1) through CreateZone from `threads` threads (no
// propagation wait). *start is when the threads were released.
struct CreateOutcome {
  int64_t created = 0;
  double secs = 0;
  Samples latency;
  int64_t errors = 0;
};

CreateOutcome CreateZones(v1::ZoneService::Stub& stub, int n, int threads,
                          const std::function<std::string(int)>& name,
                          Clock::time_point* start, const std::function<void()>& on_start) {
  std::atomic<int> next{0};
  std::atomic<int64_t> created{0};
  ErrorLog errors;
  std::vector<Samples> per_thread(threads);
  Clock::duration wall = RunThreads(
      threads,
      [&](int t) {
        if (t == 0 && on_start) on_start();
        for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
          v1::CreateZoneRequest req;
          req.mutable_zone()->set_name(name(i));
          v1::Zone zone;
          Clock::time_point t0 = Clock::now();
          grpc::Status s = stub.CreateZone(Ctx().get(), req, &zone);
          if (s.ok()) {
            per_thread[t].Add(Ms(Clock::now() - t0));
            created.fetch_add(1);
          } else {
            errors.Add(absl::StrCat(name(i), ": ", StatusText(s)));
          }
        }
      },
      start);
  CreateOutcome out;
  out.created = created.load();
  out.secs = Ms(wall) / 1000.0;
  for (auto& s : per_thread) out.latency.Merge(s);
  out.errors = errors.count();
  errors.Print();
  return out;
}

// What the propagation rows and the API server say about the zones *suffix.
void PrintEndState(dt::PostgresServer& pg, dt::PdnsServer& api, const std::string& suffix,
                   int nzones) {
  absl::StatusOr<std::string> states = pg.Psql(
      "dns", absl::StrCat("SELECT server || ' ' || state || ' ' || count(*) || ' zones, '"
                          " || sum(attempts) || ' attempts pending' FROM dnsv1.zone_servers"
                          " WHERE zone LIKE '%", suffix, "' GROUP BY server, state ORDER BY 1"));
  if (states.ok()) {
    Row("zone_servers rows now",
        absl::StrJoin(absl::StrSplit(absl::StripAsciiWhitespace(*states), '\n'), "; "));
  }
  std::string body;
  absl::StatusOr<int> code = api.ApiRequest("GET", "/api/v1/servers/localhost/zones", &body);
  if (code.ok() && *code == 200) {
    json list = json::parse(body, nullptr, false);
    int64_t have = 0;
    if (list.is_array()) {
      for (const auto& z : list) {
        if (z.contains("name") && absl::EndsWith(z["name"].get<std::string>(), suffix)) ++have;
      }
    }
    Row(absl::StrCat("api-1 zones *", suffix, " (GET /zones)"), absl::StrCat(have, " of ", nzones));
  } else {
    Note("GET /zones on api-1 failed");
  }
}

void RunPush(const std::string& target, dt::PostgresServer& pg, dt::PdnsServer& api, int nzones,
             int threads, Results& r) {
  Section(absl::StrCat("End to end: ", nzones, " CreateZone (", threads,
                       " threads, no propagation wait), then poll until ", kApiServer,
                       " has all IN_SYNC"));
  auto stub = v1::ZoneService::NewStub(NewChannel(target));
  const std::string suffix = ".push.test.";
  Poller poller(pg, suffix, nzones, {"shared-a", "shared-b", kApiServer});
  SqlStatsReset();
  const size_t log0 = LogSize();
  Cpu c0 = TakeCpu();
  Clock::time_point start{};
  CreateOutcome created = CreateZones(
      *stub, nzones, threads, [&](int i) { return absl::StrFormat("p%06d%s", i, suffix); },
      &start, [&] { poller.Start(EpochNow()); });
  Cpu create_cpu = TakeCpu() - c0;
  const size_t log_create_end = LogSize();
  poller.Join();
  const double all_s = Ms(Clock::now() - start) / 1000.0;
  Cpu dc = TakeCpu() - c0;
  const size_t log1 = LogSize();

  r.create_rate = created.created / created.secs;
  Row("CreateZone ok", absl::StrCat(created.created, " in ", F(created.secs, " s", 2), " = ",
                                    F(r.create_rate, " zones/s")));
  Row("CreateZone failures", absl::StrCat(created.errors));
  Row("CreateZone latency p50 / p99", absl::StrCat(F(created.latency.Pct(50), "", 2), " / ",
                                                   F(created.latency.Pct(99), " ms", 2)));
  PrintCpu(create_cpu, created.secs, created.created, "zone (create window)");
  if (!poller.stall_note().empty()) Note(poller.stall_note());
  for (const char* server : {"shared-a", "shared-b", kApiServer}) {
    const double t = poller.DoneAt(server);
    Row(absl::StrCat(server, ": last push recorded at"),
        std::isnan(t) ? "never (see above)"
                      : absl::StrCat(F(t, " s", 2), " after the first CreateZone = ",
                                     F(nzones / t, " zones/s")));
  }
  const double done = poller.DoneAt(kApiServer);
  if (!std::isnan(done)) {
    r.push_rate = nzones / done;
    Row("  api-1 tail after the last CreateZone", F(done - created.secs, " s", 2));
  }
  Row("api-1 all IN_SYNC seen by the poll at", F(poller.SeenAt(kApiServer), " s", 2));
  Row("api-1 IN_SYNC by time", poller.Progress(kApiServer));
  Row("poll query duration p50 / max", absl::StrCat(F(poller.poll_ms().Pct(50), "", 1), " / ",
                                                     F(poller.poll_ms().Max(), " ms", 1)));
  PrintEndState(pg, api, suffix, nzones);
  PrintCpu(dc, all_s, created.created, "zone (whole push)");
  if (absl::GetFlag(FLAGS_dnsd_log_level) != "warn") {
    Note("dnsd log, create window:");
    SummariseLog(log0, log_create_end, created.secs);
    Note("dnsd log, whole push:");
    SummariseLog(log0, log1, all_s);
  }
  SqlStatsPrint();
}

// The push rate. Zones are created while api-1 is in maintenance (the
// shared-db servers confirm them as usual), then api-1 leaves maintenance
// and the time until it has them all is the push rate, without the commits
// and shared-db confirmations competing for the CPU.
double RunCatchup(const std::string& target, dt::PostgresServer& pg, dt::PdnsServer& api,
                  int nzones, int threads, int round) {
  Section(absl::StrCat("Push rate, round ", round, ": ", nzones, " zones committed with ",
                       kApiServer, " in maintenance, then maintenance off; poll until all IN_SYNC"));
  auto channel = NewChannel(target);
  auto zones = v1::ZoneService::NewStub(channel);
  auto servers = v1::ServerService::NewStub(channel);
  auto maintenance = [&](bool on) {
    v1::UpdateServerRequest up;
    up.mutable_server()->set_name(kApiServer);
    up.mutable_server()->set_maintenance(on);
    up.mutable_update_mask()->add_paths("maintenance");
    v1::Server server;
    grpc::Status s = servers->UpdateServer(Ctx().get(), up, &server);
    if (!s.ok()) Note(absl::StrCat("UpdateServer maintenance=", on, ": ", StatusText(s)));
    return s.ok();
  };
  if (!maintenance(true)) return kNaN;
  const std::string suffix = absl::StrCat(".catchup", round, ".test.");
  Clock::time_point unused;
  CreateOutcome created = CreateZones(
      *zones, nzones, threads, [&](int i) { return absl::StrFormat("q%06d%s", i, suffix); },
      &unused, nullptr);
  Row("CreateZone ok (api-1 in maintenance)",
      absl::StrCat(created.created, " in ", F(created.secs, " s", 2), " = ",
                   F(created.created / created.secs, " zones/s")));
  {
    // Let the shared-db confirmations finish first, so they do not compete.
    Poller shared(pg, suffix, nzones, {"shared-a", "shared-b"});
    shared.Start(EpochNow());
    shared.Join();
  }
  Poller poller(pg, suffix, nzones, {kApiServer});
  SqlStatsReset();
  const size_t log0 = LogSize();
  Cpu c0 = TakeCpu();
  const Clock::time_point start = Clock::now();
  const double start_epoch = EpochNow();
  if (!maintenance(false)) return kNaN;
  poller.Start(start_epoch);
  poller.Join();
  const double wall_s = Ms(Clock::now() - start) / 1000.0;
  Cpu dc = TakeCpu() - c0;
  const double done = poller.DoneAt(kApiServer);
  if (!poller.stall_note().empty()) Note(poller.stall_note());
  Row("api-1: last push recorded at",
      std::isnan(done) ? "never"
                       : absl::StrCat(F(done, " s", 2), " after maintenance off = ",
                                      F(nzones / done, " zones/s")));
  Row("api-1 all IN_SYNC seen by the poll at", F(poller.SeenAt(kApiServer), " s", 2));
  Row("api-1 IN_SYNC by time", poller.Progress(kApiServer));
  Row("poll query duration p50 / max", absl::StrCat(F(poller.poll_ms().Pct(50), "", 1), " / ",
                                                     F(poller.poll_ms().Max(), " ms", 1)));
  PrintEndState(pg, api, suffix, nzones);
  PrintCpu(dc, wall_s, nzones, "zone");
  SummariseLog(log0, LogSize(), wall_s);
  SqlStatsPrint();
  return std::isnan(done) ? kNaN : nzones / done;
}

// ------------------------------------------------------- waiting writes
// `n` writes at once, one zone each, each waiting up to `wait_s` for
// propagation while the API server is frozen (SIGSTOP: it accepts
// connections and never answers), from one thread through gRPC's async
// client. Meanwhile dnsd's threads and resident memory (from /proc) and its
// database sessions (pg_stat_activity, application_name dnsd-*) are sampled
// every 100 ms. The waits end at their propagation timeout with the state
// each server had reached; then the API server is thawed and catches up.
Waiting RunWaitingWrites(const std::string& target, dt::PostgresServer& pg, PdnsFleet& fleet,
                         dt::DnsdProcess& dnsd, int n, int threads, int wait_s) {
  Section(absl::StrCat(n, " concurrent writes waiting for propagation (propagation_timeout ",
                       wait_s, " s), ", kApiServer, " frozen with SIGSTOP"));
  Waiting w;
  auto channel = NewChannel(target);
  auto zones = v1::ZoneService::NewStub(channel);
  auto records = v1::RecordService::NewStub(channel);
  const std::string suffix = ".wait.test.";
  auto name = [&](int i) { return absl::StrFormat("%04d%s", i, suffix); };
  Clock::time_point unused;
  CreateOutcome created = CreateZones(*zones, n, threads, name, &unused, nullptr);
  {
    Poller poller(pg, suffix, n, {"shared-a", "shared-b", kApiServer});
    poller.Start(EpochNow());
    poller.Join();
  }
  Row("zones created and IN_SYNC everywhere", absl::StrCat(created.created, " of ", n));
  const ProcStatus before = ReadProcStatus(dnsd.pid());
  Row("dnsd before: threads / RSS", absl::StrCat(before.threads, " / ", F(before.rss_mib, " MiB")));
  if (absl::Status s = SignalServer(*fleet.api, "STOP"); !s.ok()) {
    Note(absl::StrCat("SIGSTOP: ", s.message()));
    return w;
  }

  struct Call {
    grpc::ClientContext ctx;
    v1::ChangeRRsetsResponse resp;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ChangeRRsetsResponse>> rpc;
  };
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    try {
      pqxx::connection conn(pg.ConnectionString("dns"));
      while (!done.load()) {
        const ProcStatus p = ReadProcStatus(dnsd.pid());
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec(
            "SELECT count(*), count(*) FILTER (WHERE state = 'active')"
            " FROM pg_stat_activity WHERE application_name LIKE 'dnsd-%'");
        w.max_threads = std::max(w.max_threads, p.threads);
        w.max_rss_mib = std::isnan(w.max_rss_mib) ? p.rss_mib : std::max(w.max_rss_mib, p.rss_mib);
        w.max_db_sessions = std::max(w.max_db_sessions, rows[0][0].as<int>());
        w.max_db_active = std::max(w.max_db_active, rows[0][1].as<int>());
        txn.commit();
        const auto metrics = ScrapeMetrics(dnsd.metrics_port());
        w.max_subscribers = std::max(w.max_subscribers,
                                     static_cast<int>(SumOf(metrics, "dnsd_event_hub_subscribers")));
        w.max_pool_in_use = std::max(
            w.max_pool_in_use, static_cast<int>(SumOf(metrics, "dnsd_db_pool_connections_in_use")));
        w.pool_size = static_cast<int>(SumOf(metrics, "dnsd_db_pool_connections"));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } catch (const std::exception& e) {
      Note(absl::StrCat("sampler: ", e.what()));
    }
  });
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Call>> calls;
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto call = std::make_unique<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(wait_s + 30));
    v1::ChangeRRsetsRequest req = ReplaceWwwA(name(i), "192.0.2.99");
    *req.mutable_propagation_timeout() = ProtoSeconds(wait_s);
    call->rpc = records->AsyncChangeRRsets(&call->ctx, req, &cq);
    call->rpc->Finish(&call->resp, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  const double sent_ms = Ms(Clock::now() - t0);
  Samples answered_ms;
  for (int i = 0; i < n; ++i) {
    void* tag = nullptr;
    bool ok = false;
    if (!cq.Next(&tag, &ok)) break;
    answered_ms.Add(Ms(Clock::now() - t0));
    Call* call = static_cast<Call*>(tag);
    std::string key;
    if (!call->status.ok()) {
      key = StatusText(call->status);
    } else {
      std::map<std::string, int> states;
      for (const auto& p : call->resp.propagation()) {
        ++states[absl::StrCat(absl::StartsWith(p.server(), "shared") ? "shared " : "api ",
                              v1::PropagationState_Name(p.state()))];
      }
      key = "OK";
      for (const auto& [state, count] : states) absl::StrAppend(&key, ", ", count, "x ", state);
    }
    ++w.answers[key];
  }
  done.store(true);
  sampler.join();
  cq.Shutdown();
  w.calls = static_cast<int64_t>(answered_ms.size());
  Row("calls sent in", F(sent_ms, " ms", 0));
  Row("answered after (from the first call) p50 / p90 / p99 / max", P50_90_99_Max(answered_ms));
  for (const auto& [key, count] : w.answers) Row(absl::StrCat("  answers: ", key), absl::StrCat(count));
  Row("dnsd while they waited: max threads", absl::StrCat(w.max_threads));
  Row("dnsd while they waited: max RSS", F(w.max_rss_mib, " MiB"));
  Row("dnsd database sessions: max open / max active",
      absl::StrCat(w.max_db_sessions, " / ", w.max_db_active,
                   " (pg_stat_activity: the pools, LISTEN, NOTIFY, leader lock)"));
  Row("dnsd pools: max connections in use / size",
      absl::StrCat(w.max_pool_in_use, " / ", w.pool_size, " (dnsd's /metrics)"));
  Row("dnsd event hub: max subscribers", absl::StrCat(w.max_subscribers));

  if (absl::Status s = SignalServer(*fleet.api, "CONT"); !s.ok()) {
    Note(absl::StrCat("SIGCONT: ", s.message()));
    return w;
  }
  Poller poller(pg, suffix, n, {kApiServer});
  const double thawed = EpochNow();
  poller.Start(thawed);
  poller.Join();
  Row(absl::StrCat(kApiServer, " thawed: all ", n, " changes IN_SYNC after"),
      F(poller.SeenAt(kApiServer), " s", 2));
  return w;
}

// ------------------------------------------------------------- baselines
std::string SerialToday() {
  absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  return absl::StrFormat("%04d%02d%02d00", day.year(), day.month(), day.day());
}

// The body dnsd's client sends for a new zone (client/pdns_json.cc
// EncodeCreateZone), with the SOA and NS dnsd builds for --default_nameservers.
std::string CreateBody(const std::string& zone) {
  auto record = [](const std::string& content) {
    return json{{"content", content}, {"disabled", false}};
  };
  json soa = {{"name", zone},
              {"type", "SOA"},
              {"ttl", 3600},
              {"records",
               json::array({record(absl::StrCat("ns1.bench.test. hostmaster.", zone, " ",
                                                SerialToday(), " 10800 3600 604800 3600"))})}};
  json ns = {{"name", zone},
             {"type", "NS"},
             {"ttl", 3600},
             {"records", json::array({record("ns1.bench.test."), record("ns2.bench.test.")})}};
  json body = {{"name", zone},
               {"kind", "Native"},
               {"nameservers", json::array()},
               {"masters", json::array()},
               {"account", ""},
               {"soa_edit_api", ""},
               {"api_rectify", false},
               {"rrsets", json::array({ns, soa})}};
  return body.dump();
}

double RunBaseline(dt::PdnsServer& api, int workers, int nzones, int round) {
  Section(absl::StrCat("Baseline, round ", round, ": minimal HTTP client, ", workers,
                       " workers, ", nzones, " POST /zones to the same API pdns_server"));
  const httplib::Headers headers = {{"X-API-Key", kApiKey}, {"Accept", "application/json"}};
  auto name = [workers, round](int i) {
    return absl::StrFormat("w%02dr%d-%06d.base.test.", workers, round, i);
  };
  std::atomic<int> next{0};
  std::atomic<int64_t> ok{0};
  ErrorLog errors;
  std::vector<Samples> per_thread(workers);
  Cpu c0 = TakeCpu();
  Clock::duration wall = RunThreads(workers, [&](int t) {
    httplib::Client cli("127.0.0.1", api.api_port());  // keep-alive off: Connection: close
    cli.set_connection_timeout(5);
    cli.set_read_timeout(30);
    for (int i = next.fetch_add(1); i < nzones; i = next.fetch_add(1)) {
      const std::string body = CreateBody(name(i));
      Clock::time_point t0 = Clock::now();
      auto res = cli.Post("/api/v1/servers/localhost/zones", headers, body, "application/json");
      double ms = Ms(Clock::now() - t0);
      if (res && res->status == 201) {
        per_thread[t].Add(ms);
        ok.fetch_add(1);
      } else {
        errors.Add(res ? absl::StrCat("HTTP ", res->status, " ", res->body.substr(0, 200))
                       : httplib::to_string(res.error()));
      }
    }
  });
  Cpu dc = TakeCpu() - c0;
  Samples all;
  for (auto& s : per_thread) all.Merge(s);
  const double secs = Ms(wall) / 1000.0;
  const double rate = ok.load() / secs;
  Row("created (HTTP 201)", absl::StrCat(ok.load(), " in ", F(secs, " s", 2), " = ",
                                         F(rate, " zones/s")));
  Row("failures", absl::StrCat(errors.count()));
  errors.Print();
  Row("POST latency p50 / p90 / p99 / max", P50_90_99_Max(all));
  PrintCpu(dc, secs, ok.load(), "zone");
  return rate;
}

double RunCurl(dt::PdnsServer& api, int nzones, int parallel) {
  Section(absl::StrCat("Sanity: curl via xargs -P ", parallel, ", ", nzones,
                       " POST /zones (one sh + curl process per zone)"));
  const std::string dir = dt::MakeTempDir("propbench-curl");
  const std::string url =
      absl::StrCat("http://127.0.0.1:", api.api_port(), "/api/v1/servers/localhost/zones");
  // The same body as CreateBody, with the zone name filled in by the shell.
  std::string body = CreateBody("@ZONE@");
  absl::StrReplaceAll({{"@ZONE@", "'\"$z\"'"}}, &body);
  {
    std::ofstream post(dir + "/post.sh");
    post << "z=$(printf 'c%06d.curl.test.' \"$1\")\n"
         << "curl -sS -o /dev/null -w '%{http_code}\\n' -X POST -H 'X-API-Key: " << kApiKey
         << "' -H 'Content-Type: application/json' --data-binary '" << body << "' " << url
         << "\n";
    std::ofstream noop(dir + "/noop.sh");
    noop << "z=$(printf 'c%06d.curl.test.' \"$1\")\ncurl --version > /dev/null\necho 0\n";
  }
  auto run = [&](const std::string& script, double* secs) -> absl::StatusOr<std::string> {
    Clock::time_point t0 = Clock::now();
    absl::StatusOr<std::string> out = dt::RunCommand(absl::StrCat(
        "seq 0 ", nzones - 1, " | xargs -P ", parallel, " -n 1 sh ", dir, "/", script));
    *secs = Ms(Clock::now() - t0) / 1000.0;
    return out;
  };
  double secs = 0;
  Cpu c0 = TakeCpu();
  absl::StatusOr<std::string> out = run("post.sh", &secs);
  Cpu dc = TakeCpu() - c0;
  double rate = kNaN;
  if (!out.ok()) {
    Note(absl::StrCat("curl run failed: ", out.status().message()));
  } else {
    std::map<std::string, int> codes;
    for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
      ++codes[std::string(line)];
    }
    std::string summary;
    for (const auto& [c, n] : codes) absl::StrAppend(&summary, summary.empty() ? "" : ", ", c, " x", n);
    rate = codes["201"] / secs;
    Row("HTTP codes", summary);
    Row("created (HTTP 201)", absl::StrCat(codes["201"], " in ", F(secs, " s", 2), " = ",
                                           F(rate, " zones/s")));
    PrintCpu(dc, secs, codes["201"], "zone");
  }
  double noop_secs = 0;
  if (run("noop.sh", &noop_secs).ok()) {
    Row("same spawns, curl --version only", absl::StrCat(F(noop_secs, " s", 2), " = ",
                                                        F(nzones / noop_secs, " spawns/s"),
                                                        " (process overhead alone)"));
  }
  dt::RemoveTempDir(dir);
  return rate;
}

// ---------------------------------------------------------------- summary
void Summary(const Results& r) {
  Section("Summary (targets)");
  const auto& line = SummaryLine;
  const auto& verdict = Verdict;
  line("sequential change -> 3 confirmed, p50, caches off", F(r.seq.p50, " ms", 2), "<= 15 ms",
       verdict(r.seq.p50, 15, false));
  line("  p99", F(r.seq.p99, " ms", 2), "", "");
  line("  responses not 3/3 IN_SYNC at serial", absl::StrCat(r.seq.failures), "0",
       r.seq.failures == 0 ? "PASS" : "FAIL");
  line("sequential change -> 3 confirmed, p50, caches ON", F(r.seq_cached.p50, " ms", 2),
       "<= 15 ms", verdict(r.seq_cached.p50, 15, false));
  line("  p99", F(r.seq_cached.p99, " ms", 2), "", "");
  line("  responses not 3/3 IN_SYNC at serial", absl::StrCat(r.seq_cached.failures), "0",
       r.seq_cached.failures == 0 ? "PASS" : "FAIL");
  line("concurrent writers p50 / p99",
       absl::StrCat(F(r.conc.p50, "", 1), " / ", F(r.conc.p99, " ms", 1)), "", "");
  // Not a target: the API server's gsqlite3 backend itself answers HTTP 500
  // ("database is locked") to concurrent writes (see the direct PATCH check);
  // such a push shows ERROR in its response and the recovery loop retries it.
  line("  responses not 3/3 IN_SYNC at serial", absl::StrCat(r.conc.failures), "", "");
  if (r.waiting.calls > 0) {
    const Waiting& w = r.waiting;
    line(absl::StrCat(w.calls, " waiting writes: dnsd max threads"), absl::StrCat(w.max_threads),
         "<= 64", verdict(w.max_threads, 64, false));
    line("  dnsd max RSS", F(w.max_rss_mib, " MiB"), "<= 300 MiB",
         verdict(w.max_rss_mib, 300, false));
    line("  pool connections in use / pool size",
         absl::StrCat(w.max_pool_in_use, " / ", w.pool_size), "within",
         w.pool_size > 0 && w.max_pool_in_use <= w.pool_size ? "PASS" : "FAIL");
  }
  line(absl::StrCat("baseline POST rate (", r.baseline_workers, " workers), median"),
       F(Median(r.baseline_rounds), " /s"), "", "");
  // The push rate: zones already committed through the gRPC API, pushed to
  // api-1 (the same POSTs the baseline makes, plus reading the truth and
  // recording the outcome in PostgreSQL).
  line("push of committed zones to api-1, median", F(Median(r.catchup_rounds), " /s"), "", "");
  const double push_ratio = Median(r.ratio_rounds);
  line("  / baseline (median of rounds)", F(push_ratio, " %"), ">= 80 %",
       verdict(push_ratio, 80, true));
  // Creating the zones and pushing them at once, end to end: the creates
  // (dnsd, PostgreSQL, both SHARED_DB confirmations) share the 2 cores with
  // the push, so this cannot approach a baseline that only POSTs.
  line("create + push pipelined, end to end", F(r.push_rate, " /s"), "", "");
  line("  CreateZone rate (commit only, meanwhile)", F(r.create_rate, " /s"), "", "");
  line("curl xargs sanity rate", F(r.curl_rate, " /s"), "", "");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As in dns_bench: Debian's abseil runs absl::Mutex deadlock detection
  // (used by gRPC) on every lock unless told not to.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int changes = std::max(1, absl::GetFlag(FLAGS_changes));
  const int writers = std::max(1, absl::GetFlag(FLAGS_writers));
  const int nzones = std::max(1, absl::GetFlag(FLAGS_zones));
  const int create_threads = std::max(1, absl::GetFlag(FLAGS_create_threads));
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  std::printf("propagation_bench: --changes=%d --zones=%d --rounds=%d --writers=%d "
              "--waiting_writes=%d --create_threads=%d --baseline_workers=%s --curl_zones=%d "
              "--dnsd_log_level=%s (%u cpus)\n",
              changes, nzones, rounds, writers, absl::GetFlag(FLAGS_waiting_writes),
              create_threads, absl::StrJoin(absl::GetFlag(FLAGS_baseline_workers), ",").c_str(),
              absl::GetFlag(FLAGS_curl_zones), absl::GetFlag(FLAGS_dnsd_log_level).c_str(),
              std::thread::hardware_concurrency());

  // 1. Environment, declared in start order so it stops in reverse.
  Section("Environment");
  auto pg = StartPostgres(absl::GetFlag(FLAGS_sql_stats));
  if (!pg.ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", std::string(pg.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::PostgresServer> postgres = *std::move(pg);
  std::vector<std::string> dnsd_flags = {
      absl::StrCat("--log_level=", absl::GetFlag(FLAGS_dnsd_log_level))};
  for (const auto& f : absl::GetFlag(FLAGS_dnsd_flags)) dnsd_flags.push_back(f);
  auto dnsd = StartDnsd(*postgres, "dns", dnsd_flags);
  if (!dnsd.ok()) {
    std::fprintf(stderr, "dnsd: %s\n", std::string(dnsd.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::DnsdProcess> daemon = *std::move(dnsd);
  g_dnsd = daemon.get();
  const std::string target = daemon->target();
  auto fleet_or = StartAndRegisterFleet(*postgres, "dns", /*shared_caches=*/false, target);
  if (!fleet_or.ok()) return 1;
  PdnsFleet fleet = *std::move(fleet_or);

  Results results;
  // 2. Latency, caches off then on.
  results.seq = RunSequentialLatency(target, changes, "lat.bench.test.", "off");
  RunConcurrentLatency(target, *fleet.api, writers, changes, results);
  bool cached = true;
  for (auto& shared : fleet.shared) {
    if (absl::Status s = SetCaches(*shared, true); !s.ok()) {
      Note(absl::StrCat("turning the caches on: ", s.message()));
      cached = false;
    }
  }
  if (cached) {
    results.seq_cached = RunSequentialLatency(target, changes, "latc.bench.test.",
                                              absl::StrCat("ON (", absl::StrJoin(ProductionCacheConfig(), " "), ")"));
  }

  // 3. Writes waiting at once.
  if (absl::GetFlag(FLAGS_waiting_writes) > 0) {
    results.waiting = RunWaitingWrites(target, *postgres, fleet, *daemon,
                                       absl::GetFlag(FLAGS_waiting_writes), create_threads, 10);
  }

  // 4. Push throughput: pipelined once, then the push rate alternating with
  // the baseline against the same server.
  RunPush(target, *postgres, *fleet.api, nzones, create_threads, results);
  for (int round = 1; round <= rounds; ++round) {
    const double push = RunCatchup(target, *postgres, *fleet.api, nzones, create_threads, round);
    double best = kNaN;
    for (const std::string& w : absl::GetFlag(FLAGS_baseline_workers)) {
      int workers = 0;
      if (!absl::SimpleAtoi(w, &workers) || workers < 1) continue;
      const double rate = RunBaseline(*fleet.api, workers, nzones, round);
      if (std::isnan(best) || rate > best) {
        best = rate;
        results.baseline_workers = workers;
      }
    }
    results.catchup_rounds.push_back(push);
    results.baseline_rounds.push_back(best);
    results.ratio_rounds.push_back(100.0 * push / best);
  }
  Section(absl::StrCat("Push rate and baseline over ", rounds, " rounds"));
  Row("push of committed zones by round", Joined(results.catchup_rounds, " /s"));
  Row("baseline by round", Joined(results.baseline_rounds, " /s"));
  Row("ratio by round", Joined(results.ratio_rounds, " %"));
  if (absl::GetFlag(FLAGS_curl_zones) > 0) {
    results.curl_rate = RunCurl(*fleet.api, absl::GetFlag(FLAGS_curl_zones),
                                std::max(1, absl::GetFlag(FLAGS_curl_parallel)));
  }

  Summary(results);
  if (!daemon->Running()) {
    Note(absl::StrCat("dnsd is no longer running; log tail:\n", daemon->LogTail()));
  }
  return 0;
}
