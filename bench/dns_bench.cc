// dns_bench: end-to-end throughput and latency of dnsd against its targets,
// in one run, on one machine:
//
//   1. a private PostgreSQL 15 with fsync ON, database `dns`, dnsd on it and a
//      gpgsql pdns_server (caches off) on the same database;
//   2. pgbench (-N, 16 clients) on a separate database of the same server: the
//      commit rate this machine's PostgreSQL can do at all;
//   3. ChangeRRsets: 16 threads, one zone each, one REPLACE per call;
//      2 and 3 alternate for --rounds rounds and the summary takes medians:
//      the machine's speed drifts by ±10 % over a minute (it is a shared VM),
//      and a ratio of two phases minutes apart would measure the drift;
//   4. the same change through PowerDNS's own HTTP API (PATCH), 16 threads;
//   5. GetZone(ZONE_VIEW_FULL) of a zone with 1,000 RRsets;
//   6. ListZones over --zones zones (created through CreateZone, 16 threads),
//      every page of 500, and a name_prefix filter.
//
// It prints a table per step and a summary with PASS/FAIL against the
// targets. The exit code is 0 whenever the environment came up: the bench
// reports, it does not gate.
//
//   dns_bench [--seconds=10] [--rounds=3] [--zones=100000]
//   dns_bench --seconds=3 --zones=5000        # a quick pass
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <limits>
#include <numeric>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "tests/support/dnsd_process.h"
#include "tests/support/pdns_server.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

ABSL_FLAG(int, seconds, 10, "Duration of each timed load phase (pgbench, ChangeRRsets, PATCH).");
ABSL_FLAG(int, rounds, 3, "Alternating pgbench / ChangeRRsets rounds (medians in the summary).");
ABSL_FLAG(int, zones, 100000, "Zones created for the ListZones phase.");
ABSL_FLAG(int, threads, 16, "Client threads for ChangeRRsets, PATCH and zone creation.");
// Channel choice, tried both ways on this 2-core machine (16 threads, 5 s,
// fsync on, two runs each, client + dnsd + PostgreSQL on the same 2 cores):
//   one shared channel (one HTTP/2 connection, calls multiplexed):
//     2,634 and 2,908 commits/s, p99 14.3 / 11.8 ms
//   one channel per thread (own subchannel pool, 16 TCP connections):
//     2,475 and 1,768 commits/s, p99 22.6 / 30.4 ms
// The shared channel was faster both times (the machine was shared with other
// work, so the numbers are noisy; the likely reason is fewer connections and
// poller wake-ups in the client, leaving more of the two cores to dnsd and
// PostgreSQL -- not measured separately). So the default is one shared channel.
ABSL_FLAG(bool, shared_channel, true,
          "ChangeRRsets/CreateZone threads share one gRPC channel (false: one channel and "
          "connection per thread).");
ABSL_FLAG(int, getzone_calls, 200, "Sequential GetZone FULL calls timed.");
ABSL_FLAG(int, sustain_seconds, 0,
          "If > 0: ChangeRRsets on the same zones for this long (300 for the 5-minute check), "
          "rate and CPU per commit by minute; the last minute must keep >= 90% of the first.");
ABSL_FLAG(bool, sustain_only, false, "Run only the sustained phase.");
ABSL_FLAG(int, big_zone_rrsets, 1000, "A RRsets in big.test. for the GetZone phase.");
ABSL_FLAG(int, filtered_calls, 50, "Filtered ListZones calls timed.");
ABSL_FLAG(bool, sql_stats, false,
          "Load pg_stat_statements (track=all, so statements inside dnsd's PL/pgSQL functions "
          "show too) and print the top statements of database dns after each phase. Adds "
          "overhead: use it to see where time goes, not for the headline numbers.");

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = ::dns::v1;
namespace dt = ::dns::testing;

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

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
  size_t size() const { return ms.size(); }
};

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Joined(const std::vector<double>& v, const char* unit) {
  std::vector<std::string> parts;
  for (double x : v) parts.push_back(absl::StrFormat("%.1f%s", x, unit));
  return absl::StrJoin(parts, " / ");
}

void Section(const std::string& title) {
  std::printf("\n== %s ==\n", title.c_str());
  std::fflush(stdout);
}

void Row(const std::string& label, const std::string& value) {
  std::printf("  %-40s %s\n", label.c_str(), value.c_str());
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

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

// A channel with its own subchannel pool, so it gets its own TCP connection
// instead of sharing the process-wide subchannel for the same target.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return channel;
}

std::string StatusText(const grpc::Status& s) {
  return absl::StrCat("code ", static_cast<int>(s.error_code()), ": ", s.error_message());
}

// Keeps the first few distinct error texts of a phase.
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

std::string BenchZone(int i) { return absl::StrCat("bench-", i, ".test."); }

absl::Status CreateZone(v1::ZoneService::Stub& stub, const std::string& name) {
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(name);
  v1::Zone zone;
  grpc::Status s = stub.CreateZone(Ctx().get(), req, &zone);
  if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("CreateZone ", name, ": ", StatusText(s)));
}

