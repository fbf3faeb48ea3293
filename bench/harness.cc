#include "bench/harness.h"

#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "tests/support/process.h"

ABSL_FLAG(bool, pdns_zone_cache, false,
          "SHARED_DB servers with caches on also keep PowerDNS's zone cache "
          "(zone-cache-refresh-interval=300, PowerDNS's default); by default 0, "
          "as the README recommends for servers this service drives");

namespace dns::bench {

namespace v1 = ::dns::v1;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double EpochNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ------------------------------------------------------------ statistics
double Samples::Pct(double p) {
  if (ms.empty()) return kNaN;
  std::sort(ms.begin(), ms.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * ms.size()));
  if (rank == 0) rank = 1;
  return ms[std::min(rank, ms.size()) - 1];
}

double Samples::Max() const {
  return ms.empty() ? kNaN : *std::max_element(ms.begin(), ms.end());
}

double Samples::Sum() const {
  double sum = 0;
  for (double v : ms) sum += v;
  return sum;
}

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string Joined(const std::vector<double>& v, const char* unit) {
  std::vector<std::string> parts;
  for (double x : v) parts.push_back(F(x, unit));
  return absl::StrJoin(parts, " / ");
}

std::string P50_90_99_Max(Samples& s) {
  return absl::StrCat(F(s.Pct(50), "", 2), " / ", F(s.Pct(90), "", 2), " / ", F(s.Pct(99), "", 2),
                      " / ", F(s.Max(), " ms", 2));
}

// ----------------------------------------------------------------- table
void Section(const std::string& title) {
  std::printf("\n== %s ==\n", title.c_str());
  std::fflush(stdout);
}

void Row(const std::string& label, const std::string& value) {
  std::printf("  %-44s %s\n", label.c_str(), value.c_str());
  std::fflush(stdout);
}

void Note(const std::string& text) {
  std::printf("  # %s\n", text.c_str());
  std::fflush(stdout);
}

void Indented(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::printf("      %s\n", std::string(line).c_str());
  }
  std::fflush(stdout);
}

std::string F(double v, const char* unit, int prec) {
  if (std::isnan(v)) return "n/a";
  return absl::StrFormat("%.*f%s", prec, v, unit);
}

// ------------------------------------------------------------------ gRPC
std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
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

v1::ChangeRRsetsRequest ReplaceWwwA(const std::string& zone, const std::string& ip) {
  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  v1::RRsetChange* change = req.add_changes();
  change->set_changetype(v1::CHANGE_TYPE_REPLACE);
  change->mutable_rrset()->set_name("www");
  change->mutable_rrset()->set_type("A");
  change->mutable_rrset()->set_ttl(300);
  change->mutable_rrset()->add_records()->set_content(ip);
  return req;
}

google::protobuf::Duration ProtoSeconds(int seconds) {
  google::protobuf::Duration d;
  d.set_seconds(seconds);
  return d;
}

void ErrorLog::Add(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  ++count_;
  if (first_.size() < 3) first_.push_back(text);
}

int64_t ErrorLog::count() {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

void ErrorLog::Print() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : first_) Note(absl::StrCat("error: ", e));
}

// ------------------------------------------------------------------- CPU
namespace {

std::string& ApiServerConfigDir() {
  static std::string* dir = new std::string;
  return *dir;
}

}  // namespace

void SetApiServerConfigDir(std::string config_dir) { ApiServerConfigDir() = std::move(config_dir); }

