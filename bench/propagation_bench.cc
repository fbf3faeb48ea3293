// propagation_bench: how fast a committed change reaches a fleet of PowerDNS
// servers, in one run, on one machine:
//
//   1. a private PostgreSQL 15 with fsync ON (database `dns`), dnsd on it,
//      two SHARED_DB pdns_servers (gpgsql on `dns`) and one API pdns_server
//      (gsqlite3 on its own file), all three registered through
//      ServerService.RegisterServer;
//   2. latency from commit to all three confirmed: --changes sequential
//      ChangeRRsets (one REPLACE of www A each) with propagation_timeout 5 s,
//      every response checked for 3 servers IN_SYNC at the response's serial;
//      then the same with --writers concurrent writers on their own zones
//      (and, as a diagnostic, the same PATCHes straight to the API server);
//   3. push throughput to the API server, against a baseline of a minimal
//      parallel HTTP client POSTing the same kind of zone to the same
//      pdns_server (8 and 16 workers; and a curl via xargs -P 8 sanity check):
//      a. end to end: --zones CreateZone calls from --create_threads threads
//         without waiting for propagation, until api-1 has them all IN_SYNC
//         (the end is the update_time MarkApplied stamped on the last row;
//         a cheap poll of the pending rows decides when to read it);
//         creating and pushing share the 2 cores here;
//      b. the push rate: --zones zones committed through CreateZone while
//         api-1 is in maintenance, then maintenance off and the time until
//         api-1 has them all (the same POSTs as the baseline).
//
// Every phase prints the CPU each party used (from /proc) and the machine's
// other load, since the 2 cores are shared by everything. It prints a
// summary against the targets; the exit code is 0 whenever the environment
// came up: the bench reports, it does not gate.
//
//   propagation_bench [--changes=300] [--zones=10000]
//   propagation_bench --changes=50 --zones=1000        # a quick pass
//   propagation_bench --dnsd_log_level=info            # + dnsd's pdns_call
//                                                      #   lines summarised
//   propagation_bench --sql_stats                      # + pg_stat_statements
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <pqxx/pqxx>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
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
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/dnsd_process.h"
#include "tests/support/pdns_server.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

ABSL_FLAG(int, changes, 300, "Sequential ChangeRRsets timed (and per writer in the concurrent run).");
ABSL_FLAG(int, writers, 4, "Concurrent writers (one zone each) in the second latency run.");
ABSL_FLAG(int, zones, 10000, "Zones created through dnsd for the push phase (and per baseline run).");
ABSL_FLAG(int, create_threads, 16, "Client threads calling CreateZone in the push phase.");
ABSL_FLAG(std::vector<std::string>, baseline_workers, std::vector<std::string>({"8", "16"}),
          "Worker counts of the minimal HTTP client baseline (one run each, --zones zones).");
ABSL_FLAG(int, curl_zones, 1000, "Zones POSTed by curl via xargs -P (0: skip).");
ABSL_FLAG(int, curl_parallel, 8, "xargs -P for the curl sanity check.");
ABSL_FLAG(int, poll_ms, 500,
          "Interval of the poll of dnsv1.zone_servers (one query counting this phase's pending "
          "rows per server) that decides when a push phase is over. The finish time itself is "
          "the last pushed row's update_time, not the poll's.");
ABSL_FLAG(int, poll_stall_seconds, 120,
          "Give up waiting for the push when no server makes progress for this long.");
ABSL_FLAG(std::string, dnsd_log_level, "warn",
          "dnsd --log_level. At info/debug the bench also summarises dnsd's pdns_call "
          "(info) and propagation (debug) log lines per phase.");
ABSL_FLAG(std::vector<std::string>, dnsd_flags, {},
          "Extra dnsd flags, comma-separated (e.g. --pdns_max_in_flight=16).");
ABSL_FLAG(bool, sql_stats, false,
          "Load pg_stat_statements (track=all) and print the top statements of all databases "
          "(dnsd and the gpgsql pdns_servers share `dns`) plus new sessions after each phase. "
          "Adds overhead: for finding where time goes, not for the headline numbers.");
ABSL_FLAG(bool, catchup_check, true,
          "The push-rate phase: --zones more zones created with api-1 in maintenance, "
          "then the time for api-1 to catch up on them alone.");