// Runs `body(thread_index, deadline)` on n threads released together; returns
// the wall time from release to the last thread's end.
template <typename Body>
Clock::duration RunThreads(int n, Body body) {
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
  go.store(true);
  for (auto& t : threads) t.join();
  return Clock::now() - start;
}

struct Results {
  double pgbench_tps = kNaN;  // of the latest round, then the median
  double change_rate = kNaN;  // of the latest round, then the median
  double change_p99 = kNaN;   // over the calls of every round
  double change_ratio = kNaN;  // median of the per-round ratios, in %
  std::vector<double> pgbench_rounds, change_rounds;
  Samples change_all;
  double patch_rate = kNaN;
  double getzone_p50 = kNaN;
  double list_p50 = kNaN;
  double sustain_first = kNaN;  // commits/s in the first and last minute
  double sustain_last = kNaN;
};


// ------------------------------------------------------- CPU accounting
// CPU seconds used by each party, read from /proc: the bench itself, dnsd,
// PostgreSQL (postmaster and every backend) and pdns_server. For a process
// tree, utime+stime of the live processes plus cutime+cstime (children that
// have exited and were reaped, e.g. per-request PostgreSQL backends).
struct Cpu {
  double bench = 0, dnsd = 0, postgres = 0, pdns = 0;
  Cpu operator-(const Cpu& o) const {
    return {bench - o.bench, dnsd - o.dnsd, postgres - o.postgres, pdns - o.pdns};
  }
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
  // The bench's own threads plus its reaped children (pgbench, psql).
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
      out.pdns += tree(c);
    } else if (comm == "runuser" || comm == "postgres") {
      out.postgres += tree(c);
    }
  }
  return out;
}

double LoadAverage1() {
  std::ifstream in("/proc/loadavg");
  double v = kNaN;
  in >> v;
  return v;
}

// Prints the CPU each party used during a phase, per operation.
void PrintCpu(const Cpu& d, double wall_s, int64_t ops, const char* op) {
  const double cores = std::thread::hardware_concurrency();
  Row("CPU s: client / dnsd / postgres / pdns",
      absl::StrFormat("%.2f / %.2f / %.2f / %.2f  (%.0f%% of %.0f cores x %.1f s; load1 %.1f)",
                      d.bench, d.dnsd, d.postgres, d.pdns,
                      100.0 * (d.bench + d.dnsd + d.postgres + d.pdns) / (cores * wall_s), cores,
                      wall_s, LoadAverage1()));
  if (ops > 0) {
    Row(absl::StrCat("CPU us per ", op, ": client/dnsd/pg/pdns"),
        absl::StrFormat("%.0f / %.0f / %.0f / %.0f", 1e6 * d.bench / ops, 1e6 * d.dnsd / ops,
                        1e6 * d.postgres / ops, 1e6 * d.pdns / ops));
  }
}

// ---------------------------------------------------- pg_stat_statements
dt::PostgresServer* g_pg = nullptr;  // set when --sql_stats is on

void SqlStatsReset() {
  if (g_pg == nullptr) return;
  (void)g_pg->Psql("dns", "SELECT pg_stat_statements_reset()");
}

void SqlStatsPrint() {
  if (g_pg == nullptr) return;
  absl::StatusOr<std::string> out = g_pg->Psql(
      "dns",
      "SELECT s.calls, round(s.total_exec_time::numeric, 1), round(s.mean_exec_time::numeric, 3),"
      " s.toplevel, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110)"
      " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
      " WHERE d.datname = 'dns' AND s.query NOT LIKE '%pg_stat_statements%'"
      " ORDER BY s.total_exec_time DESC LIMIT 10");
  if (!out.ok()) {
    Note(absl::StrCat("pg_stat_statements: ", out.status().message()));
    return;
  }
  Note("pg_stat_statements (db dns): calls | total ms | mean ms | toplevel | query");
  for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
    std::printf("      %s\n", std::string(line).c_str());
  }
  // Where dead rows and index entries pile up (a hot zone's cost).
  out = g_pg->Psql(
      "dns",
      "SELECT relname, n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count,"
      " pg_size_pretty(pg_table_size(relid)), pg_size_pretty(pg_indexes_size(relid))"
      " FROM pg_stat_user_tables WHERE n_tup_upd + n_tup_del + n_tup_ins > 1000"
      " ORDER BY n_tup_upd + n_tup_del DESC LIMIT 8");
  if (out.ok()) {
    Note("tables: name | live | dead | updated | HOT updated | autovacuums | heap | indexes");
    for (absl::string_view line : absl::StrSplit(*out, '\n', absl::SkipEmpty())) {
      std::printf("      %s\n", std::string(line).c_str());
    }
  }
  std::fflush(stdout);
}

// ---------------------------------------------------------------- pgbench
std::string PgbenchConn(dt::PostgresServer& pg) {
  return absl::StrCat(" -h 127.0.0.1 -p ", pg.port(), " -U postgres pgbench");
}

