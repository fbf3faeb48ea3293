// dns_bench: end-to-end throughput and latency of dnsd against its targets,
// in one run, on one machine, with what a user runs (dnsd's default log
// level and pool sizes):
//
//   1. a private PostgreSQL 15 with fsync ON; dnsd on database `dns` with the
//      local stack's fleet registered (two SHARED_DB pdns_servers on `dns`
//      with PowerDNS's production caches, one API pdns_server on gsqlite3);
//      beside it a second dnsd on database `nofleet` with no server, for the
//      figures of a service that propagates nothing;
//   2. pgbench (-N, 16 clients) on a third database of the same server: the
//      commit rate this machine's PostgreSQL can do at all;
//   3. ChangeRRsets: 16 threads, one zone each, one REPLACE per call, against
//      the fleet's dnsd; a watcher reads the zones' propagation rows every
//      --lag_poll_ms and gives each commit the time its last server
//      confirmed it (commit -> all 3 servers, pushes coalescing per zone);
//   4. the same against the dnsd without a fleet;
//      2, 3 and 4 alternate for --rounds rounds and the summary takes medians:
//      the machine's speed drifts by ±10 % over a minute (it is a shared VM),
//      and a ratio of two phases minutes apart would measure the drift;
//   5. like with like against PowerDNS's own API: ChangeRRsets counted when
//      the change is served (confirmed on a SHARED_DB server) against PATCH
//      of the same change on a gpgsql pdns_server (shared-a), 16 threads;
//   6. optionally (--sustain_seconds) the fleet's ChangeRRsets for minutes,
//      by minute, with the lag of each minute;
//   7. GetZone(ZONE_VIEW_FULL) of a zone with 1,000 RRsets and ListZones over
//      --zones zones (created through CreateZone, 16 threads), every page of
//      500 and a name_prefix filter, on the dnsd without a fleet.
//
// It prints a table per step and a summary with PASS/FAIL against the
// targets. The exit code is 0 whenever the environment came up: the bench
// reports, it does not gate.
//
//   dns_bench [--seconds=10] [--rounds=3] [--zones=100000]
//   dns_bench --seconds=3 --zones=5000                    # a quick pass
//   dns_bench --sustain_only --sustain_seconds=300        # 5 minutes, fleet

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/harness.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "tests/support/process.h"

ABSL_FLAG(int, seconds, 10, "Duration of each timed load phase (pgbench, ChangeRRsets, PATCH).");
ABSL_FLAG(int, rounds, 3,
          "Alternating pgbench / ChangeRRsets with the fleet / ChangeRRsets without rounds "
          "(medians in the summary).");
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
          "All client threads share one channel (one HTTP/2 connection); false gives each "
          "thread its own channel and TCP connection.");
ABSL_FLAG(int, getzone_calls, 200, "Sequential GetZone FULL calls timed.");
ABSL_FLAG(int, sustain_seconds, 0,
          "Also run the fleet's ChangeRRsets on the same zones for this long, reported by "
          "minute (0: skip).");
ABSL_FLAG(bool, sustain_only, false, "Run only the sustained phase.");
ABSL_FLAG(int, big_zone_rrsets, 1000, "A RRsets in big.test. for the GetZone phase.");
ABSL_FLAG(int, filtered_calls, 50, "Filtered ListZones calls timed.");
ABSL_FLAG(bool, pdns_caches, true,
          "The SHARED_DB pdns_servers run with PowerDNS's production caches (packet cache "
          "20 s, query cache 20 s, zone cache 300 s); false turns them off.");
ABSL_FLAG(int, lag_poll_ms, 10,
          "How often the watcher reads the zones' propagation rows; a confirmation is timed "
          "at its row's update_time, or the poll that saw it if the row moved on since.");
ABSL_FLAG(std::vector<std::string>, dnsd_flags, {},
          "Extra flags for both dnsd, comma-separated (e.g. --propagation_coalesce=500ms).");
ABSL_FLAG(bool, sql_stats, false,
          "Load pg_stat_statements (track=all, so statements inside dnsd's PL/pgSQL functions "
          "show too) and print the top statements of database dns after each phase. Adds "
          "overhead: use it to see where time goes, not for the headline numbers.");

namespace {

namespace v1 = ::dns::v1;
namespace dt = ::dns::testing;
using namespace ::dns::bench;  // NOLINT: the harness is this program's vocabulary

constexpr char kFleetLabel[] = "fleet";
constexpr char kNoFleetLabel[] = "no fleet";

std::string BenchZone(int i) { return absl::StrCat("bench-", i, ".test."); }

absl::Status CreateZone(v1::ZoneService::Stub& stub, const std::string& name) {
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(name);
  v1::Zone zone;
  grpc::Status s = stub.CreateZone(Ctx().get(), req, &zone);
  if (s.ok() || s.error_code() == grpc::StatusCode::ALREADY_EXISTS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("CreateZone ", name, ": ", StatusText(s)));
}

// ------------------------------------------------------ commit watcher
// One commit: its zone, the serial the response carried, and when the call
// started (epoch s; the commit happened after).
struct Commit {
  int zone = 0;
  int64_t serial = 0;
  double start = 0;
};

// Reads the propagation rows of the bench zones (`bench-%`: 16 zones x 3
// servers) every --lag_poll_ms on its own connection and keeps, per zone and
// server, each applied serial with the time it was first seen applied.
class ConfirmationWatcher {
 public:
  explicit ConfirmationWatcher(std::string db_url) : db_url_(std::move(db_url)) {}
  ~ConfirmationWatcher() { Stop(); }