Cpu Cpu::operator-(const Cpu& o) const {
  return {bench - o.bench,         dnsd - o.dnsd,
          postgres - o.postgres,   pdns_shared - o.pdns_shared,
          pdns_api - o.pdns_api,   machine_busy - o.machine_busy,
          machine_iowait - o.machine_iowait};
}

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
    const size_t open = stat.find('(');
    const size_t close = stat.rfind(')');
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
  const std::string& api_dir = ApiServerConfigDir();
  for (pid_t c : children[getpid()]) {
    const std::string& comm = procs[c].comm;
    if (comm == "dnsd") {
      out.dnsd += tree(c);
    } else if (comm == "pdns_server") {
      std::ifstream cmd(absl::StrCat("/proc/", c, "/cmdline"));
      std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
      if (!api_dir.empty() && absl::StrContains(cmdline, api_dir)) {
        out.pdns_api += tree(c);
      } else {
        out.pdns_shared += tree(c);
      }
    } else if (comm == "runuser" || comm == "postgres") {
      out.postgres += tree(c);
    } else {  // a running psql/pgbench/sh of the bench's own
      out.bench += tree(c);
    }
  }
  return out;
}

void PrintCpu(const Cpu& d, double wall_s, int64_t ops, const char* op) {
  const double cores = std::thread::hardware_concurrency();
  Row("CPU s: client/dnsd/pg/pdns-shared/pdns-api",
      absl::StrFormat("%.2f / %.2f / %.2f / %.2f / %.2f  (%.0f%% of %.0f cores x %.1f s)",
                      d.bench, d.dnsd, d.postgres, d.pdns_shared, d.pdns_api,
                      100.0 * d.total() / (cores * wall_s), cores, wall_s));
  Row("  machine: busy / other (not ours) / iowait",
      absl::StrFormat("%.0f%% / %.0f%% / %.0f%% of %.0f cores",
                      100.0 * d.machine_busy / (cores * wall_s),
                      100.0 * std::max(0.0, d.machine_busy - d.total()) / (cores * wall_s),
                      100.0 * d.machine_iowait / (cores * wall_s), cores));
  if (ops > 0) {
    Row(absl::StrCat("  CPU us per ", op),
        absl::StrFormat("%.0f / %.0f / %.0f / %.0f / %.0f", 1e6 * d.bench / ops,
                        1e6 * d.dnsd / ops, 1e6 * d.postgres / ops, 1e6 * d.pdns_shared / ops,
                        1e6 * d.pdns_api / ops));
  }
}

ProcStatus ReadProcStatus(pid_t pid) {
  ProcStatus out;
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() < 2) continue;
    int64_t v = 0;
    if (!absl::SimpleAtoi(f[1], &v)) continue;
    if (f[0] == "Threads:") out.threads = static_cast<int>(v);
    if (f[0] == "VmRSS:") out.rss_mib = v / 1024.0;
    if (f[0] == "VmHWM:") out.hwm_mib = v / 1024.0;
  }
  return out;
}

absl::Status SignalServer(dt::PdnsServer& pdns, const std::string& signal) {
  return dt::RunCommand(absl::StrCat("kill -", signal, " $(pgrep -f -- 'config-di[r]=",
                                     pdns.config_dir(), "')"))
      .status();
}

std::vector<std::pair<std::string, double>> ScrapeMetrics(int port) {
  std::vector<std::pair<std::string, double>> out;
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2);
  cli.set_read_timeout(5);
  auto res = cli.Get("/metrics");
  if (!res || res->status != 200) return out;
  for (absl::string_view line : absl::StrSplit(res->body, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "#")) continue;
    const size_t space = line.rfind(' ');
    double v = 0;
    if (space == absl::string_view::npos || !absl::SimpleAtod(line.substr(space + 1), &v)) continue;
    out.emplace_back(std::string(line.substr(0, space)), v);
  }
  return out;
}

double SumOf(const std::vector<std::pair<std::string, double>>& metrics, const std::string& name) {
  double sum = 0;
  for (const auto& [series, v] : metrics) {
    if (series == name || absl::StartsWith(series, name + "{")) sum += v;
  }
  return sum;
}

size_t DnsdLogSize(const dt::DnsdProcess& dnsd) {
  std::error_code ec;
  auto n = std::filesystem::file_size(dnsd.log_path(), ec);
  return ec ? 0 : static_cast<size_t>(n);
}