bool InitPgbench(dt::PostgresServer& pg) {
  Section("pgbench -i (database pgbench, same server, fsync on)");
  if (absl::Status s = pg.CreateDatabase("pgbench"); !s.ok()) {
    Note(absl::StrCat("CREATE DATABASE pgbench failed: ", s.message()));
    return false;
  }
  Clock::time_point t0 = Clock::now();
  absl::StatusOr<std::string> init =
      dt::RunCommand(absl::StrCat("pgbench -i -s 16 -q", PgbenchConn(pg), " 2>&1"));
  if (!init.ok()) {
    Note(absl::StrCat("pgbench -i failed: ", init.status().message()));
    return false;
  }
  Row("pgbench -i -s 16", F(Ms(Clock::now() - t0) / 1000.0, " s"));
  return true;
}

void RunPgbench(dt::PostgresServer& pg, int seconds, int round, Results& r) {
  Section(absl::StrCat("pgbench, round ", round));
  const std::string conn = PgbenchConn(pg);
  const std::string cmd = absl::StrCat("pgbench -N -c 16 -j 2 -T ", seconds, conn, " 2>&1");
  Cpu c0 = TakeCpu();
  Clock::time_point w0 = Clock::now();
  absl::StatusOr<std::string> out = dt::RunCommand(cmd);
  Cpu dc = TakeCpu() - c0;
  double wall_s = Ms(Clock::now() - w0) / 1000.0;
  if (!out.ok()) {
    Note(absl::StrCat("pgbench failed: ", out.status().message()));
    return;
  }
  size_t pos = out->find("tps = ");
  if (pos == std::string::npos) {
    Note(absl::StrCat("no \"tps = \" in pgbench output:\n", *out));
    return;
  }
  r.pgbench_tps = std::strtod(out->c_str() + pos + 6, nullptr);
  r.pgbench_rounds.push_back(r.pgbench_tps);
  size_t lat = out->find("latency average = ");
  Row(absl::StrCat("pgbench -N -c 16 -j 2 -T ", seconds), F(r.pgbench_tps, " tps"));
  if (lat != std::string::npos) {
    size_t end = out->find('\n', lat);
    Row("pgbench latency average", out->substr(lat + 18, end - lat - 18));
  }
  PrintCpu(dc, wall_s, static_cast<int64_t>(r.pgbench_tps * seconds), "txn");
}

// ------------------------------------------------------------ ChangeRRsets
void RunChangeRRsets(const std::string& target, int threads, int seconds, bool shared, int round,
                     Results& r) {
  Section(absl::StrCat("ChangeRRsets, round ", round, ": ", threads,
                       " threads, own zone each, 1 REPLACE per call, ",
                       seconds, " s, ", shared ? "one shared channel" : "one channel per thread"));
  std::shared_ptr<grpc::Channel> shared_channel = shared ? NewChannel(target) : nullptr;
  std::vector<Samples> per_thread(threads);
  // Latencies bucketed by the second (since the phase start) they ended in.
  std::vector<std::vector<Samples>> by_second(threads, std::vector<Samples>(seconds + 1));
  ErrorLog errors;
  std::atomic<int64_t> ok{0};
  const auto run_for = std::chrono::seconds(seconds);
  SqlStatsReset();
  Cpu c0 = TakeCpu();
  const Clock::time_point phase_start = Clock::now();
  Clock::duration wall = RunThreads(threads, [&](int i) {
    auto channel = shared ? shared_channel : NewChannel(target);
    auto stub = v1::RecordService::NewStub(channel);
    v1::ChangeRRsetsRequest req;
    req.set_zone(BenchZone(i));
    v1::RRsetChange* change = req.add_changes();
    change->set_changetype(v1::CHANGE_TYPE_REPLACE);
    change->mutable_rrset()->set_name("www");
    change->mutable_rrset()->set_type("A");
    change->mutable_rrset()->set_ttl(300);
    v1::Record* rec = change->mutable_rrset()->add_records();
    Samples& samples = per_thread[i];
    samples.ms.reserve(1 << 16);
    Clock::time_point end = Clock::now() + run_for;
    for (int64_t n = 0; Clock::now() < end; ++n) {
      rec->set_content(absl::StrCat("192.0.2.", n % 254 + 1));
      v1::ChangeRRsetsResponse resp;
      Clock::time_point t0 = Clock::now();
      grpc::Status s = stub->ChangeRRsets(Ctx().get(), req, &resp);
      double ms = Ms(Clock::now() - t0);
      if (s.ok()) {
        samples.Add(ms);
        ok.fetch_add(1);
        size_t second = static_cast<size_t>(Ms(Clock::now() - phase_start) / 1000.0);
        by_second[i][std::min<size_t>(second, seconds)].Add(ms);
      } else {
        errors.Add(StatusText(s));
      }
    }
  });
  Cpu dc = TakeCpu() - c0;
  Samples all;
  for (auto& s : per_thread) all.Merge(s);
  double secs = Ms(wall) / 1000.0;
  r.change_rate = ok.load() / secs;
  r.change_rounds.push_back(r.change_rate);
  r.change_all.Merge(all);
  std::string per_second;
  for (int sec = 0; sec <= seconds; ++sec) {
    Samples bucket;
    for (int t = 0; t < threads; ++t) bucket.Merge(by_second[t][sec]);
    if (bucket.size() == 0) continue;
    absl::StrAppend(&per_second, per_second.empty() ? "" : " ", F(bucket.Pct(99), "", 0), "/",
                    F(bucket.Max(), "", 0));
  }
  Row("commits (ok calls)", absl::StrCat(ok.load(), " in ", F(secs, " s", 2)));
  Row("failed calls", absl::StrCat(errors.count()));
  errors.Print();
  Row("commits/s", F(r.change_rate));
  Row("latency p50 / p90 / p99 / max",
      absl::StrCat(F(all.Pct(50), " ms", 2), " / ", F(all.Pct(90), " ms", 2), " / ",
                   F(all.Pct(99), " ms", 2), " / ", F(all.Max(), " ms", 2)));
  Row("ratio to this round's pgbench tps",
      std::isnan(r.pgbench_tps) ? "n/a" : F(100.0 * r.change_rate / r.pgbench_tps, " %"));
  Row("p99/max ms by second", per_second);
  PrintCpu(dc, secs, ok.load(), "commit");
  SqlStatsPrint();
}