  void Start() {
    stop_.store(false);
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  // When `server` first had `zone` at `serial` or later (epoch s); NaN if not
  // seen yet.
  double ConfirmedAt(const std::string& zone, const std::string& server, int64_t serial) {
    absl::MutexLock lock(&mu_);
    auto it = seen_.find({zone, server});
    if (it == seen_.end()) return kNaN;
    const std::vector<Seen>& v = it->second;
    auto found = std::lower_bound(v.begin(), v.end(), serial,
                                  [](const Seen& s, int64_t want) { return s.serial < want; });
    return found == v.end() ? kNaN : found->at;
  }

  std::vector<std::string> servers() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [key, unused] : seen_) {
      if (std::find(out.begin(), out.end(), key.second) == out.end()) out.push_back(key.second);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Samples poll_ms() {
    absl::MutexLock lock(&mu_);
    return poll_ms_;
  }
  std::string error() {
    absl::MutexLock lock(&mu_);
    return error_;
  }

 private:
  struct Seen {
    int64_t serial;
    double at;
  };

  void Run() {
    try {
      pqxx::connection conn(db_url_);
      conn.prepare("rows",
                   "SELECT zone, server, applied_serial, state = 'IN_SYNC',"
                   " extract(epoch FROM update_time)::float8"
                   " FROM dnsv1.zone_servers WHERE zone LIKE 'bench-%'");
      const auto interval = std::chrono::milliseconds(absl::GetFlag(FLAGS_lag_poll_ms));
      while (!stop_.load()) {
        const Clock::time_point t0 = Clock::now();
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_prepared("rows");
        const double now = EpochNow();
        {
          absl::MutexLock lock(&mu_);
          poll_ms_.Add(Ms(Clock::now() - t0));
          for (const auto& row : rows) {
            const int64_t serial = row[2].as<int64_t>();
            std::vector<Seen>& v = seen_[{row[0].as<std::string>(), row[1].as<std::string>()}];
            if (!v.empty() && v.back().serial >= serial) continue;
            // An IN_SYNC row's update_time is when the confirmation was
            // recorded; a row that moved on (PENDING for a newer commit)
            // was stamped later, so the poll's own time bounds it too.
            const double stamped = row[4].as<double>();
            v.push_back({serial, row[3].as<bool>() ? std::min(stamped, now) : now});
          }
        }
        std::this_thread::sleep_until(t0 + interval);
      }
    } catch (const std::exception& e) {
      absl::MutexLock lock(&mu_);
      error_ = e.what();
    }
  }

  const std::string db_url_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::vector<Seen>> seen_ ABSL_GUARDED_BY(mu_);
  Samples poll_ms_ ABSL_GUARDED_BY(mu_);
  std::string error_ ABSL_GUARDED_BY(mu_);
};

// What the watcher says about a set of commits.
struct Confirmations {
  Samples lag_ms;            // call start -> last server confirmed
  std::map<std::string, Samples> server_lag_ms;  // call start -> this server confirmed
  int64_t unconfirmed = 0;   // not confirmed on every server
  double last_served = kNaN;  // epoch s: the last commit confirmed on a SHARED_DB server
  double last_everywhere = kNaN;
};

// Waits (up to `timeout`) until every zone's last commit is confirmed on
// every server, then times every commit.
Confirmations Confirm(ConfirmationWatcher& watcher, const std::vector<Commit>& commits,
                      int zones, absl::Duration timeout) {
  std::vector<int64_t> last(zones, 0);
  for (const Commit& c : commits) last[c.zone] = std::max(last[c.zone], c.serial);
  const std::vector<std::string> servers = watcher.servers();
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    bool all = !servers.empty();
    for (int z = 0; z < zones && all; ++z) {
      for (const std::string& s : servers) {
        if (last[z] > 0 && std::isnan(watcher.ConfirmedAt(BenchZone(z), s, last[z]))) {
          all = false;
          break;
        }
      }
    }
    if (all) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  Confirmations out;
  for (const Commit& c : commits) {
    double everywhere = 0;
    double served = kNaN;
    for (const std::string& s : servers) {
      const double at = watcher.ConfirmedAt(BenchZone(c.zone), s, c.serial);
      if (!std::isnan(at)) out.server_lag_ms[s].Add(1000.0 * (at - c.start));
      everywhere = std::isnan(at) || std::isnan(everywhere) ? kNaN : std::max(everywhere, at);
      if (absl::StartsWith(s, "shared") && !std::isnan(at)) {
        served = std::isnan(served) ? at : std::min(served, at);
      }
    }
    if (std::isnan(everywhere) || servers.size() < 3) {
      ++out.unconfirmed;
      continue;
    }
    out.lag_ms.Add(1000.0 * (everywhere - c.start));
    out.last_everywhere =
        std::isnan(out.last_everywhere) ? everywhere : std::max(out.last_everywhere, everywhere);
    if (!std::isnan(served)) {
      out.last_served =
          std::isnan(out.last_served) ? served : std::max(out.last_served, served);
    }
  }
  return out;
}

// ------------------------------------------------------------- results
struct Results {
  std::vector<double> pgbench_rounds;
  // Per round, with and without the fleet.
  std::vector<double> fleet_rounds, fleet_ratios, nofleet_rounds, nofleet_ratios;
  std::vector<double> served_rounds;  // fleet: changes served on a SHARED_DB server per s
  std::vector<double> lag_p99_rounds;
  Samples fleet_calls, nofleet_calls, lag_all;
  int64_t unconfirmed = 0;
  double patch_rate = kNaN;
  double getzone_p50 = kNaN;
  double list_p50 = kNaN;
  double sustain_first = kNaN;  // commits/s in the first and last window
  double sustain_last = kNaN;
  double sustain_lag_p99 = kNaN;  // the worst window's
};

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

double RunPgbench(dt::PostgresServer& pg, int seconds, int round) {
  Section(absl::StrCat("pgbench, round ", round));
  const std::string cmd =
      absl::StrCat("pgbench -N -c 16 -j 2 -T ", seconds, PgbenchConn(pg), " 2>&1");
  Cpu c0 = TakeCpu();
  Clock::time_point w0 = Clock::now();
  absl::StatusOr<std::string> out = dt::RunCommand(cmd);
  Cpu dc = TakeCpu() - c0;
  const double wall_s = Ms(Clock::now() - w0) / 1000.0;
  if (!out.ok()) {
    Note(absl::StrCat("pgbench failed: ", out.status().message()));
    return kNaN;
  }
  const size_t pos = out->find("tps = ");
  if (pos == std::string::npos) {
    Note(absl::StrCat("no \"tps = \" in pgbench output:\n", *out));
    return kNaN;
  }
  const double tps = std::strtod(out->c_str() + pos + 6, nullptr);
  Row(absl::StrCat("pgbench -N -c 16 -j 2 -T ", seconds), F(tps, " tps"));
  const size_t lat = out->find("latency average = ");
  if (lat != std::string::npos) {
    const size_t end = out->find('\n', lat);
    Row("pgbench latency average", out->substr(lat + 18, end - lat - 18));
  }
  PrintCpu(dc, wall_s, static_cast<int64_t>(tps * seconds), "txn");
  return tps;
}

// ------------------------------------------------------------ ChangeRRsets
// `threads` writers, one zone each, one REPLACE of www A per call, until
// `stop()`; every OK call is handed to `on_commit`.
template <typename Stop, typename OnCommit>
Clock::duration RunWriters(std::shared_ptr<grpc::Channel> shared_channel,
                           const std::string& target, int threads, ErrorLog& errors, Stop stop,
                           OnCommit on_commit) {
  return RunThreads(threads, [&](int i) {
    auto stub = v1::RecordService::NewStub(shared_channel ? shared_channel : NewChannel(target));
    v1::ChangeRRsetsRequest req = ReplaceWwwA(BenchZone(i), "");
    v1::Record* rec = req.mutable_changes(0)->mutable_rrset()->mutable_records(0);
    for (int64_t n = 0; !stop(); ++n) {
      rec->set_content(absl::StrCat("192.0.2.", n % 254 + 1));
      v1::ChangeRRsetsResponse resp;
      const double start = EpochNow();
      const Clock::time_point t0 = Clock::now();
      grpc::Status s = stub->ChangeRRsets(Ctx().get(), req, &resp);
      const double ms = Ms(Clock::now() - t0);
      if (s.ok()) {
        on_commit(i, Commit{i, resp.serial(), start}, ms);
      } else {
        errors.Add(StatusText(s));
      }
    }
  });
}

struct RoundOutcome {
  double rate = kNaN;
  Samples calls;
  std::vector<Commit> commits;
  double start = 0;  // epoch s
};

RoundOutcome RunChangeRRsets(const std::string& label, const dt::DnsdProcess& dnsd, int threads,
                             int seconds, bool shared, int round, double pgbench_tps) {
  const std::string target = dnsd.target();
  Section(absl::StrCat("ChangeRRsets, ", label, ", round ", round, ": ", threads,
                       " threads, own zone each, 1 REPLACE per call, ", seconds, " s, ",
                       shared ? "one shared channel" : "one channel per thread"));
  std::shared_ptr<grpc::Channel> shared_channel = shared ? NewChannel(target) : nullptr;
  std::vector<Samples> per_thread(threads);
  std::vector<std::vector<Commit>> commits(threads);
  ErrorLog errors;
  std::atomic<int64_t> ok{0};
  RoundOutcome out;
  SqlStatsReset();
  const size_t log0 = DnsdLogSize(dnsd);
  const Cpu c0 = TakeCpu();
  out.start = EpochNow();
  const Clock::time_point end = Clock::now() + std::chrono::seconds(seconds);
  const Clock::duration wall = RunWriters(
      shared_channel, target, threads, errors, [&] { return Clock::now() >= end; },
      [&](int i, const Commit& c, double ms) {
        per_thread[i].Add(ms);
        commits[i].push_back(c);
        ok.fetch_add(1);
      });
  const Cpu dc = TakeCpu() - c0;
  for (int i = 0; i < threads; ++i) {
    out.calls.Merge(per_thread[i]);
    out.commits.insert(out.commits.end(), commits[i].begin(), commits[i].end());
  }
  const double secs = Ms(wall) / 1000.0;
  out.rate = ok.load() / secs;
  Row("commits (ok calls)", absl::StrCat(ok.load(), " in ", F(secs, " s", 2)));
  Row("failed calls", absl::StrCat(errors.count()));
  errors.Print();
  Row("commits/s", F(out.rate));
  Row("call latency p50 / p90 / p99 / max", P50_90_99_Max(out.calls));
  Row("ratio to this round's pgbench tps",
      std::isnan(pgbench_tps) ? "n/a" : F(100.0 * out.rate / pgbench_tps, " %"));
  PrintCpu(dc, secs, ok.load(), "commit");
  SummariseDnsdLog(dnsd, log0, DnsdLogSize(dnsd), secs);
  SqlStatsPrint();
  return out;
}

// Prints what the watcher saw of a fleet round's commits.
Confirmations ReportConfirmations(ConfirmationWatcher& watcher, const RoundOutcome& round,
                                  int threads) {
  const Clock::time_point t0 = Clock::now();
  Confirmations c = Confirm(watcher, round.commits, threads, absl::Seconds(60));
  Row("all commits confirmed on all servers after",
      absl::StrCat(F(Ms(Clock::now() - t0) / 1000.0, " s", 2), " of waiting once the writers stopped"));
  Row("commits not confirmed on every server", absl::StrCat(c.unconfirmed, " of ",
                                                            round.commits.size()));
  Row("lag call start -> last server confirmed", absl::StrCat(P50_90_99_Max(c.lag_ms),
                                                               " (p50 / p90 / p99 / max)"));
  for (auto& [server, lag] : c.server_lag_ms) {
    Row(absl::StrCat("  lag to ", server), P50_90_99_Max(lag));
  }
  const double served_rate = round.commits.size() / (c.last_served - round.start);
  Row("changes served on a SHARED_DB server per s",
      absl::StrCat(F(served_rate), " (", round.commits.size(), " changes by the last one's "
                   "confirmation, ", F(c.last_served - round.start, " s", 2), ")"));
  if (!watcher.error().empty()) Note(absl::StrCat("watcher: ", watcher.error()));
  return c;
}

// ------------------------------------------------- sustained ChangeRRsets
// The same zones written for minutes: the rate must not decay as dead rows
// and index entries of the replaced records pile up, nor the lag grow.
void RunSustained(const std::string& target, int threads, int seconds,
                  ConfirmationWatcher* watcher, Results& r) {
  const int window = std::min(60, seconds);
  Section(absl::StrCat("Sustained ChangeRRsets", watcher ? " with the fleet" : "", ": ", threads,
                       " threads on the same ", threads, " zones, ", seconds, " s, by ", window,
                       " s window"));
  std::shared_ptr<grpc::Channel> channel = NewChannel(target);
  std::atomic<int64_t> ok{0};
  std::atomic<bool> stop{false};
  std::mutex commits_mu;
  std::vector<Commit> commits;
  ErrorLog errors;
  struct Window {
    int64_t commits;
    Cpu cpu;
    double seconds;
    double start, end;  // epoch s
  };
  std::vector<Window> windows;
  SqlStatsReset();
  std::thread monitor([&] {
    int64_t last_ok = 0;
    Cpu last_cpu = TakeCpu();
    Clock::time_point last = Clock::now();
    double last_epoch = EpochNow();
    const Clock::time_point end = last + std::chrono::seconds(seconds);
    while (Clock::now() < end) {
      std::this_thread::sleep_until(std::min(end, last + std::chrono::seconds(window)));
      const int64_t now_ok = ok.load();
      const Cpu now_cpu = TakeCpu();
      const Clock::time_point now = Clock::now();
      const double now_epoch = EpochNow();
      windows.push_back(
          {now_ok - last_ok, now_cpu - last_cpu, Ms(now - last) / 1000.0, last_epoch, now_epoch});
      last_ok = now_ok;
      last_cpu = now_cpu;
      last = now;
      last_epoch = now_epoch;
    }
    stop.store(true);
  });
  RunWriters(
      channel, target, threads, errors, [&] { return stop.load(); },
      [&](int, const Commit& c, double) {
        ok.fetch_add(1);
        if (watcher == nullptr) return;
        std::lock_guard<std::mutex> lock(commits_mu);
        commits.push_back(c);
      });
  monitor.join();
  Row("failed calls", absl::StrCat(errors.count()));
  errors.Print();
  std::vector<Samples> lag_by_window(windows.size());
  if (watcher != nullptr) {
    Confirmations all = Confirm(*watcher, commits, threads, absl::Seconds(60));
    Row("commits not confirmed on every server",
        absl::StrCat(all.unconfirmed, " of ", commits.size()));
    for (const Commit& c : commits) {
      for (size_t w = 0; w < windows.size(); ++w) {
        if (c.start < windows[w].end || w + 1 == windows.size()) {
          Confirmations one = Confirm(*watcher, {c}, threads, absl::ZeroDuration());
          lag_by_window[w].Merge(one.lag_ms);
          break;
        }
      }
    }
  }
  r.sustain_lag_p99 = kNaN;
  for (size_t w = 0; w < windows.size(); ++w) {
    const Window& x = windows[w];
    const double rate = x.commits / x.seconds;
    std::string lag;
    if (watcher != nullptr) {
      const double p99 = lag_by_window[w].Pct(99);
      lag = absl::StrCat("; lag p50 ", F(lag_by_window[w].Pct(50), " ms", 1), ", p99 ",
                         F(p99, " ms", 1));
      if (std::isnan(r.sustain_lag_p99) || p99 > r.sustain_lag_p99) r.sustain_lag_p99 = p99;
    }
    Row(absl::StrFormat("window %zu (%.0f s)", w + 1, x.seconds),
        absl::StrFormat("%.0f commits/s; CPU us per commit: dnsd %.0f, postgres %.0f, pdns %.0f%s",
                        rate, 1e6 * x.cpu.dnsd / std::max<int64_t>(1, x.commits),
                        1e6 * x.cpu.postgres / std::max<int64_t>(1, x.commits),
                        1e6 * (x.cpu.pdns_shared + x.cpu.pdns_api) /
                            std::max<int64_t>(1, x.commits),
                        lag));
  }
  if (windows.size() >= 2) {
    r.sustain_first = windows.front().commits / windows.front().seconds;
    r.sustain_last = windows.back().commits / windows.back().seconds;
    Row("last window / first window", F(100.0 * r.sustain_last / r.sustain_first, " %"));
  }
  SqlStatsPrint();
}

// --------------------------------------------------------- PowerDNS PATCH
// The same change (REPLACE of www A in one zone per thread) through
// PowerDNS's own API on a gpgsql server: served when the 204 arrives.
void RunPatch(dt::PdnsServer& pdns, v1::RecordService::Stub& records, int threads, int seconds,
              Results& r) {
  Section(absl::StrCat("PowerDNS API PATCH on shared-a (gpgsql, the same database): ", threads,
                       " threads, own zone each, ", seconds, " s"));
  const httplib::Headers headers = {{"X-API-Key", pdns.api_key()},
                                    {"Accept", "application/json"}};
  auto path = [](int i) { return absl::StrCat("/api/v1/servers/localhost/zones/", BenchZone(i)); };
  auto body = [](int i) {
    return absl::StrCat(R"({"rrsets":[{"name":"www.)", BenchZone(i),
                        R"(","type":"A","ttl":300,"changetype":"REPLACE",)",
                        R"("records":[{"content":"192.0.2.7","disabled":false}]}]})");
  };
  {
    // One call first, so a setup problem shows as such and not as 16xN failures.
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
  const Cpu c0 = TakeCpu();
  const Clock::duration wall = RunThreads(threads, [&](int i) {
    httplib::Client cli("127.0.0.1", pdns.api_port());
    cli.set_connection_timeout(5);
    cli.set_read_timeout(30);
    const std::string p = path(i);
    const std::string b = body(i);
    const Clock::time_point end = Clock::now() + run_for;
    while (Clock::now() < end) {
      const Clock::time_point t0 = Clock::now();
      auto res = cli.Patch(p, headers, b, "application/json");
      const double ms = Ms(Clock::now() - t0);
      if (res && res->status == 204) {
        per_thread[i].Add(ms);
        ok.fetch_add(1);
      } else {
        errors.Add(res ? absl::StrCat("HTTP ", res->status, " ", res->body.substr(0, 200))
                       : httplib::to_string(res.error()));
      }
    }
  });
  const Cpu dc = TakeCpu() - c0;
  Samples all;
  for (auto& s : per_thread) all.Merge(s);
  const double secs = Ms(wall) / 1000.0;
  r.patch_rate = ok.load() / secs;
  Row("ok calls (HTTP 204)", absl::StrCat(ok.load(), " in ", F(secs, " s", 2)));
  Row("failures", absl::StrCat(errors.count()));
  errors.Print();
  Row("calls/s", F(r.patch_rate));
  Row("latency p50 / p90 / p99 / max", P50_90_99_Max(all));
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
  Section(absl::StrCat("GetZone ZONE_VIEW_FULL of big.test. (", rrsets,
                       " A RRsets + SOA + NS), no fleet, ", calls, " sequential calls"));
  auto zones = v1::ZoneService::NewStub(channel);
  auto records = v1::RecordService::NewStub(channel);
  if (absl::Status s = CreateZone(*zones, "big.test."); !s.ok()) {
    Note(std::string(s.message()));
    return;
  }
  const Clock::time_point t0 = Clock::now();
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
  Row(absl::StrCat("adding ", rrsets, " RRsets (batches of 500)"),
      F(Ms(Clock::now() - t0), " ms"));

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
    if (i == 1) {  // call 0 is a warm-up, not timed
      SqlStatsReset();
      c0 = TakeCpu();
      w0 = Clock::now();
    }
    v1::Zone zone;
    const Clock::time_point call0 = Clock::now();
    grpc::Status s = zones->GetZone(Ctx().get(), req, &zone);
    const double ms = Ms(Clock::now() - call0);
    if (!s.ok()) {
      Note(absl::StrCat("GetZone: ", StatusText(s)));
      ++bad;
      continue;
    }
    if (zone.rrsets_size() != want) ++bad;
    got = zone.rrsets_size();
    if (i > 0) samples.Add(ms);
  }
  const Cpu dc = TakeCpu() - c0;
  const double wall_s = Ms(Clock::now() - w0) / 1000.0;
  r.getzone_p50 = samples.Pct(50);
  Row("RRsets in response",
      absl::StrCat(got, " (want ", want, ")", got == want ? " OK" : " MISMATCH"));
  Row("calls failed or wrong size", absl::StrCat(bad));
  Row("latency p50 / p90 / p99 / max", P50_90_99_Max(samples));
  PrintCpu(dc, wall_s, static_cast<int64_t>(samples.size()), "GetZone");
  SqlStatsPrint();
}