void SummariseDnsdLog(const dt::DnsdProcess& dnsd, size_t from, size_t to, double wall_s) {
  if (to <= from) return;
  std::ifstream in(dnsd.log_path(), std::ios::binary);
  in.seekg(static_cast<std::streamoff>(from));
  std::string text(to - from, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::map<std::string, Samples> groups;
  std::map<std::string, int64_t> not_ok;
  std::map<std::string, std::string> first_error;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> tok = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (tok.size() < 4) continue;
    const absl::string_view msg = tok[2];
    if (msg != "pdns_call" && msg != "propagation") continue;
    std::map<std::string, std::string> kv;
    for (size_t i = 3; i < tok.size(); ++i) {
      const size_t eq = tok[i].find('=');
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
    if (kv["code"] != "OK") {
      ++not_ok[key];
      const size_t err = line.find("error=");
      if (err != absl::string_view::npos && first_error[key].empty()) {
        first_error[key] = std::string(line.substr(err, 160));
      }
    }
  }
  if (groups.empty()) return;
  Note("dnsd log: n | p50 / p90 / p99 / max ms | busy (sum of durations / wall)");
  for (auto& [key, s] : groups) {
    std::printf("      %-40s %6zu | %s | %.2f%s\n", key.c_str(), s.size(),
                P50_90_99_Max(s).c_str(), s.Sum() / 1000.0 / wall_s,
                not_ok[key] ? absl::StrCat("  (", not_ok[key], " not OK)").c_str() : "");
    if (!first_error[key].empty()) std::printf("        first: %s\n", first_error[key].c_str());
  }
  std::fflush(stdout);
}

// ---------------------------------------------------- pg_stat_statements
namespace {

struct SqlStatsTarget {
  dt::PostgresServer* pg = nullptr;
  std::string db;
};

SqlStatsTarget& StatsTarget() {
  static SqlStatsTarget* target = new SqlStatsTarget;
  return *target;
}

}  // namespace

absl::Status EnableSqlStats(dt::PostgresServer& pg, const std::string& db) {
  // ALTER SYSTEM cannot share a transaction: one psql call each.
  absl::Status s =
      pg.Psql("postgres", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
          .status();
  if (s.ok()) s = pg.Restart();
  // The module's settings exist only once it is loaded.
  if (s.ok()) s = pg.Psql("postgres", "ALTER SYSTEM SET pg_stat_statements.track = 'all'").status();
  if (s.ok()) s = pg.Psql("postgres", "SELECT pg_reload_conf()").status();
  if (s.ok()) s = pg.Psql(db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements").status();
  if (s.ok()) StatsTarget() = {&pg, db};
  return s;
}

void SqlStatsReset() {
  const SqlStatsTarget& t = StatsTarget();
  if (t.pg == nullptr) return;
  (void)t.pg->Psql(t.db, "SELECT pg_stat_statements_reset()");
  (void)t.pg->Psql(t.db, "SELECT pg_stat_reset()");
}

void SqlStatsPrint() {
  const SqlStatsTarget& t = StatsTarget();
  if (t.pg == nullptr) return;
  absl::StatusOr<std::string> out = t.pg->Psql(
      t.db,
      "SELECT s.calls, round(s.total_exec_time::numeric, 1), round(s.mean_exec_time::numeric, 3),"
      " s.toplevel, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 120)"
      " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
      " WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_%'"
      " ORDER BY s.total_exec_time DESC LIMIT 12");
  if (!out.ok()) {
    Note(absl::StrCat("pg_stat_statements: ", out.status().message()));
    return;
  }
  Note(absl::StrCat("pg_stat_statements (db ", t.db, "): calls | total ms | mean ms | toplevel | query"));
  Indented(*out);
  out = t.pg->Psql(
      t.db,
      "SELECT relname, n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count,"
      " pg_size_pretty(pg_table_size(relid)), pg_size_pretty(pg_indexes_size(relid))"
      " FROM pg_stat_user_tables WHERE n_tup_upd + n_tup_del + n_tup_ins > 1000"
      " ORDER BY n_tup_upd + n_tup_del DESC LIMIT 8");
  if (out.ok()) {
    Note("tables: name | live | dead | updated | HOT updated | autovacuums | heap | indexes");
    Indented(*out);
  }
}

// ----------------------------------------------------------- environment
absl::StatusOr<std::unique_ptr<dt::PostgresServer>> StartPostgres(bool sql_stats) {
  auto pg = dt::PostgresServer::Start(
      dt::PostgresServer::Options{.fsync = true, .max_connections = 300});
  if (!pg.ok()) return pg.status();
  if (absl::Status s = (*pg)->CreateDatabase("dns"); !s.ok()) return s;
  auto version =
      (*pg)->Psql("postgres", "SHOW server_version; SHOW fsync; SHOW synchronous_commit;");
  Row("PostgreSQL",
      absl::StrCat("127.0.0.1:", (*pg)->port(), " (version, fsync, synchronous_commit: ",
                   version.ok() ? absl::StrJoin(absl::StrSplit(absl::StripAsciiWhitespace(*version),
                                                               '\n'),
                                                ", ")
                                : "?",
                   ")"));
  if (sql_stats) {
    absl::Status s = EnableSqlStats(**pg, "dns");
    Row("pg_stat_statements", s.ok() ? "on (track=all)" : std::string(s.message()));
  }
  return pg;
}

absl::StatusOr<std::unique_ptr<dt::DnsdProcess>> StartDnsd(
    dt::PostgresServer& pg, const std::string& db, const std::vector<std::string>& extra_flags,
    const std::string& label) {
  // DnsdProcess starts at debug level for tests; a benchmark runs what a
  // user runs: dnsd's default level.
  std::vector<std::string> flags = {absl::StrCat("--default_nameservers=", kNameservers)};
  if (std::none_of(extra_flags.begin(), extra_flags.end(), [](const std::string& f) {
        return absl::StartsWith(f, "--log_level=");
      })) {
    flags.push_back("--log_level=info");
  }
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  auto dnsd = dt::DnsdProcess::Start(DNSD_PATH, pg.Url(db), flags);
  if (!dnsd.ok()) return dnsd.status();
  Row(label, absl::StrCat((*dnsd)->target(), " on database ", db, ", ", absl::StrJoin(flags, " "),
                          " (log ", (*dnsd)->log_path(), ")"));
  return dnsd;
}

std::vector<std::string> ProductionCacheConfig() {
  // PowerDNS 4.7's packet and query cache defaults. With the zone cache on,
  // every cache flush the service sends a SHARED_DB server re-reads the zone
  // through a new backend connection (tens of ms of PostgreSQL CPU each), so
  // the README recommends it off for such servers; --pdns_zone_cache=true
  // measures PowerDNS's default.
  return {"cache-ttl=20", "negquery-cache-ttl=60", "query-cache-ttl=20",
          absl::GetFlag(FLAGS_pdns_zone_cache) ? "zone-cache-refresh-interval=300"
                                                : "zone-cache-refresh-interval=0"};
}

absl::Status SetCaches(dt::PdnsServer& pdns, bool on) {
  const std::string path = pdns.config_dir() + "/pdns.conf";
  std::ifstream in(path);
  if (!in) return absl::InternalError(absl::StrCat("cannot read ", path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    const bool cache_line = absl::StartsWith(line, "cache-ttl=") ||
                            absl::StartsWith(line, "negquery-cache-ttl=") ||
                            absl::StartsWith(line, "query-cache-ttl=") ||
                            absl::StartsWith(line, "zone-cache-refresh-interval=");
    if (!cache_line) lines.push_back(line);
  }
  in.close();
  if (on) {
    for (const std::string& line : ProductionCacheConfig()) lines.push_back(line);
  } else {
    for (const char* key : {"cache-ttl", "negquery-cache-ttl", "query-cache-ttl",
                            "zone-cache-refresh-interval"}) {
      lines.push_back(absl::StrCat(key, "=0"));
    }
  }
  {
    std::ofstream out(path, std::ios::trunc);
    out << absl::StrJoin(lines, "\n") << "\n";
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return pdns.Restart();
}

absl::StatusOr<PdnsFleet> StartPdnsFleet(dt::PostgresServer& pg, const std::string& db,
                                         bool shared_caches) {
  PdnsFleet fleet;
  for (int i = 0; i < 2; ++i) {
    dt::PdnsServer::Options options;
    options.backend = dt::PdnsServer::Options::Backend::kGpgsql;
    options.pg_port = pg.port();
    options.pg_dbname = db;
    options.api_key = kApiKey;
    auto p = dt::PdnsServer::Start(options);
    if (!p.ok()) return p.status();
    if (shared_caches) {
      if (absl::Status s = SetCaches(**p, true); !s.ok()) return s;
    }
    fleet.shared.push_back(*std::move(p));
  }
  dt::PdnsServer::Options options;
  options.backend = dt::PdnsServer::Options::Backend::kGsqlite3;
  options.api_key = kApiKey;
  auto p = dt::PdnsServer::Start(options);
  if (!p.ok()) return p.status();
  fleet.api = *std::move(p);
  SetApiServerConfigDir(fleet.api->config_dir());
  return fleet;
}

absl::Status RegisterFleet(const std::string& target, PdnsFleet& fleet) {
  auto servers = v1::ServerService::NewStub(NewChannel(target));
  auto reg = [&](const std::string& name, dt::PdnsServer& pdns, v1::ServerMode mode,
                 const std::string& caches) -> absl::Status {
    v1::RegisterServerRequest req;
    req.mutable_server()->set_name(name);
    req.mutable_server()->set_api_url(pdns.api_url());
    req.mutable_server()->set_api_key(kApiKey);
    req.mutable_server()->set_dns_address(pdns.dns_address());
    req.mutable_server()->set_mode(mode);
    v1::Server resp;
    grpc::Status s = servers->RegisterServer(Ctx().get(), req, &resp);
    Row(absl::StrCat("pdns_server ", name, " (", v1::ServerMode_Name(mode), ")"),
        absl::StrCat("DNS ", pdns.dns_address(), ", API ", pdns.api_url(), ", caches ", caches,
                     ": ",
                     s.ok() ? absl::StrCat("registered, ", v1::ServerStatus_Name(resp.status()),
                                           " ", resp.version())
                            : StatusText(s)));
    if (!s.ok()) return absl::UnavailableError(absl::StrCat("RegisterServer ", name));
    return absl::OkStatus();
  };
  auto caches = [](dt::PdnsServer& pdns) {
    std::ifstream in(pdns.config_dir() + "/pdns.conf");
    std::stringstream text;
    text << in.rdbuf();
    if (!absl::StrContains(text.str(), "\ncache-ttl=20")) return "off";
    return absl::StrContains(text.str(), "\nzone-cache-refresh-interval=0")
               ? "on (PowerDNS defaults, zone cache off)"
               : "on (PowerDNS defaults)";
  };
  for (size_t i = 0; i < fleet.shared.size(); ++i) {
    const std::string name = i == 0 ? "shared-a" : "shared-b";
    if (absl::Status s = reg(name, *fleet.shared[i], v1::SERVER_MODE_SHARED_DB,
                             caches(*fleet.shared[i]));
        !s.ok()) {
      return s;
    }
  }
  return reg(kApiServer, *fleet.api, v1::SERVER_MODE_API, caches(*fleet.api));
}

void SummaryLine(const std::string& what, const std::string& value, const std::string& target,
                 const char* verdict) {
  std::printf("  %-48s %16s   %-10s %s\n", what.c_str(), value.c_str(), target.c_str(), verdict);
}

const char* Verdict(double v, double target, bool at_least) {
  if (std::isnan(v)) return "n/a";
  return (at_least ? v >= target : v <= target) ? "PASS" : "FAIL";
}

absl::StatusOr<PdnsFleet> StartAndRegisterFleet(dt::PostgresServer& pg, const std::string& db,
                                                bool shared_caches, const std::string& target) {
  absl::StatusOr<PdnsFleet> fleet = StartPdnsFleet(pg, db, shared_caches);
  if (!fleet.ok()) {
    std::fprintf(stderr, "pdns_server: %s\n", std::string(fleet.status().message()).c_str());
    return fleet.status();
  }
  if (absl::Status s = RegisterFleet(target, *fleet); !s.ok()) {
    std::fprintf(stderr, "registering the fleet: %s\n", std::string(s.message()).c_str());
    return s;
  }
  return fleet;
}

absl::StatusOr<Environment> StartEnvironment() {
  Section("Environment");
  Environment env;
  auto pg = StartPostgres(/*sql_stats=*/false);
  if (!pg.ok()) {
    std::fprintf(stderr, "PostgreSQL: %s\n", std::string(pg.status().message()).c_str());
    return pg.status();
  }
  env.pg = *std::move(pg);
  auto dnsd = StartDnsd(*env.pg, "dns", {});
  if (!dnsd.ok()) {
    std::fprintf(stderr, "dnsd: %s\n", std::string(dnsd.status().message()).c_str());
    return dnsd.status();
  }
  env.dnsd = *std::move(dnsd);
  auto fleet = StartAndRegisterFleet(*env.pg, "dns", /*shared_caches=*/true, env.dnsd->target());
  if (!fleet.ok()) return fleet.status();
  env.fleet = *std::move(fleet);
  return env;
}

bool CreateHostedZones(const std::string& target, int from, int to, int threads,
                       const std::function<std::string(int)>& name, const std::string& ip) {
  auto stub = v1::ZoneService::NewStub(NewChannel(target));
  auto rrset = [](const std::string& owner, const std::string& type, const std::string& content) {
    v1::RRset r;
    r.set_name(owner);
    r.set_type(type);
    r.set_ttl_seconds(300);
    r.add_records()->set_content(content);
    return r;
  };
  std::atomic<int> next{from};
  ErrorLog errors;
  Clock::duration wall = RunThreads(threads, [&](int) {
    for (int i = next.fetch_add(1); i < to; i = next.fetch_add(1)) {
      const std::string zone = name(i);
      v1::CreateZoneRequest req;
      req.mutable_zone()->set_name(zone);
      req.mutable_zone()->set_account(absl::StrCat("acct-", i % 50));
      *req.mutable_zone()->add_rrsets() = rrset(zone, "A", ip);
      *req.mutable_zone()->add_rrsets() = rrset("www." + zone, "A", ip);
      *req.mutable_zone()->add_rrsets() = rrset("mail." + zone, "A", "203.0.113.5");
      *req.mutable_zone()->add_rrsets() = rrset(zone, "MX", "10 mail." + zone);
      *req.mutable_zone()->add_rrsets() = rrset(zone, "TXT", "\"v=spf1 mx -all\"");
      v1::Zone created;
      grpc::Status s = stub->CreateZone(Ctx().get(), req, &created);
      if (!s.ok()) errors.Add(absl::StrCat(zone, ": ", StatusText(s)));
    }
  });
  Row("zones created", absl::StrCat(to - from - errors.count(), " in ", F(Ms(wall) / 1000, " s")));
  errors.Print();
  return errors.count() == 0;
}

bool WaitInSync(dt::PostgresServer& pg, absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  std::string last;
  while (absl::Now() < until) {
    absl::StatusOr<std::string> pending =
        pg.Psql("dns", "SELECT count(*) FROM dnsv1.zone_servers WHERE state <> 'IN_SYNC'");
    if (pending.ok()) {
      last = std::string(absl::StripAsciiWhitespace(*pending));
      if (last == "0") return true;
    }
    absl::SleepFor(absl::Seconds(1));
  }
  Note(absl::StrCat("still not in sync: ", last, " rows pending"));
  return false;
}

}  // namespace dns::bench