// ------------------------------------------------- sustained ChangeRRsets
// The same zones written for minutes: the rate must not decay as dead rows
// and index entries of the replaced records pile up.
void RunSustained(const std::string& target, int threads, int seconds, Results& r) {
  const int window = std::min(60, seconds);
  Section(absl::StrCat("Sustained ChangeRRsets: ", threads, " threads on the same ", threads,
                       " zones, ", seconds, " s, by ", window, " s window"));
  std::shared_ptr<grpc::Channel> channel = NewChannel(target);
  std::atomic<int64_t> ok{0};
  std::atomic<bool> stop{false};
  ErrorLog errors;
  struct Window {
    int64_t commits;
    Cpu cpu;
    double seconds;
  };
  std::vector<Window> windows;
  SqlStatsReset();
  std::thread monitor([&] {
    int64_t last_ok = 0;
    Cpu last_cpu = TakeCpu();
    Clock::time_point last = Clock::now();
    const Clock::time_point end = last + std::chrono::seconds(seconds);
    while (Clock::now() < end) {
      std::this_thread::sleep_until(std::min(end, last + std::chrono::seconds(window)));
      const int64_t now_ok = ok.load();
      const Cpu now_cpu = TakeCpu();
      const Clock::time_point now = Clock::now();
      windows.push_back({now_ok - last_ok, now_cpu - last_cpu, Ms(now - last) / 1000.0});
      last_ok = now_ok;
      last_cpu = now_cpu;
      last = now;
    }
    stop.store(true);
  });
  RunThreads(threads, [&](int i) {
    auto stub = v1::RecordService::NewStub(channel);
    v1::ChangeRRsetsRequest req;
    req.set_zone(BenchZone(i));
    v1::RRsetChange* change = req.add_changes();
    change->set_changetype(v1::CHANGE_TYPE_REPLACE);
    change->mutable_rrset()->set_name("www");
    change->mutable_rrset()->set_type("A");
    change->mutable_rrset()->set_ttl(300);
    v1::Record* rec = change->mutable_rrset()->add_records();
    for (int64_t n = 0; !stop.load(); ++n) {
      rec->set_content(absl::StrCat("192.0.2.", n % 254 + 1));
      v1::ChangeRRsetsResponse resp;
      grpc::Status s = stub->ChangeRRsets(Ctx().get(), req, &resp);
      if (s.ok()) {
        ok.fetch_add(1);
      } else {
        errors.Add(StatusText(s));
      }
    }
  });
  monitor.join();
  Row("failed calls", absl::StrCat(errors.count()));
  errors.Print();
  for (size_t w = 0; w < windows.size(); ++w) {
    const Window& x = windows[w];
    const double rate = x.commits / x.seconds;
    Row(absl::StrFormat("window %zu (%.0f s)", w + 1, x.seconds),
        absl::StrFormat("%.0f commits/s; CPU us per commit: dnsd %.0f, postgres %.0f",
                        rate, 1e6 * x.cpu.dnsd / std::max<int64_t>(1, x.commits),
                        1e6 * x.cpu.postgres / std::max<int64_t>(1, x.commits)));
  }
  if (windows.size() >= 2) {
    r.sustain_first = windows.front().commits / windows.front().seconds;
    r.sustain_last = windows.back().commits / windows.back().seconds;
    Row("last window / first window", F(100.0 * r.sustain_last / r.sustain_first, " %"));
  }
  SqlStatsPrint();
}