// -------------------------------------------------------------- ListZones
std::string ListZoneName(int i) { return absl::StrFormat("z%06d.list.test.", i); }

void RunListZones(const std::string& target, int n, int threads, bool shared, Results& r) {
  Section(absl::StrCat("ListZones over ", n, " zones (z000000.list.test. ...), no fleet"));
  // Creation through the API, `threads` at a time.
  std::shared_ptr<grpc::Channel> shared_channel = shared ? NewChannel(target) : nullptr;
  std::atomic<int> next{0};
  std::atomic<int64_t> created{0};
  ErrorLog errors;
  std::vector<Samples> per_thread(threads);
  SqlStatsReset();
  const Cpu c0 = TakeCpu();
  const Clock::duration wall = RunThreads(threads, [&](int t) {
    auto stub = v1::ZoneService::NewStub(shared ? shared_channel : NewChannel(target));
    for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
      const Clock::time_point t0 = Clock::now();
      absl::Status s = CreateZone(*stub, ListZoneName(i));
      if (s.ok()) {
        per_thread[t].Add(Ms(Clock::now() - t0));
        const int64_t c = created.fetch_add(1) + 1;
        if (c % 20000 == 0) {
          std::fprintf(stderr, "  ... %lld zones created\n", static_cast<long long>(c));
        }
      } else {
        errors.Add(std::string(s.message()));
      }
    }
  });
  const Cpu create_cpu = TakeCpu() - c0;
  Samples create_lat;
  for (auto& s : per_thread) create_lat.Merge(s);
  const double secs = Ms(wall) / 1000.0;
  const double rate = created.load() / secs;
  Row(absl::StrCat("CreateZone (", threads, " threads)"),
      absl::StrCat(created.load(), " zones in ", F(secs, " s", 1), " = ", F(rate, " zones/s")));
  Row("CreateZone latency p50 / p90 / p99 / max", P50_90_99_Max(create_lat));
  Row("CreateZone failures", absl::StrCat(errors.count()));
  errors.Print();
  PrintCpu(create_cpu, secs, created.load(), "CreateZone");
  SqlStatsPrint();

  // Walk every page, one call at a time.
  auto stub = v1::ZoneService::NewStub(NewChannel(target));
  Samples pages;
  int64_t seen = 0;
  int64_t list_zones_seen = 0;
  std::string token;
  std::string last_name;
  bool ordered = true;
  SqlStatsReset();
  const Cpu w_c0 = TakeCpu();
  const Clock::time_point w0 = Clock::now();
  do {
    v1::ListZonesRequest req;
    req.set_page_size(500);
    req.set_page_token(token);
    v1::ListZonesResponse resp;
    const Clock::time_point t0 = Clock::now();
    grpc::Status s = stub->ListZones(Ctx().get(), req, &resp);
    const double ms = Ms(Clock::now() - t0);
    if (!s.ok()) {
      Note(absl::StrCat("ListZones page ", pages.size() + 1, ": ", StatusText(s)));
      break;
    }
    pages.Add(ms);
    for (const auto& z : resp.zones()) {
      if (!last_name.empty() && z.name() <= last_name) ordered = false;
      last_name = z.name();
      if (absl::EndsWith(z.name(), ".list.test.")) ++list_zones_seen;
    }
    seen += resp.zones_size();
    token = resp.next_page_token();
  } while (!token.empty());
  const Cpu walk_cpu = TakeCpu() - w_c0;
  const double walk_s = Ms(Clock::now() - w0) / 1000.0;
  r.list_p50 = pages.Pct(50);
  Row("pages of 500 walked", absl::StrCat(pages.size(), " pages, ", seen, " zones (",
                                          list_zones_seen, " *.list.test.)",
                                          ordered ? ", in name order" : ", NOT IN ORDER"));
  Row("per page p50 / p90 / p99 / max", P50_90_99_Max(pages));
  Row("whole walk", F(pages.Sum(), " ms"));
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
    const Clock::time_point t0 = Clock::now();
    grpc::Status s = stub->ListZones(Ctx().get(), req, &resp);
    const double ms = Ms(Clock::now() - t0);
    if (!s.ok()) {
      Note(absl::StrCat("ListZones name_prefix=", prefix, ": ", StatusText(s)));
      break;
    }
    filtered.Add(ms);
    returned = resp.zones_size();
    for (const auto& z : resp.zones()) {
      if (!absl::StartsWith(z.name(), prefix)) {
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
  const auto& line = SummaryLine;
  const auto& verdict = Verdict;
  const double fleet_rate = Median(r.fleet_rounds);
  const double fleet_pct = Median(r.fleet_ratios);
  const double nofleet_rate = Median(r.nofleet_rounds);
  const double nofleet_pct = Median(r.nofleet_ratios);
  Samples fleet_calls = r.fleet_calls, nofleet_calls = r.nofleet_calls, lag = r.lag_all;
  if (!r.fleet_rounds.empty()) {
    line("fleet: ChangeRRsets commits/s (median)", F(fleet_rate), ">= 1500",
         verdict(fleet_rate, 1500, true));
    line("fleet: / pgbench tps (median of rounds)", F(fleet_pct, " %"), ">= 35 %",
         verdict(fleet_pct, 35, true));
    line("fleet: commits not confirmed on all 3", absl::StrCat(r.unconfirmed), "0",
         r.unconfirmed == 0 ? "PASS" : "FAIL");
    line("fleet: lag commit -> last server, p99", F(lag.Pct(99), " ms", 1), "<= 1000 ms",
         verdict(lag.Pct(99), 1000, false));
    line("fleet: call p99", F(fleet_calls.Pct(99), " ms", 2), "", "");
    const double served = Median(r.served_rounds);
    const double ratio = served / r.patch_rate;
    line("served changes/s (SHARED_DB) / PATCH/s", F(ratio, "x"), ">= 10x",
         verdict(ratio, 10, true));
    line("  served changes/s (median) | PATCH/s",
         absl::StrCat(F(served, "", 0), " | ", F(r.patch_rate, "", 0)), "", "");
  }
  if (!r.nofleet_rounds.empty()) {
    line("no fleet: ChangeRRsets commits/s (median)", F(nofleet_rate), ">= 2000",
         verdict(nofleet_rate, 2000, true));
    line("no fleet: / pgbench tps (median of rounds)", F(nofleet_pct, " %"), ">= 50 %",
         verdict(nofleet_pct, 50, true));
    line("no fleet: call p99", F(nofleet_calls.Pct(99), " ms", 2), "<= 20 ms",
         verdict(nofleet_calls.Pct(99), 20, false));
  }
  line("GetZone FULL (1000 RRsets) p50", F(r.getzone_p50, " ms", 2), "<= 5 ms",
       verdict(r.getzone_p50, 5, false));
  line("ListZones page of 500 p50", F(r.list_p50, " ms", 2), "<= 20 ms",
       verdict(r.list_p50, 20, false));
  if (!std::isnan(r.sustain_first)) {
    const double kept = 100.0 * r.sustain_last / r.sustain_first;
    line("sustained: last / first window", F(kept, " %"), ">= 90 %", verdict(kept, 90, true));
    line("sustained: worst window's lag p99", F(r.sustain_lag_p99, " ms", 1), "", "");
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
  const bool sustain_only = absl::GetFlag(FLAGS_sustain_only);
  std::printf("dns_bench: --seconds=%d --rounds=%d --zones=%d --threads=%d --shared_channel=%s "
              "--pdns_caches=%s (%u cpus)\n",
              seconds, absl::GetFlag(FLAGS_rounds), nzones, threads, shared ? "true" : "false",
              absl::GetFlag(FLAGS_pdns_caches) ? "true" : "false",
              std::thread::hardware_concurrency());

  // 1. Environment, declared in start order so it stops in reverse.
  Section("Environment");
  auto pg = StartPostgres(absl::GetFlag(FLAGS_sql_stats));
  if (!pg.ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", std::string(pg.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::PostgresServer> postgres = *std::move(pg);
  if (absl::Status s = postgres->CreateDatabase("nofleet"); !s.ok()) {
    std::fprintf(stderr, "CREATE DATABASE nofleet: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const std::vector<std::string> dnsd_flags = absl::GetFlag(FLAGS_dnsd_flags);
  auto fleet_dnsd = StartDnsd(*postgres, "dns", dnsd_flags, "dnsd (fleet)");
  if (!fleet_dnsd.ok()) {
    std::fprintf(stderr, "dnsd: %s\n", std::string(fleet_dnsd.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<dt::DnsdProcess> daemon = *std::move(fleet_dnsd);
  std::unique_ptr<dt::DnsdProcess> bare;
  if (!sustain_only) {
    auto nofleet_dnsd = StartDnsd(*postgres, "nofleet", dnsd_flags, "dnsd (no fleet)");
    if (!nofleet_dnsd.ok()) {
      std::fprintf(stderr, "dnsd: %s\n", std::string(nofleet_dnsd.status().message()).c_str());
      return 1;
    }
    bare = *std::move(nofleet_dnsd);
  }
  const std::string target = daemon->target();
  auto fleet_or = StartAndRegisterFleet(*postgres, "dns", absl::GetFlag(FLAGS_pdns_caches), target);
  if (!fleet_or.ok()) return 1;
  PdnsFleet fleet = *std::move(fleet_or);

  Results results;
  std::shared_ptr<grpc::Channel> control = NewChannel(target);
  auto record_stub = v1::RecordService::NewStub(control);

  // The writers' zones, on both dnsd; the fleet's are confirmed everywhere
  // before the first round.
  bool zones_ok = true;
  for (dt::DnsdProcess* d : {daemon.get(), bare.get()}) {
    if (d == nullptr) continue;
    auto stub = v1::ZoneService::NewStub(NewChannel(d->target()));
    for (int i = 0; i < threads; ++i) {
      if (absl::Status s = CreateZone(*stub, BenchZone(i)); !s.ok()) {
        Note(std::string(s.message()));
        zones_ok = false;
      }
    }
  }
  ConfirmationWatcher watcher(postgres->Url("dns"));
  watcher.Start();
  if (sustain_only) {
    if (zones_ok) {
      RunSustained(target, threads, absl::GetFlag(FLAGS_sustain_seconds), &watcher, results);
    }
    Summary(results);
    return 0;
  }
  const bool pgbench_ok = InitPgbench(*postgres);
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));
  for (int round = 1; round <= rounds && zones_ok; ++round) {
    const double tps = pgbench_ok ? RunPgbench(*postgres, seconds, round) : kNaN;
    results.pgbench_rounds.push_back(tps);

    RoundOutcome f =
        RunChangeRRsets(kFleetLabel, *daemon, threads, seconds, shared, round, tps);
    Confirmations c = ReportConfirmations(watcher, f, threads);
    results.fleet_rounds.push_back(f.rate);
    results.fleet_ratios.push_back(100.0 * f.rate / tps);
    results.fleet_calls.Merge(f.calls);
    results.lag_all.Merge(c.lag_ms);
    results.lag_p99_rounds.push_back(c.lag_ms.Pct(99));
    results.unconfirmed += c.unconfirmed;
    results.served_rounds.push_back(f.commits.size() / (c.last_served - f.start));

    RoundOutcome b =
        RunChangeRRsets(kNoFleetLabel, *bare, threads, seconds, shared, round, tps);
    results.nofleet_rounds.push_back(b.rate);
    results.nofleet_ratios.push_back(100.0 * b.rate / tps);
    results.nofleet_calls.Merge(b.calls);
  }
  if (zones_ok) {
    Section(absl::StrCat("pgbench and ChangeRRsets over ", rounds, " rounds"));
    Row("pgbench tps by round", Joined(results.pgbench_rounds, ""));
    Row("fleet: commits/s by round", Joined(results.fleet_rounds, ""));
    Row("fleet: ratio to pgbench by round", Joined(results.fleet_ratios, " %"));
    Row("fleet: lag p99 by round", Joined(results.lag_p99_rounds, " ms"));
    Row("fleet: served changes/s by round", Joined(results.served_rounds, ""));
    Row("no fleet: commits/s by round", Joined(results.nofleet_rounds, ""));
    Row("no fleet: ratio to pgbench by round", Joined(results.nofleet_ratios, " %"));
    Row("watcher poll p50 / max", absl::StrCat(F(watcher.poll_ms().Pct(50), "", 2), " / ",
                                               F(watcher.poll_ms().Max(), " ms", 2)));
    // 5. PowerDNS PATCH of the same zones on a gpgsql server of the fleet.
    RunPatch(*fleet.shared[0], *record_stub, threads, seconds, results);
  }
  if (zones_ok && absl::GetFlag(FLAGS_sustain_seconds) > 0) {
    RunSustained(target, threads, absl::GetFlag(FLAGS_sustain_seconds), &watcher, results);
  }
  watcher.Stop();

  // 7. GetZone of a 1,000-RRset zone and ListZones, without the fleet.
  RunGetZone(NewChannel(bare->target()), absl::GetFlag(FLAGS_big_zone_rrsets),
             absl::GetFlag(FLAGS_getzone_calls), results);
  RunListZones(bare->target(), nzones, threads, shared, results);

  Summary(results);
  for (dt::DnsdProcess* d : {daemon.get(), bare.get()}) {
    if (d != nullptr && !d->Running()) {
      Note(absl::StrCat("a dnsd is no longer running; log tail:\n", d->LogTail()));
    }
  }
  return 0;
}