ABSL_FLAG(bool, direct_patch_check, true,
          "After the concurrent-writer run, PATCH the same zones on the API pdns_server "
          "directly from --writers threads and count HTTP errors (does PowerDNS itself fail "
          "concurrent PATCHes?).");

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
namespace v1 = ::dns::v1;
namespace dt = ::dns::testing;

constexpr char kKey[] = "bench-fleet-key";
constexpr char kApiServer[] = "api-1";

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Latency samples in milliseconds.
struct Samples {
  std::vector<double> ms;
  void Add(double v) { ms.push_back(v); }
  void Merge(const Samples& other) { ms.insert(ms.end(), other.ms.begin(), other.ms.end()); }
  // Nearest-rank percentile; NaN when empty.
  double Pct(double p) {
    if (ms.empty()) return kNaN;
    std::sort(ms.begin(), ms.end());
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * ms.size()));
    if (rank == 0) rank = 1;
    return ms[std::min(rank, ms.size()) - 1];
  }
  double Max() { return ms.empty() ? kNaN : *std::max_element(ms.begin(), ms.end()); }
  double Sum() const { return std::accumulate(ms.begin(), ms.end(), 0.0); }
  size_t size() const { return ms.size(); }
};

void Section(const std::string& title) {
  std::printf("\n== %s ==\n", title.c_str());
  std::fflush(stdout);
}

void Row(const std::string& label, const std::string& value) {
  std::printf("  %-44s %s\n", label.c_str(), value.c_str());
  std::fflush(stdout);
}

std::string F(double v, const char* unit = "", int prec = 1) {
  if (std::isnan(v)) return "n/a";
  return absl::StrFormat("%.*f%s", prec, v, unit);
}

void Note(const std::string& text) {
  std::printf("  # %s\n", text.c_str());
  std::fflush(stdout);
}

std::string P50_90_99_Max(Samples& s) {
  return absl::StrCat(F(s.Pct(50), "", 2), " / ", F(s.Pct(90), "", 2), " / ", F(s.Pct(99), "", 2),
                      " / ", F(s.Max(), " ms", 2));
}

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return channel;
}

std::string StatusText(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), ": ", s.error_message());
}

google::protobuf::Duration Seconds(int s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

// Keeps the first few error texts of a phase.
class ErrorLog {
 public:
  void Add(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (first_.size() < 3) first_.push_back(text);
  }
  int64_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  void Print() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : first_) Note(absl::StrCat("error: ", e));
  }

 private:
  std::mutex mu_;
  int64_t count_ = 0;
  std::vector<std::string> first_;
};