// --------------------------------------------------------- PowerDNS PATCH
void RunPatch(dt::PdnsServer& pdns, v1::RecordService::Stub& records, int threads, int seconds,
              Results& r) {
  Section(absl::StrCat("PowerDNS API PATCH (gpgsql, same database): ", threads,
                       " threads, own zone each, ", seconds, " s"));
  const httplib::Headers headers = {{"X-API-Key", pdns.api_key()},
                                    {"Accept", "application/json"}};
  auto path = [](int i) {
    return absl::StrCat("/api/v1/servers/localhost/zones/", BenchZone(i));
  };
  auto body = [](int i) {
    return absl::StrCat(R"({"rrsets":[{"name":"www.)", BenchZone(i),
                        R"(","type":"A","ttl":300,"changetype":"REPLACE",)",
                        R"("records":[{"content":"192.0.2.7","disabled":false}]}]})");
  };
  {
    // One call first, so a setup problem shows as such and not as 16×N failures.
    httplib::Client cli("127.0.0.1", pdns.api_port());
    auto res = cli.Patch(path(0), headers, body(0), "application/json");
    if (!res || res->status != 204) {
      Note(absl::StrCat("first PATCH failed: ",
                        res ? absl::StrCat("HTTP ", res->status, " ", res->body)
                            : httplib::to_string(res.error())));
      return;
    }
  }
  std::vector<Samples> per_thread(threads);
  ErrorLog errors;
  std::atomic<int64_t> ok{0};
  const auto run_for = std::chrono::seconds(seconds);
  SqlStatsReset();
  Cpu c0 = TakeCpu();
  Clock::duration wall = RunThreads(threads, [&](int i) {
    httplib::Client cli("127.0.0.1", pdns.api_port());
    cli.set_connection_timeout(5);
    cli.set_read_timeout(30);
    const std::string p = path(i);
    const std::string b = body(i);
    Samples& samples = per_thread[i];
    Clock::time_point end = Clock::now() + run_for;
    while (Clock::now() < end) {
      Clock::time_point t0 = Clock::now();
      auto res = cli.Patch(p, headers, b, "application/json");
      double ms = Ms(Clock::now() - t0);
      if (res && res->status == 204) {
        samples.Add(ms);
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
  double secs = Ms(wall) / 1000.0;
  r.patch_rate = ok.load() / secs;
  Row("ok calls (HTTP 204)", absl::StrCat(ok.load(), " in ", F(secs, " s", 2)));
  Row("failures", absl::StrCat(errors.count()));
  errors.Print();
  Row("calls/s", F(r.patch_rate));
  Row("latency p50 / p99", absl::StrCat(F(all.Pct(50), " ms", 2), " / ", F(all.Pct(99), " ms", 2)));
  Row("ratio ChangeRRsets / PATCH", F(r.change_rate / r.patch_rate, "x"));
  PrintCpu(dc, secs, ok.load(), "PATCH");
  SqlStatsPrint();

  // The PATCH really landed in the shared tables: dnsd reads it back.
  v1::GetRRsetRequest get;
  get.set_zone(BenchZone(0));
  get.set_name("www");
  get.set_type("A");
  v1::RRset rrset;
  grpc::Status s = records.GetRRset(Ctx().get(), get, &rrset);
  Row("dnsd GetRRset www.bench-0 after PATCH",
      s.ok() ? absl::StrCat(rrset.records_size(), " record(s), first ",
                            rrset.records_size() > 0 ? rrset.records(0).content() : "-")
             : StatusText(s));
}

// ---------------------------------------------------------------- GetZone
void RunGetZone(std::shared_ptr<grpc::Channel> channel, int rrsets, int calls, Results& r) {
  Section(absl::StrCat("GetZone ZONE_VIEW_FULL of big.test. (", rrsets, " A RRsets + SOA + NS), ",
                       calls, " sequential calls"));
  auto zones = v1::ZoneService::NewStub(channel);
  auto records = v1::RecordService::NewStub(channel);
  if (absl::Status s = CreateZone(*zones, "big.test."); !s.ok()) {
    Note(std::string(s.message()));
    return;
  }
  Clock::time_point t0 = Clock::now();
  for (int base = 0; base < rrsets; base += 500) {
    v1::ChangeRRsetsRequest req;
    req.set_zone("big.test.");
    for (int i = base; i < std::min(rrsets, base + 500); ++i) {
      auto* c = req.add_changes();
      c->set_changetype(v1::CHANGE_TYPE_REPLACE);
      c->mutable_rrset()->set_name(absl::StrFormat("h%04d", i));
      c->mutable_rrset()->set_type("A");
      c->mutable_rrset()->set_ttl(300);
      c->mutable_rrset()->add_records()->set_content(absl::StrCat("192.0.2.", i % 254 + 1));
    }
    v1::ChangeRRsetsResponse resp;
    grpc::Status s = records->ChangeRRsets(Ctx(60).get(), req, &resp);
    if (!s.ok()) {
      Note(absl::StrCat("ChangeRRsets batch at ", base, ": ", StatusText(s)));
      return;
    }
  }
  Row(absl::StrCat("adding ", rrsets, " RRsets (batches of 500)"), F(Ms(Clock::now() - t0), " ms"));

  v1::GetZoneRequest req;
  req.set_zone("big.test.");
  req.set_view(v1::ZONE_VIEW_FULL);
  const int want = rrsets + 2;
  int bad = 0;
  int got = -1;
  Samples samples;
  Cpu c0;
  Clock::time_point w0;
  for (int i = 0; i <= calls; ++i) {
    if (i == 1) {
      SqlStatsReset();
      c0 = TakeCpu();
      w0 = Clock::now();
    }  // call 0 is a warm-up, not timed
    v1::Zone zone;
    Clock::time_point c0 = Clock::now();
    grpc::Status s = zones->GetZone(Ctx().get(), req, &zone);
    double ms = Ms(Clock::now() - c0);
    if (!s.ok()) {
      Note(absl::StrCat("GetZone: ", StatusText(s)));
      ++bad;
      continue;
    }
    if (zone.rrsets_size() != want) ++bad;
    got = zone.rrsets_size();
    if (i > 0) samples.Add(ms);
  }
  Cpu dc = TakeCpu() - c0;
  double wall_s = Ms(Clock::now() - w0) / 1000.0;
  r.getzone_p50 = samples.Pct(50);
  Row("RRsets in response", absl::StrCat(got, " (want ", want, ")", got == want ? " OK" : " MISMATCH"));
  Row("calls failed or wrong size", absl::StrCat(bad));
  Row("latency p50 / p99 / max", absl::StrCat(F(samples.Pct(50), " ms", 2), " / ",
                                              F(samples.Pct(99), " ms", 2), " / ",
                                              F(samples.Max(), " ms", 2)));
  PrintCpu(dc, wall_s, static_cast<int64_t>(samples.size()), "GetZone");
  SqlStatsPrint();
}

// -------------------------------------------------------------- ListZones
std::string ListZoneName(int i) { return absl::StrFormat("z%06d.list.test.", i); }

void RunListZones(const std::string& target, int n, int threads, bool shared, Results& r) {
  Section(absl::StrCat("ListZones over ", n, " zones (z000000.list.test. ...)"));
  // Creation through the API, `threads` at a time.
  std::shared_ptr<grpc::Channel> shared_channel = shared ? NewChannel(target) : nullptr;
  std::atomic<int> next{0};
  std::atomic<int64_t> created{0};
  ErrorLog errors;
  std::vector<Samples> per_thread(threads);
  SqlStatsReset();
  Cpu c0 = TakeCpu();
  Clock::duration wall = RunThreads(threads, [&](int t) {
    auto stub = v1::ZoneService::NewStub(shared ? shared_channel : NewChannel(target));
    for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      Clock::time_point t0 = Clock::now();
      absl::Status s = CreateZone(*stub, ListZoneName(i));
      if (s.ok()) {
        per_thread[t].Add(Ms(Clock::now() - t0));
        int64_t c = created.fetch_add(1) + 1;
        if (c % 20000 == 0) {
          std::fprintf(stderr, "  ... %lld zones created\n", static_cast<long long>(c));
        }
      } else {
        errors.Add(std::string(s.message()));
      }
    }
  });
  Cpu create_cpu = TakeCpu() - c0;
  Samples create_lat;
  for (auto& s : per_thread) create_lat.Merge(s);
  double secs = Ms(wall) / 1000.0;
  double rate = created.load() / secs;
  Row(absl::StrCat("CreateZone (", threads, " threads)"),
      absl::StrCat(created.load(), " zones in ", F(secs, " s", 1), " = ", F(rate, " zones/s")));
  Row("CreateZone latency p50 / p99", absl::StrCat(F(create_lat.Pct(50), " ms", 2), " / ",
                                                   F(create_lat.Pct(99), " ms", 2)));
  Row("CreateZone failures", absl::StrCat(errors.count()));
  errors.Print();
  PrintCpu(create_cpu, secs, created.load(), "CreateZone");
  SqlStatsPrint();
  if (rate < 1500.0 * 0.67) {
    Note(absl::StrCat("zone creation is much slower than 1,500/s (", F(rate), "/s)"));
  }

  // Walk every page, one call at a time.
  auto stub = v1::ZoneService::NewStub(NewChannel(target));
  Samples pages;
  int64_t seen = 0;
  int64_t list_zones_seen = 0;
  std::string token;
  std::string last_name;
  bool ordered = true;
  SqlStatsReset();
  Cpu w_c0 = TakeCpu();
  Clock::time_point w0 = Clock::now();
  do {
    v1::ListZonesRequest req;
    req.set_page_size(500);
    req.set_page_token(token);
    v1::ListZonesResponse resp;
    Clock::time_point t0 = Clock::now();
    grpc::Status s = stub->ListZones(Ctx().get(), req, &resp);
    double ms = Ms(Clock::now() - t0);
    if (!s.ok()) {
      Note(absl::StrCat("ListZones page ", pages.size() + 1, ": ", StatusText(s)));
      break;
    }
    pages.Add(ms);
    for (const auto& z : resp.zones()) {
      if (!last_name.empty() && z.name() <= last_name) ordered = false;
      last_name = z.name();
      if (z.name().size() > 11 && z.name().compare(z.name().size() - 11, 11, ".list.test.") == 0) {
        ++list_zones_seen;
      }
    }
    seen += resp.zones_size();
    token = resp.next_page_token();
  } while (!token.empty());
  Cpu walk_cpu = TakeCpu() - w_c0;
  double walk_s = Ms(Clock::now() - w0) / 1000.0;
  r.list_p50 = pages.Pct(50);
  Row("pages of 500 walked", absl::StrCat(pages.size(), " pages, ", seen, " zones (",
                                          list_zones_seen, " *.list.test.)",
                                          ordered ? ", in name order" : ", NOT IN ORDER"));
  Row("per page p50 / p99 / max", absl::StrCat(F(pages.Pct(50), " ms", 2), " / ",
                                               F(pages.Pct(99), " ms", 2), " / ",
                                               F(pages.Max(), " ms", 2)));
  Row("whole walk", F(std::accumulate(pages.ms.begin(), pages.ms.end(), 0.0), " ms"));
  PrintCpu(walk_cpu, walk_s, static_cast<int64_t>(pages.size()), "page");
  SqlStatsPrint();

  // A prefix that exists: the first four characters of the middle zone
  // ("z050" for 100,000 zones: z050000..z050999).
  const std::string prefix = ListZoneName(n / 2).substr(0, 4);
  Samples filtered;
  int returned = -1;
  for (int i = 0; i < absl::GetFlag(FLAGS_filtered_calls); ++i) {
    v1::ListZonesRequest req;
    req.set_page_size(500);
    req.set_name_prefix(prefix);
    v1::ListZonesResponse resp;
    Clock::time_point t0 = Clock::now();
    grpc::Status s = stub->ListZones(Ctx().get(), req, &resp);
    double ms = Ms(Clock::now() - t0);
    if (!s.ok()) {
      Note(absl::StrCat("ListZones name_prefix=", prefix, ": ", StatusText(s)));
      break;
    }
    filtered.Add(ms);
    returned = resp.zones_size();
    for (const auto& z : resp.zones()) {
      if (z.name().compare(0, prefix.size(), prefix) != 0) {
        Note(absl::StrCat("name_prefix=", prefix, " returned ", z.name()));
        break;
      }
    }
  }
  Row(absl::StrCat("name_prefix=\"", prefix, "\" page_size 500 (x", filtered.size(), ")"),
      absl::StrCat("p50 ", F(filtered.Pct(50), " ms", 2), ", p99 ", F(filtered.Pct(99), " ms", 2),
                   ", ", returned, " zones returned"));
}

// ---------------------------------------------------------------- summary
void Summary(const Results& r) {
  Section("Summary (targets)");
  auto line = [](const std::string& what, const std::string& value, const std::string& target,
                 bool pass) {
    std::printf("  %-36s %14s   %-12s %s\n", what.c_str(), value.c_str(), target.c_str(),
                pass ? "PASS" : "FAIL");
  };
  auto ge = [](double v, double t) { return !std::isnan(v) && v >= t; };
  auto le = [](double v, double t) { return !std::isnan(v) && v <= t; };
  double pct = r.change_ratio;
  double ratio = r.change_rate / r.patch_rate;
  line("ChangeRRsets commits/s (median)", F(r.change_rate), ">= 2000", ge(r.change_rate, 2000));
  line("ChangeRRsets / pgbench tps (median)", F(pct, " %"), ">= 50 %", ge(pct, 50));
  line("ChangeRRsets p99", F(r.change_p99, " ms", 2), "<= 20 ms", le(r.change_p99, 20));
  line("ChangeRRsets / PowerDNS PATCH", F(ratio, "x"), ">= 10x", ge(ratio, 10));
  line("GetZone FULL (1000 RRsets) p50", F(r.getzone_p50, " ms", 2), "<= 5 ms",
       le(r.getzone_p50, 5));
  line("ListZones page of 500 p50", F(r.list_p50, " ms", 2), "<= 20 ms", le(r.list_p50, 20));
  if (!std::isnan(r.sustain_first)) {
    const double kept = 100.0 * r.sustain_last / r.sustain_first;
    line("sustained: last / first window", F(kept, " %"), ">= 90 %", ge(kept, 90));
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Debian's abseil is built without NDEBUG, so absl::Mutex (which gRPC 1.51
  // uses for its own locks) runs deadlock detection on every lock: a global
  // lock-order graph (GraphCycles) updated under a global lock. It showed in
  // the bench client's profile; the client should spend its CPU on calls,
  // not on bookkeeping, since it shares two cores with dnsd and PostgreSQL.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int seconds = std::max(1, absl::GetFlag(FLAGS_seconds));
  const int nzones = std::max(1, absl::GetFlag(FLAGS_zones));
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const bool shared = absl::GetFlag(FLAGS_shared_channel);
  std::printf("dns_bench: --seconds=%d --zones=%d --threads=%d --shared_channel=%s (%u cpus)\n",
              seconds, nzones, threads, shared ? "true" : "false",
              std::thread::hardware_concurrency());

  // 1. Environment. Declared in start order so they stop in reverse.
  Section("Environment");
  auto pg = dt::PostgresServer::Start(dt::PostgresServer::Options{.fsync = true, .max_connections = 300});
  if (!pg.ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", std::string(pg.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::PostgresServer> postgres = *std::move(pg);
  if (absl::Status s = postgres->CreateDatabase("dns"); !s.ok()) {
    std::fprintf(stderr, "CREATE DATABASE dns: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto version = postgres->Psql("postgres", "SHOW server_version; SHOW fsync; SHOW synchronous_commit;");
  Row("PostgreSQL", absl::StrCat("127.0.0.1:", postgres->port(), " (version, fsync, sync_commit: ",
                                 version.ok() ? absl::StrJoin(absl::StrSplit(absl::StripAsciiWhitespace(*version), '\n'), ", ")
                                              : "?",
                                 ")"));
  if (absl::GetFlag(FLAGS_sql_stats)) {
    // ALTER SYSTEM cannot share a transaction: one psql call each.
    absl::Status s = postgres->Psql("postgres",
                                    "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
                         .status();
    if (s.ok()) s = postgres->Restart();
    // The module's settings exist only once it is loaded.
    if (s.ok()) s = postgres->Psql("postgres", "ALTER SYSTEM SET pg_stat_statements.track = 'all'").status();
    if (s.ok()) s = postgres->Psql("postgres", "SELECT pg_reload_conf()").status();
    if (s.ok()) s = postgres->Psql("dns", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").status();
    if (s.ok()) {
      g_pg = postgres.get();
      Row("pg_stat_statements", "on (track=all)");
    } else {
      Note(absl::StrCat("--sql_stats: ", s.message()));
    }
  }
  auto dnsd = dt::DnsdProcess::Start(
      DNSD_PATH, postgres->Url("dns"),
      {"--db_pool_size=32", "--default_nameservers=ns1.bench.test.,ns2.bench.test.",
       "--log_level=warn"});
  if (!dnsd.ok()) {
    std::fprintf(stderr, "dnsd: %s\n", std::string(dnsd.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::DnsdProcess> daemon = *std::move(dnsd);
  Row("dnsd", absl::StrCat(daemon->target(), " (log ", daemon->log_path(), ")"));
  dt::PdnsServer::Options pdns_options;
  pdns_options.backend = dt::PdnsServer::Options::Backend::kGpgsql;
  pdns_options.pg_port = postgres->port();
  pdns_options.pg_dbname = "dns";
  pdns_options.api_key = "bench-key";
  auto pdns_or = dt::PdnsServer::Start(pdns_options);
  if (!pdns_or.ok()) {
    std::fprintf(stderr, "pdns_server: %s\n", std::string(pdns_or.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::PdnsServer> pdns = *std::move(pdns_or);
  Row("pdns_server (gpgsql)", absl::StrCat("DNS ", pdns->dns_address(), ", API ", pdns->api_url()));

  Results results;
  const std::string target = daemon->target();
  std::shared_ptr<grpc::Channel> control = NewChannel(target);
  auto zone_stub = v1::ZoneService::NewStub(control);
  auto record_stub = v1::RecordService::NewStub(control);

  // 2 and 3. pgbench and ChangeRRsets on threads zones, alternating.
  bool zones_ok = true;
  for (int i = 0; i < threads; ++i) {
    if (absl::Status s = CreateZone(*zone_stub, BenchZone(i)); !s.ok()) {
      Note(std::string(s.message()));
      zones_ok = false;
    }
  }
  if (absl::GetFlag(FLAGS_sustain_only)) {
    if (zones_ok) RunSustained(target, threads, absl::GetFlag(FLAGS_sustain_seconds), results);
    Summary(results);
    return 0;
  }
  const bool pgbench_ok = InitPgbench(*postgres);
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  std::vector<double> ratios;
  for (int round = 1; round <= rounds; ++round) {
    results.pgbench_tps = kNaN;
    if (pgbench_ok) RunPgbench(*postgres, seconds, round, results);
    if (!zones_ok) break;
    RunChangeRRsets(target, threads, seconds, shared, round, results);
    if (!std::isnan(results.pgbench_tps)) {
      ratios.push_back(100.0 * results.change_rate / results.pgbench_tps);
    }
  }
  if (zones_ok) {
    results.pgbench_tps = Median(results.pgbench_rounds);
    results.change_rate = Median(results.change_rounds);
    results.change_ratio = Median(ratios);
    results.change_p99 = results.change_all.Pct(99);
    Section(absl::StrCat("pgbench and ChangeRRsets over ", rounds, " rounds"));
    Row("pgbench tps by round", Joined(results.pgbench_rounds, ""));
    Row("ChangeRRsets commits/s by round", Joined(results.change_rounds, ""));
    Row("ratio by round", Joined(ratios, " %"));
    Row("medians: pgbench / ChangeRRsets / ratio",
        absl::StrCat(F(results.pgbench_tps, " tps"), " / ", F(results.change_rate, " /s"), " / ",
                     F(results.change_ratio, " %")));
    Row("ChangeRRsets p99, all rounds", F(results.change_p99, " ms", 2));
    // 4. PowerDNS PATCH of the same zones.
    RunPatch(*pdns, *record_stub, threads, seconds, results);
  }

  if (zones_ok && absl::GetFlag(FLAGS_sustain_seconds) > 0) {
    RunSustained(target, threads, absl::GetFlag(FLAGS_sustain_seconds), results);
  }

  // 5. GetZone of a 1,000-RRset zone.
  RunGetZone(control, absl::GetFlag(FLAGS_big_zone_rrsets), absl::GetFlag(FLAGS_getzone_calls),
             results);

  // 6. ListZones.
  RunListZones(target, nzones, threads, shared, results);

  Summary(results);
  if (!daemon->Running()) {
    Note(absl::StrCat("dnsd is no longer running; log tail:\n", daemon->LogTail()));
  }
  return 0;
}
