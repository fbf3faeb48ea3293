#include "tests/support/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
  server->port_ = FreeTcpPort();
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  spdlog::info("PostgreSQL on 127.0.0.1:{} (data {})", server->port_,
               server->data_dir_);
  return server;
}

absl::Status PostgresServer::Launch() {
  // The log file is opened by this (root) process and handed over as
  // stdout/stderr, so its owner does not matter.
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(
      {"runuser", "-u", kPgUser, "--", absl::StrCat(kPgBin, "/postgres"), "-D",
       data_dir_, "-p", absl::StrCat(port_), "-k", socket_dir_, "-c",
       "listen_addresses=127.0.0.1", "-c",
       absl::StrCat("fsync=", options_.fsync ? "on" : "off"), "-c",
       absl::StrCat("max_connections=", options_.max_connections), "-c",
       absl::StrCat("full_page_writes=", options_.fsync ? "on" : "off")},
      {{"LC_ALL", "C.UTF-8"}}, log_path_);
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
                                                 std::string_view sql) {
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

}  // namespace dns::testing
