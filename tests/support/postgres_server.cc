#include "tests/support/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace dns::testing {
namespace {

constexpr char kPgBin[] = "/usr/lib/postgresql/15/bin";
constexpr char kPgUser[] = "postgres";

absl::Status ChownToPostgres(const std::string& path) {
  struct passwd* pw = getpwnam(kPgUser);
  if (pw == nullptr) {
    return absl::FailedPreconditionError(
        "user postgres does not exist (install Debian's postgresql package)");
  }
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return absl::InternalError(
        absl::StrCat("chown ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Makes sure `data_dir`'s pg_hba.conf lets user postgres open replication
// connections from 127.0.0.1 without a password, which StartStandby()'s
// pg_basebackup and the standby's walreceiver need. initdb -A trust writes
// such a line today; should it not, ours goes first, since the first
// matching line decides.
absl::Status AllowLoopbackReplication(const std::string& data_dir) {
  const std::string path = data_dir + "/pg_hba.conf";
  absl::StatusOr<std::string> hba = ReadFile(path);
  if (!hba.ok()) return hba.status();
  for (absl::string_view line : absl::StrSplit(*hba, '\n')) {
    line = line.substr(0, line.find('#'));
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (f.size() == 5 && f[0] == "host" && f[1] == "replication" &&
        (f[2] == "all" || f[2] == "postgres") && f[3] == "127.0.0.1/32" &&
        f[4] == "trust") {
      return absl::OkStatus();
    }
  }
  // Rewritten in place: the file keeps its owner (postgres) and mode.
  std::ofstream out(path, std::ios::trunc);
  out << "# Streaming standbys of this test server (pg_basebackup -R).\n"
      << "host replication postgres 127.0.0.1/32 trust\n"
      << *hba;
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    Options options) {
  std::unique_ptr<PostgresServer> server(new PostgresServer(options));
  server->base_dir_ = MakeTempDir("pgtest");
  server->data_dir_ = server->base_dir_ + "/data";
  server->socket_dir_ = server->base_dir_;
  server->log_path_ = server->base_dir_ + "/postgres.log";
  if (absl::Status s = ChownToPostgres(server->base_dir_); !s.ok()) return s;
  // The directory must be traversable by postgres; mkdtemp made it 0700.
  chmod(server->base_dir_.c_str(), 0700);

  absl::StatusOr<std::string> init = RunCommand(
      absl::StrCat("runuser -u postgres -- ", kPgBin, "/initdb -D ",
                   ShellQuote(server->data_dir_),
                   " -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >",
                   ShellQuote(server->base_dir_ + "/initdb.log"), " 2>&1"));
  if (!init.ok()) {
    return absl::InternalError(
        absl::StrCat("initdb failed: ", init.status().message(), "\n",
                     ReadFileTail(server->base_dir_ + "/initdb.log")));
  }
  // wal_level (replica) and max_wal_senders (10) are PostgreSQL 15's
  // defaults and enough for standbys; only pg_hba.conf needs a look.
  if (absl::Status s = AllowLoopbackReplication(server->data_dir_); !s.ok()) {
    return s;
  }
  server->port_ = FreeTcpPort();
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  spdlog::info("PostgreSQL on 127.0.0.1:{} (data {})", server->port_,
               server->data_dir_);
  return server;
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::StartStandby(
    const PostgresServer& primary, Options options) {
  // A hot standby refuses to start with fewer connections than its primary
  // (its lock tables must hold what the primary's WAL can replay into them).
  options.max_connections =
      std::max(options.max_connections, primary.options_.max_connections);
  std::unique_ptr<PostgresServer> server(new PostgresServer(options));
  server->standby_ = true;
  server->base_dir_ = MakeTempDir("pgstandby");
  server->data_dir_ = server->base_dir_ + "/data";
  server->socket_dir_ = server->base_dir_;
  server->log_path_ = server->base_dir_ + "/postgres.log";
  if (absl::Status s = ChownToPostgres(server->base_dir_); !s.ok()) return s;
  chmod(server->base_dir_.c_str(), 0700);

  // -R writes standby.signal and primary_conninfo (127.0.0.1, the primary's
  // port, user postgres); -X stream copies the WAL written during the copy,
  // so the standby is consistent as soon as it has replayed it. A fast
  // checkpoint and no fsync keep this to about a second.
  const std::string backup_log = server->base_dir_ + "/basebackup.log";
  absl::StatusOr<std::string> backup = RunCommand(absl::StrCat(
      "runuser -u postgres -- ", kPgBin, "/pg_basebackup -h 127.0.0.1 -p ",
      primary.port_, " -U postgres -D ", ShellQuote(server->data_dir_),
      " -R -X stream --checkpoint=fast --no-sync >", ShellQuote(backup_log),
      " 2>&1"));
  if (!backup.ok()) {
    return absl::InternalError(
        absl::StrCat("pg_basebackup failed: ", backup.status().message(), "\n",
                     ReadFileTail(backup_log)));
  }
  server->port_ = FreeTcpPort();
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  if (absl::Status s = server->WaitUntilInRecovery(absl::Seconds(30));
      !s.ok()) {
    return s;
  }
  spdlog::info("PostgreSQL standby of 127.0.0.1:{} on 127.0.0.1:{} (data {})",
               primary.port_, server->port_, server->data_dir_);
  return server;
}

absl::Status PostgresServer::Launch() {
  // The log file is opened by this (root) process and handed over as
  // stdout/stderr, so its owner does not matter.
  std::vector<std::string> argv = {
      "runuser", "-u", kPgUser, "--", absl::StrCat(kPgBin, "/postgres"), "-D",
      data_dir_, "-p", absl::StrCat(port_), "-k", socket_dir_, "-c",
      "listen_addresses=127.0.0.1", "-c",
      absl::StrCat("fsync=", options_.fsync ? "on" : "off"), "-c",
      absl::StrCat("max_connections=", options_.max_connections), "-c",
      absl::StrCat("full_page_writes=", options_.fsync ? "on" : "off")};
  if (standby_) {
    // The default, but a standby that takes no queries is useless here.
    argv.insert(argv.end(), {"-c", "hot_standby=on"});
  }
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv), {{"LC_ALL", "C.UTF-8"}}, log_path_);
  if (!process.ok()) return process.status();
  process_ = std::move(*process);

  absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::string ready_cmd = absl::StrCat("pg_isready -q -h 127.0.0.1 -p ", port_,
                                       " -U postgres -t 2");
  while (true) {
    if (!process_->Running()) {
      return absl::InternalError(absl::StrCat(
          "postgres exited with status ", process_->Wait(),
          " before accepting connections; log tail:\n", LogTail()));
    }
    if (RunCommand(ready_cmd).ok()) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      (void)Kill();
      return absl::DeadlineExceededError(absl::StrCat(
          "postgres not ready after 30 s; log tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

PostgresServer::~PostgresServer() {
  if (process_ != nullptr && process_->Running()) {
    if (absl::Status s = Stop(); !s.ok()) {
      spdlog::warn("PostgreSQL stop: {}", s.ToString());
      (void)Kill();
    }
  }
  process_.reset();
  RemoveTempDir(base_dir_);
}

std::string PostgresServer::Url(std::string_view db) const {
  return absl::StrCat("postgresql://postgres@", host_, ":", port_, "/",
                      std::string(db));
}

std::string PostgresServer::ConnectionString(std::string_view db) const {
  return absl::StrCat("host=", host_, " port=", port_,
                      " user=postgres dbname=", std::string(db));
}

absl::Status PostgresServer::CreateDatabase(std::string_view name) {
  return Psql("postgres", absl::StrCat("CREATE DATABASE ", QuoteIdent(name)))
      .status();
}

absl::StatusOr<std::string> PostgresServer::Psql(std::string_view db,
                                                 std::string_view sql) const {
  return RunCommand(absl::StrCat(
      "psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ", port_,
      " -U postgres -d ", ShellQuote(db), " -c ", ShellQuote(sql)));
}

absl::Status PostgresServer::LoadSqlFile(std::string_view db,
                                         const std::string& path) {
  return RunCommand(
             absl::StrCat("psql -X -q -v ON_ERROR_STOP=1 -1 -h 127.0.0.1 -p ",
                          port_, " -U postgres -d ", ShellQuote(db), " -f ",
                          ShellQuote(path), " >/dev/null"))
      .status();
}

absl::Status PostgresServer::Stop() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  absl::StatusOr<std::string> out = RunCommand(
      absl::StrCat("runuser -u postgres -- ", kPgBin, "/pg_ctl stop -D ",
                   ShellQuote(data_dir_), " -m fast -w -t 30"));
  if (!out.ok()) {
    spdlog::warn("pg_ctl stop: {}", out.status().ToString());
  }
  std::optional<int> status = process_->WaitFor(absl::Seconds(30));
  if (!status.has_value()) {
    (void)Kill();
    return absl::DeadlineExceededError(
        "postgres did not stop within 30 s; killed");
  }
  return absl::OkStatus();
}

absl::Status PostgresServer::Kill() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  // The postmaster's children call setsid(), so a signal to the wrapper's
  // process group misses them: kill the postmaster and its children by pid.
  pid_t postmaster = 0;
  std::ifstream pidfile(data_dir_ + "/postmaster.pid");
  std::string line;
  if (std::getline(pidfile, line)) (void)absl::SimpleAtoi(line, &postmaster);
  std::vector<pid_t> victims;
  if (postmaster > 0) {
    // Children are listed before the postmaster dies (they are reparented
    // then); the postmaster is killed first so it restarts none of them.
    victims.push_back(postmaster);
    for (pid_t child : ChildPids(postmaster)) victims.push_back(child);
  }
  for (pid_t pid : victims) kill(pid, SIGKILL);
  (void)process_->Signal(SIGKILL);
  process_->Wait();
  // Wait until the killed children are gone so a restart finds no shared
  // memory still attached.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (pid_t pid : victims) {
    while (ProcessAlive(pid) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  // Everything is dead. The lock files name the old postmaster, which may be
  // an unreaped zombie for a while (and so look alive): remove them, or the
  // next start refuses to run.
  std::remove((data_dir_ + "/postmaster.pid").c_str());
  std::remove(absl::StrCat(socket_dir_, "/.s.PGSQL.", port_, ".lock").c_str());
  return absl::OkStatus();
}

absl::Status PostgresServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Launch();
}

bool PostgresServer::Running() {
  return process_ != nullptr && process_->Running();
}

std::string PostgresServer::LogTail(size_t max_bytes) const {
  return ReadFileTail(log_path_, max_bytes);
}

absl::StatusOr<bool> PostgresServer::IsStandby() const {
  absl::StatusOr<std::string> out =
      Psql("postgres", "SELECT pg_is_in_recovery()");
  if (!out.ok()) return out.status();
  absl::string_view value = absl::StripAsciiWhitespace(*out);
  if (value == "t") return true;
  if (value == "f") return false;
  return absl::InternalError(
      absl::StrCat("pg_is_in_recovery() returned '", value, "'"));
}

absl::Status PostgresServer::WaitUntilInRecovery(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<bool> standby = IsStandby();
    if (standby.ok() && *standby) return absl::OkStatus();
    if (standby.ok() || absl::Now() >= deadline) {
      // Not in recovery means it was promoted or never was a standby:
      // waiting longer does not change that.
      return absl::FailedPreconditionError(
          absl::StrCat("127.0.0.1:", port_, " is not a standby in recovery (",
                       standby.ok() ? "pg_is_in_recovery() is false"
                                    : std::string(standby.status().message()),
                       "); log tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status PostgresServer::PauseReplay() {
  // Replay checks the pause request before each WAL record, so nothing the
  // primary commits after this returns is applied. The state may read
  // "pause requested" rather than "paused" until the next record arrives.
  return Psql("postgres", "SELECT pg_wal_replay_pause()").status();
}

absl::Status PostgresServer::ResumeReplay() {
  return Psql("postgres", "SELECT pg_wal_replay_resume()").status();
}

absl::Status PostgresServer::WaitForReplay(const PostgresServer& primary,
                                           absl::Duration timeout) {
  absl::StatusOr<std::string> target =
      primary.Psql("postgres", "SELECT pg_current_wal_lsn()");
  if (!target.ok()) return target.status();
  const std::string lsn(absl::StripAsciiWhitespace(*target));
  // The comparison is done by PostgreSQL (pg_lsn), not by parsing "X/Y".
  const std::string query = absl::StrCat(
      "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn() >= '", lsn,
      "'::pg_lsn, false), pg_last_wal_replay_lsn()");
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (true) {
    absl::StatusOr<std::string> out = Psql("postgres", query);
    if (out.ok()) {
      std::vector<std::string> fields =
          absl::StrSplit(absl::StripAsciiWhitespace(*out), '|');
      if (fields.size() == 3 && fields[0] == "f") {
        return absl::FailedPreconditionError(
            absl::StrCat("127.0.0.1:", port_, " is not a standby"));
      }
      if (fields.size() == 3 && fields[1] == "t") return absl::OkStatus();
      last = absl::StrCat("replayed up to ",
                          fields.size() == 3 ? fields[2] : *out);
    } else {
      last = std::string(out.status().message());
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("standby 127.0.0.1:", port_, " did not replay up to ",
                       lsn, " of 127.0.0.1:", primary.port_, " within ",
                       absl::FormatDuration(timeout), ": ", last));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace dns::testing
