// What dns_bench and propagation_bench share: samples and their
// percentiles, the printed table, gRPC call helpers, threads released
// together, the CPU each party used (from /proc), pg_stat_statements, and
// the environment a benchmark runs against: a private PostgreSQL, dnsd and
// the local stack's fleet (two SHARED_DB pdns_servers on dnsd's database and
// one API pdns_server on gsqlite3), registered through ServerService.
#ifndef DNS_BENCH_HARNESS_H_
#define DNS_BENCH_HARNESS_H_

#include <google/protobuf/duration.pb.h>
#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "dns/v1/record_service.pb.h"
#include "tests/support/dnsd_process.h"
#include "tests/support/pdns_server.h"
#include "tests/support/postgres_server.h"

namespace dns::bench {

using Clock = std::chrono::steady_clock;
namespace dt = ::dns::testing;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Ms(Clock::duration d);
// Seconds since the Unix epoch: the clock PostgreSQL's now() reads.
double EpochNow();

// ------------------------------------------------------------ statistics
// Latency samples in milliseconds.
struct Samples {
  std::vector<double> ms;
  void Add(double v) { ms.push_back(v); }
  void Merge(const Samples& other) { ms.insert(ms.end(), other.ms.begin(), other.ms.end()); }
  // Nearest-rank percentile; NaN when empty.
  double Pct(double p);
  double Max() const;
  double Sum() const;
  size_t size() const { return ms.size(); }
};

double Median(std::vector<double> v);
// "1.0 / 2.0 / 3.0<unit>" for rounds side by side.
std::string Joined(const std::vector<double>& v, const char* unit);
std::string P50_90_99_Max(Samples& s);

// ----------------------------------------------------------------- table
void Section(const std::string& title);
void Row(const std::string& label, const std::string& value);
void Note(const std::string& text);
// Each line of `text` indented under the last row.
void Indented(const std::string& text);
// `v` with `prec` decimals and `unit`; "n/a" for NaN.
std::string F(double v, const char* unit = "", int prec = 1);
// One line of a summary: what, the figure, the target and the verdict.
void SummaryLine(const std::string& what, const std::string& value, const std::string& target,
                 const char* verdict);
// "PASS" when `v` is at least (or at most) `target`, "n/a" for NaN.
const char* Verdict(double v, double target, bool at_least);

// ------------------------------------------------------------------ gRPC
std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30);
// A channel with its own subchannel pool, so it gets its own TCP connection
// instead of sharing the process-wide subchannel for the same target.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target);
std::string StatusText(const grpc::Status& s);
google::protobuf::Duration ProtoSeconds(int seconds);
// The change every benchmark times: REPLACE www.<zone> A with `ip` (TTL
// 300); the record is the first of the only change's RRset.
v1::ChangeRRsetsRequest ReplaceWwwA(const std::string& zone, const std::string& ip);

// Keeps the first few error texts of a phase and counts them all.
class ErrorLog {
 public:
  void Add(const std::string& text);
  int64_t count();
  void Print();

 private:
  std::mutex mu_;
  int64_t count_ = 0;
  std::vector<std::string> first_;
};

// Runs `body(thread_index)` on n threads released together; *start_out is
// the release time; returns the wall time from release to the last end.
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
  const Clock::time_point start = Clock::now();
  if (start_out != nullptr) *start_out = start;
  go.store(true);
  for (auto& t : threads) t.join();
  return Clock::now() - start;
}

// ------------------------------------------------------------------- CPU
// CPU seconds of each party, from /proc (utime+stime+cutime+cstime of each
// child process tree of the bench, so reaped PostgreSQL backends count):
// the bench itself (with psql, pgbench, curl), dnsd, PostgreSQL, the
// SHARED_DB pdns_servers and the API pdns_server; and the whole machine's
// busy and iowait time, so the load of others sharing it shows.
struct Cpu {
  double bench = 0, dnsd = 0, postgres = 0, pdns_shared = 0, pdns_api = 0;
  double machine_busy = 0, machine_iowait = 0;
  Cpu operator-(const Cpu& o) const;
  double total() const { return bench + dnsd + postgres + pdns_shared + pdns_api; }
};

// A pdns_server whose command line holds `config_dir` counts as the API
// server; every other pdns_server as SHARED_DB.
void SetApiServerConfigDir(std::string config_dir);
Cpu TakeCpu();
// The CPU each party used during a phase of `wall_s`, and per operation.
void PrintCpu(const Cpu& d, double wall_s, int64_t ops, const char* op);

// A process's thread count and resident memory, from /proc/PID/status.
struct ProcStatus {
  int threads = 0;
  double rss_mib = 0;
  double hwm_mib = 0;  // peak resident
};
ProcStatus ReadProcStatus(pid_t pid);