// Runs `body(thread_index)` on n threads released together; *start is the
// release time; returns the wall time from release to the last thread's end.
template <typename Body>
Clock::duration RunThreads(int n, Body body, Clock::time_point* start_out = nullptr) {
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      body(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  Clock::time_point start = Clock::now();
  if (start_out != nullptr) *start_out = start;
  go.store(true);
  for (auto& t : threads) t.join();
  return Clock::now() - start;
}

// ------------------------------------------------------- CPU accounting
// CPU seconds of each party, from /proc (utime+stime+cutime+cstime of each
// process tree): the bench (with its reaped children: psql, curl), dnsd,
// PostgreSQL, the two gpgsql pdns_servers and the API pdns_server.
std::string g_api_config_dir;  // tells the API pdns_server from the others

struct Cpu {
  double bench = 0, dnsd = 0, postgres = 0, pdns_shared = 0, pdns_api = 0;
  // The whole machine, from /proc/stat: busy (not idle, not iowait) and
  // iowait seconds summed over all cores. busy minus ours is other load
  // (the machine is shared).
  double machine_busy = 0, machine_iowait = 0;
  Cpu operator-(const Cpu& o) const {
    return {bench - o.bench,         dnsd - o.dnsd,
            postgres - o.postgres,   pdns_shared - o.pdns_shared,
            pdns_api - o.pdns_api,   machine_busy - o.machine_busy,
            machine_iowait - o.machine_iowait};
  }
  double total() const { return bench + dnsd + postgres + pdns_shared + pdns_api; }
};

Cpu TakeCpu() {
  struct Proc {
    pid_t ppid = 0;
    double cpu = 0;
    std::string comm;
  };
  static const double kTick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::map<pid_t, Proc> procs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    size_t open = stat.find('(');
    size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::vector<std::string> f = absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipEmpty());
    if (f.size() < 15) continue;
    Proc p;
    p.comm = stat.substr(open + 1, close - open - 1);
    int ppid = 0;
    (void)absl::SimpleAtoi(f[1], &ppid);
    p.ppid = ppid;
    double ticks = 0;
    for (int i = 11; i <= 14; ++i) {  // utime stime cutime cstime
      int64_t v = 0;
      (void)absl::SimpleAtoi(f[i], &v);
      ticks += v;
    }
    p.cpu = ticks / kTick;
    procs[pid] = p;
  }
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& [pid, p] : procs) children[p.ppid].push_back(pid);
  std::function<double(pid_t)> tree = [&](pid_t pid) {
    double sum = procs.count(pid) ? procs[pid].cpu : 0;
    for (pid_t c : children[pid]) sum += tree(c);
    return sum;
  };
  Cpu out;
  {
    std::ifstream in("/proc/stat");
    std::string cpu;
    double v[8] = {0};
    in >> cpu;
    for (double& x : v) in >> x;
    // user nice system idle iowait irq softirq steal
    out.machine_busy = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / kTick;
    out.machine_iowait = v[4] / kTick;
  }
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage ru{};
    getrusage(who, &ru);
    out.bench += ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
  }
  for (pid_t c : children[getpid()]) {
    const std::string& comm = procs[c].comm;
    if (comm == "dnsd") {
      out.dnsd += tree(c);
    } else if (comm == "pdns_server") {
      std::ifstream cmd(absl::StrCat("/proc/", c, "/cmdline"));
      std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
      if (!g_api_config_dir.empty() && absl::StrContains(cmdline, g_api_config_dir)) {
        out.pdns_api += tree(c);
      } else {
        out.pdns_shared += tree(c);
      }
    } else if (comm == "runuser" || comm == "postgres") {
      out.postgres += tree(c);
    } else {  // a running psql/sh/xargs of the bench's own
      out.bench += tree(c);
    }
  }
  return out;
}

void PrintCpu(const Cpu& d, double wall_s, int64_t ops, const char* op) {
  const double cores = std::thread::hardware_concurrency();
  Row("CPU s: client/dnsd/pg/pdns-shared(2)/pdns-api",
      absl::StrFormat("%.2f / %.2f / %.2f / %.2f / %.2f  (%.0f%% of %.0f cores x %.1f s)",
                      d.bench, d.dnsd, d.postgres, d.pdns_shared, d.pdns_api,
                      100.0 * d.total() / (cores * wall_s), cores, wall_s));
  Row("  machine: busy / other (not ours) / iowait",
      absl::StrFormat("%.0f%% / %.0f%% / %.0f%% of %.0f cores",
                      100.0 * d.machine_busy / (cores * wall_s),
                      100.0 * std::max(0.0, d.machine_busy - d.total()) / (cores * wall_s),
                      100.0 * d.machine_iowait / (cores * wall_s), cores));
  if (ops > 0) {
    Row(absl::StrCat("CPU us per ", op),
        absl::StrFormat("%.0f / %.0f / %.0f / %.0f / %.0f", 1e6 * d.bench / ops,
                        1e6 * d.dnsd / ops, 1e6 * d.postgres / ops, 1e6 * d.pdns_shared / ops,
                        1e6 * d.pdns_api / ops));
  }
}

// ----------------------------------------------------- dnsd log summary
// With --dnsd_log_level=info or debug: dnsd's own account of a phase, from
// the log bytes written during it. pdns_call lines (info) give each HTTP
// call's duration; propagation lines (debug) give each task's duration.
// "busy" is the sum of durations over the phase's wall time: the average
// number of such calls/tasks in flight.
const dt::DnsdProcess* g_dnsd = nullptr;

size_t LogSize() {
  if (g_dnsd == nullptr) return 0;
  std::error_code ec;
  auto n = std::filesystem::file_size(g_dnsd->log_path(), ec);
  return ec ? 0 : static_cast<size_t>(n);
}