// Sends `signal` ("STOP", "CONT", ...) to a pdns_server (found by its
// config directory: the test harness keeps no pid for it).
absl::Status SignalServer(dt::PdnsServer& pdns, const std::string& signal);

// A /metrics scrape from 127.0.0.1:`port` as (series, value) pairs; empty
// when it fails.
std::vector<std::pair<std::string, double>> ScrapeMetrics(int port);
// The sum of every series of metric `name`.
double SumOf(const std::vector<std::pair<std::string, double>>& metrics, const std::string& name);

// dnsd's own account of a phase, from the log bytes written during it
// (text format): pdns_call lines (info) give each PowerDNS call's duration
// and outcome, propagation lines (debug) each task's. "busy" is the sum of
// durations over the phase's wall time: the average number in flight.
size_t DnsdLogSize(const dt::DnsdProcess& dnsd);
void SummariseDnsdLog(const dt::DnsdProcess& dnsd, size_t from, size_t to, double wall_s);

// ---------------------------------------------------- pg_stat_statements
// Loads pg_stat_statements (track=all, so statements inside PL/pgSQL
// functions show too) into `pg` (restarts it) for database `db`.
absl::Status EnableSqlStats(dt::PostgresServer& pg, const std::string& db);
// No-ops unless EnableSqlStats succeeded.
void SqlStatsReset();
// Top statements, and the tables where dead rows and index entries pile up.
void SqlStatsPrint();

// ----------------------------------------------------------- environment
inline constexpr char kApiKey[] = "bench-key";
inline constexpr char kApiServer[] = "api-1";
inline constexpr char kNameservers[] = "ns1.bench.test.,ns2.bench.test.";

// PostgreSQL 15 with fsync on and database `dns`; prints its row.
absl::StatusOr<std::unique_ptr<dt::PostgresServer>> StartPostgres(bool sql_stats);

// dnsd on `pg`'s database `db` with the flags a user would run (default log
// level and pool sizes) plus `extra_flags`; prints its row.
absl::StatusOr<std::unique_ptr<dt::DnsdProcess>> StartDnsd(
    dt::PostgresServer& pg, const std::string& db, const std::vector<std::string>& extra_flags,
    const std::string& label = "dnsd");

// PowerDNS's production cache settings (its defaults), for SHARED_DB
// servers: the packet and query caches on, the zone cache refreshed every
// 300 s. The test harness turns every cache off by default.
std::vector<std::string> ProductionCacheConfig();
// Rewrites `pdns`'s config with its caches on or off and restarts it.
absl::Status SetCaches(dt::PdnsServer& pdns, bool on);

// The local stack's fleet: "shared-a" and "shared-b" (gpgsql on `db`, which
// must hold the schema: start dnsd on it first) and "api-1" (gsqlite3).
struct PdnsFleet {
  std::vector<std::unique_ptr<dt::PdnsServer>> shared;
  std::unique_ptr<dt::PdnsServer> api;
};
absl::StatusOr<PdnsFleet> StartPdnsFleet(dt::PostgresServer& pg, const std::string& db,
                                         bool shared_caches);
// Registers the fleet through the dnsd at `target`; prints a row each.
absl::Status RegisterFleet(const std::string& target, PdnsFleet& fleet);
// Both, saying on stderr what went wrong.
absl::StatusOr<PdnsFleet> StartAndRegisterFleet(dt::PostgresServer& pg, const std::string& db,
                                                bool shared_caches, const std::string& target);

// What every fleet benchmark starts: PostgreSQL, dnsd at its defaults and
// the fleet (SHARED_DB servers with production caches), registered.
struct Environment {
  std::unique_ptr<dt::PostgresServer> pg;
  std::unique_ptr<dt::DnsdProcess> dnsd;
  PdnsFleet fleet;
};
// Prints the "Environment" section; says on stderr what went wrong.
absl::StatusOr<Environment> StartEnvironment();

// Hosted zones name(from) .. name(to - 1) through CreateZone on `threads`
// threads: apex and www A on `ip`, mail A, MX and TXT, TTL 300, account
// "acct-<i % 50>"; prints a row. False if any failed.
bool CreateHostedZones(const std::string& target, int from, int to, int threads,
                       const std::function<std::string(int)>& name, const std::string& ip);
// Until every (zone, server) row is IN_SYNC (the fleet serves every zone),
// or `limit`; prints what is left when it gives up.
bool WaitInSync(dt::PostgresServer& pg, absl::Duration limit);

}  // namespace dns::bench

#endif  // DNS_BENCH_HARNESS_H_