void SummariseLog(size_t from, size_t to, double wall_s) {
  if (g_dnsd == nullptr || absl::GetFlag(FLAGS_dnsd_log_level) == "warn" || to <= from) return;
  std::ifstream in(g_dnsd->log_path(), std::ios::binary);
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(to - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::map<std::string, Samples> groups;
  std::map<std::string, int64_t> not_ok;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> tok = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (tok.size() < 4) continue;
    const absl::string_view msg = tok[2];
    if (msg != "pdns_call" && msg != "propagation") continue;
    std::map<std::string, std::string> kv;
    for (size_t i = 3; i < tok.size(); ++i) {
      size_t eq = tok[i].find('=');
      if (eq == absl::string_view::npos) continue;
      kv[std::string(tok[i].substr(0, eq))] = std::string(tok[i].substr(eq + 1));
    }
    double ms = 0;
    if (!absl::SimpleAtod(kv["duration_ms"], &ms)) continue;
    std::string key;
    if (msg == "pdns_call") {
      key = absl::StrCat("pdns_call ", kv["server"], " ", kv["method"], " ", kv["status"]);
    } else {
      key = absl::StrCat("propagation ", kv["server"],
                         kv["full_sync"] == "true" ? " full" : " patch");
    }
    groups[key].Add(ms);
    if (kv["code"] != "OK") ++not_ok[key];
  }
  if (groups.empty()) return;
  Note("dnsd log: n | p50 / p90 / p99 / max ms | busy (sum of durations / wall)");
  for (auto& [key, s] : groups) {
    std::printf("      %-40s %6zu | %s | %.2f%s\n", key.c_str(), s.size(),
                P50_90_99_Max(s).c_str(), s.Sum() / 1000.0 / wall_s,
                not_ok[key] ? absl::StrCat("  (", not_ok[key], " not OK)").c_str() : "");
  }
  std::fflush(stdout);
}

// ---------------------------------------------------- pg_stat_statements
dt::PostgresServer* g_pg = nullptr;  // set when --sql_stats is on

void SqlStatsReset() {
  if (g_pg == nullptr) return;
  (void)g_pg->Psql("dns", "SELECT pg_stat_statements_reset()");
  (void)g_pg->Psql("dns", "SELECT pg_stat_reset_shared('bgwriter')");
  (void)g_pg->Psql("dns", "SELECT pg_stat_reset()");
}

void SqlStatsPrint() {
  if (g_pg == nullptr) return;
  absl::StatusOr<std::string> sessions = g_pg->Psql(
      "dns", "SELECT sessions, xact_commit FROM pg_stat_database WHERE datname = 'dns'");
  if (sessions.ok()) {
    Note(absl::StrCat("pg_stat_database dns since reset (lags up to ~10 s): sessions|commits = ",
                      absl::StripAsciiWhitespace(*sessions)));
  }
  absl::StatusOr<std::string> out = g_pg->Psql(
      "dns",
      "SELECT s.calls, round(s.total_exec_time::numeric, 1), round(s.mean_exec_time::numeric, 3),"
      " s.toplevel, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 120)"
      " FROM pg_stat_statements s"
      " WHERE s.query NOT LIKE '%pg_stat_%'"
      " ORDER BY s.total_exec_time DESC LIMIT 14");
  if (!out.ok()) {
    Note(absl::StrCat("pg_stat_statements: ", out.status().message()));
    return;
  }
  Note("pg_stat_statements: calls | total ms | mean ms | toplevel | query");
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    std::printf("      %s\n", std::string(line).c_str());
  }
  std::fflush(stdout);
}

// ------------------------------------------------------------- results
struct Results {
  double seq_p50 = kNaN, seq_p99 = kNaN;
  int64_t seq_failures = -1;
  double conc_p50 = kNaN, conc_p99 = kNaN;
  int64_t conc_failures = -1;
  double create_rate = kNaN;
  double push_rate = kNaN;
  double baseline_rate = kNaN;
  int baseline_workers = 0;
  double curl_rate = kNaN;
  double catchup_rate = kNaN;
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
  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  v1::RRsetChange* change = req.add_changes();
  change->set_changetype(v1::CHANGE_TYPE_REPLACE);
  change->mutable_rrset()->set_name("www");
  change->mutable_rrset()->set_type("A");
  change->mutable_rrset()->set_ttl(300);
  change->mutable_rrset()->add_records()->set_content(
      absl::StrCat("198.51.", n / 254 % 254, ".", n % 254 + 1));
  *req.mutable_propagation_timeout() = Seconds(5);
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
  *req.mutable_propagation_timeout() = Seconds(10);
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

void RunSequentialLatency(const std::string& target, int n, Results& r) {
  Section(absl::StrCat("Latency commit -> 3 servers confirmed: ", n,
                       " sequential ChangeRRsets (REPLACE www A), propagation_timeout 5 s"));
  auto channel = NewChannel(target);
  auto zones = v1::ZoneService::NewStub(channel);
  auto records = v1::RecordService::NewStub(channel);
  const std::string zone = "lat.bench.test.";
  if (!CreateZoneAndWait(*zones, zone)) return;
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
  r.seq_p50 = all.Pct(50);
  r.seq_p99 = all.Pct(99);
  r.seq_failures = failures.count();
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
}

// The PATCH dnsd sends for one of these changes (the www A RRset and the
// SOA), straight to the API pdns_server from `writers` threads, one zone
// each: does PowerDNS itself fail concurrent PATCHes?
void DirectPatchCheck(dt::PdnsServer& api, int writers, int n,
                      const std::function<std::string(int)>& zone_of) {
  const httplib::Headers headers = {{"X-API-Key", kKey}, {"Accept", "application/json"}};
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
  r.conc_p50 = all.Pct(50);
  r.conc_p99 = all.Pct(99);
  r.conc_failures = failures.count();
  Row("calls", absl::StrCat(all.size(), " in ", F(wall_s, " s", 2), " = ",
                            F(all.size() / wall_s, " changes/s")));
  Row("not all 3 IN_SYNC at response serial", absl::StrCat(failures.count()));
  failures.Print();
  Row("call wall time p50 / p99", absl::StrCat(F(all.Pct(50), "", 2), " / ",
                                               F(all.Pct(99), " ms", 2)));
  Row("  (p90 / max)", absl::StrCat(F(all.Pct(90), "", 2), " / ", F(all.Max(), " ms", 2)));
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

// Seconds since the Unix epoch, the clock PostgreSQL's now() reads.
double EpochNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
                  int nzones, int threads) {
  Section(absl::StrCat("Push rate: ", nzones, " zones committed with ", kApiServer,
                       " in maintenance, then maintenance off; poll until all IN_SYNC"));
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
  const std::string suffix = ".catchup.test.";
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

double RunBaseline(dt::PdnsServer& api, int workers, int nzones) {
  Section(absl::StrCat("Baseline: minimal HTTP client, ", workers, " workers, ", nzones,
                       " POST /zones to the same API pdns_server"));
  const httplib::Headers headers = {{"X-API-Key", kKey}, {"Accept", "application/json"}};
  auto name = [workers](int i) { return absl::StrFormat("w%02d%06d.base.test.", workers, i); };
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
         << "curl -sS -o /dev/null -w '%{http_code}\\n' -X POST -H 'X-API-Key: " << kKey
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
  auto line = [](const std::string& what, const std::string& value, const std::string& target,
                 const char* verdict) {
    std::printf("  %-44s %16s   %-10s %s\n", what.c_str(), value.c_str(), target.c_str(),
                verdict);
  };
  auto pass = [](bool b) { return b ? "PASS" : "FAIL"; };
  line("sequential change -> 3 confirmed, p50", F(r.seq_p50, " ms", 2), "<= 15 ms",
       pass(!std::isnan(r.seq_p50) && r.seq_p50 <= 15));
  line("  p99", F(r.seq_p99, " ms", 2), "", "");
  line("  responses not 3/3 IN_SYNC at serial", absl::StrCat(r.seq_failures), "0",
       pass(r.seq_failures == 0));
  line("concurrent writers p50 / p99",
       absl::StrCat(F(r.conc_p50, "", 1), " / ", F(r.conc_p99, " ms", 1)), "", "");
  // Not a target: the API server's gsqlite3 backend itself answers HTTP 500
  // ("database is locked") to concurrent writes (see the direct PATCH check);
  // such a push shows ERROR in its response and the recovery loop retries it.
  line("  responses not 3/3 IN_SYNC at serial", absl::StrCat(r.conc_failures), "", "");
  line(absl::StrCat("baseline POST rate (best, ", r.baseline_workers, " workers)"),
       F(r.baseline_rate, " /s"), "", "");
  // The push rate: zones already committed through the gRPC API, pushed to
  // api-1 (the same POSTs the baseline makes, plus reading the truth and
  // recording the outcome in PostgreSQL).
  line("push of committed zones to api-1", F(r.catchup_rate, " /s"), "", "");
  const double push_ratio = 100.0 * r.catchup_rate / r.baseline_rate;
  line("  / baseline", F(push_ratio, " %"), ">= 80 %",
       pass(!std::isnan(push_ratio) && push_ratio >= 80));
  // Creating the zones and pushing them at once, end to end: the creates
  // (dnsd, PostgreSQL, both SHARED_DB confirmations) share the 2 cores with
  // the push, so this cannot approach a baseline that only POSTs.
  line("create + push pipelined, end to end", F(r.push_rate, " /s"), "", "");
  const double pipelined_ratio = 100.0 * r.push_rate / r.baseline_rate;
  line("  / baseline", F(pipelined_ratio, " %"), ">= 80 %",
       pass(!std::isnan(pipelined_ratio) && pipelined_ratio >= 80));
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
  std::printf("propagation_bench: --changes=%d --zones=%d --writers=%d --create_threads=%d "
              "--baseline_workers=%s --curl_zones=%d --dnsd_log_level=%s (%u cpus)\n",
              changes, nzones, writers, create_threads,
              absl::StrJoin(absl::GetFlag(FLAGS_baseline_workers), ",").c_str(),
              absl::GetFlag(FLAGS_curl_zones), absl::GetFlag(FLAGS_dnsd_log_level).c_str(),
              std::thread::hardware_concurrency());

  // 1. Environment, declared in start order so it stops in reverse.
  Section("Environment");
  auto pg = dt::PostgresServer::Start(
      dt::PostgresServer::Options{.fsync = true, .max_connections = 300});
  if (!pg.ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", std::string(pg.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::PostgresServer> postgres = *std::move(pg);
  if (absl::Status s = postgres->CreateDatabase("dns"); !s.ok()) {
    std::fprintf(stderr, "CREATE DATABASE dns: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto version = postgres->Psql("postgres", "SHOW server_version; SHOW fsync;");
  Row("PostgreSQL",
      absl::StrCat("127.0.0.1:", postgres->port(), " (version, fsync: ",
                   version.ok() ? absl::StrJoin(absl::StrSplit(absl::StripAsciiWhitespace(*version),
                                                               '\n'),
                                                ", ")
                                : "?",
                   ")"));
  if (absl::GetFlag(FLAGS_sql_stats)) {
    // ALTER SYSTEM cannot share a transaction: one psql call each.
    absl::Status s = postgres
                         ->Psql("postgres",
                                "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
                         .status();
    if (s.ok()) s = postgres->Restart();
    if (s.ok()) {
      s = postgres->Psql("postgres", "ALTER SYSTEM SET pg_stat_statements.track = 'all'").status();
    }
    if (s.ok()) s = postgres->Psql("postgres", "SELECT pg_reload_conf()").status();
    if (s.ok()) {
      s = postgres->Psql("dns", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").status();
    }
    if (s.ok()) {
      g_pg = postgres.get();
      Row("pg_stat_statements", "on (track=all)");
    } else {
      Note(absl::StrCat("--sql_stats: ", s.message()));
    }
  }
  std::vector<std::string> dnsd_flags = {
      "--default_nameservers=ns1.bench.test.,ns2.bench.test.",
      absl::StrCat("--log_level=", absl::GetFlag(FLAGS_dnsd_log_level))};
  for (const auto& f : absl::GetFlag(FLAGS_dnsd_flags)) dnsd_flags.push_back(f);
  auto dnsd = dt::DnsdProcess::Start(DNSD_PATH, postgres->Url("dns"), dnsd_flags);
  if (!dnsd.ok()) {
    std::fprintf(stderr, "dnsd: %s\n", std::string(dnsd.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::DnsdProcess> daemon = *std::move(dnsd);
  g_dnsd = daemon.get();
  Row("dnsd", absl::StrCat(daemon->target(), " ", absl::StrJoin(dnsd_flags, " "), " (log ",
                           daemon->log_path(), ")"));

  std::vector<std::unique_ptr<dt::PdnsServer>> shared;
  for (int i = 0; i < 2; ++i) {
    dt::PdnsServer::Options options;
    options.backend = dt::PdnsServer::Options::Backend::kGpgsql;
    options.pg_port = postgres->port();
    options.pg_dbname = "dns";
    options.api_key = kKey;
    auto p = dt::PdnsServer::Start(options);
    if (!p.ok()) {
      std::fprintf(stderr, "pdns_server (gpgsql): %s\n", std::string(p.status().message()).c_str());
      return 1;
    }
    shared.push_back(*std::move(p));
  }
  const std::string sqlite_dir = dt::MakeTempDir("propbench-sqlite");
  std::unique_ptr<dt::PdnsServer> api;
  {
    dt::PdnsServer::Options options;
    options.backend = dt::PdnsServer::Options::Backend::kGsqlite3;
    options.sqlite_path = sqlite_dir + "/pdns.sqlite3";
    options.api_key = kKey;
    auto p = dt::PdnsServer::Start(options);
    if (!p.ok()) {
      std::fprintf(stderr, "pdns_server (gsqlite3): %s\n",
                   std::string(p.status().message()).c_str());
      return 1;
    }
    api = *std::move(p);
  }
  g_api_config_dir = api->config_dir();

  const std::string target = daemon->target();
  {
    auto servers = v1::ServerService::NewStub(NewChannel(target));
    auto reg = [&](const std::string& name, dt::PdnsServer& pdns, v1::ServerMode mode) {
      v1::RegisterServerRequest req;
      req.mutable_server()->set_name(name);
      req.mutable_server()->set_api_url(pdns.api_url());
      req.mutable_server()->set_api_key(kKey);
      req.mutable_server()->set_dns_address(pdns.dns_address());
      req.mutable_server()->set_mode(mode);
      v1::Server resp;
      grpc::Status s = servers->RegisterServer(Ctx().get(), req, &resp);
      Row(absl::StrCat("pdns_server ", name, " (", v1::ServerMode_Name(mode), ")"),
          absl::StrCat("DNS ", pdns.dns_address(), ", API ", pdns.api_url(), ": ",
                       s.ok() ? absl::StrCat("registered, ", v1::ServerStatus_Name(resp.status()),
                                             " ", resp.version())
                              : StatusText(s)));
      return s.ok();
    };
    bool ok = reg("shared-a", *shared[0], v1::SERVER_MODE_SHARED_DB) &&
              reg("shared-b", *shared[1], v1::SERVER_MODE_SHARED_DB) &&
              reg(kApiServer, *api, v1::SERVER_MODE_API);
    if (!ok) return 1;
  }

  Results results;
  // 2. Latency.
  RunSequentialLatency(target, changes, results);
  RunConcurrentLatency(target, *api, writers, changes, results);

  // 3. Push throughput, then the baselines against the same server.
  RunPush(target, *postgres, *api, nzones, create_threads, results);
  if (absl::GetFlag(FLAGS_catchup_check)) {
    results.catchup_rate = RunCatchup(target, *postgres, *api, nzones, create_threads);
  }
  for (const std::string& w : absl::GetFlag(FLAGS_baseline_workers)) {
    int workers = 0;
    if (!absl::SimpleAtoi(w, &workers) || workers < 1) continue;
    double rate = RunBaseline(*api, workers, nzones);
    if (std::isnan(results.baseline_rate) || rate > results.baseline_rate) {
      results.baseline_rate = rate;
      results.baseline_workers = workers;
    }
  }
  if (absl::GetFlag(FLAGS_curl_zones) > 0) {
    results.curl_rate =
        RunCurl(*api, absl::GetFlag(FLAGS_curl_zones), std::max(1, absl::GetFlag(FLAGS_curl_parallel)));
  }

  Summary(results);
  if (!daemon->Running()) {
    Note(absl::StrCat("dnsd is no longer running; log tail:\n", daemon->LogTail()));
  }
  api.reset();
  dt::RemoveTempDir(sqlite_dir);
  return 0;
}
