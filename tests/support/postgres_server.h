// A private PostgreSQL 15 server for integration tests: initdb in a temporary
// directory, `postgres` run as user postgres on a free 127.0.0.1 port with
// trust authentication for user postgres. StartStandby() makes a streaming
// hot standby of such a server (pg_basebackup -R), for code that reads a
// replica which lags behind the primary.
#ifndef DNS_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define DNS_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"

namespace dns::testing {

class PostgresServer {
 public:
  struct Options {
    bool fsync = false;
    int max_connections = 300;
  };

  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start() {
    return Start(Options());
  }

  // A streaming hot standby of `primary` (which must be running) in its own
  // temporary directory on its own free port: pg_basebackup -R -X stream,
  // then started and waited for until it accepts connections and is in
  // recovery. `max_connections` is raised to the primary's if lower (a hot
  // standby refuses to start with fewer). Stop(), Kill(), Restart() and the
  // destructor work on it as on a primary; it restarts as a standby.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> StartStandby(
      const PostgresServer& primary, Options options);
  static absl::StatusOr<std::unique_ptr<PostgresServer>> StartStandby(
      const PostgresServer& primary) {
    return StartStandby(primary, Options());
  }

  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;
  // Stops the server (fast shutdown) and removes its directory.
  ~PostgresServer();

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  // "postgresql://postgres@127.0.0.1:PORT/DB".
  std::string Url(std::string_view db = "postgres") const;
  // libpq key/value form: "host=127.0.0.1 port=PORT user=postgres dbname=DB".
  std::string ConnectionString(std::string_view db = "postgres") const;

  // CREATE DATABASE "name" (via psql).
  absl::Status CreateDatabase(std::string_view name);
  // Runs SQL text through psql (ON_ERROR_STOP) and returns its unaligned,
  // tuples-only output (columns separated by '|').
  absl::StatusOr<std::string> Psql(std::string_view db,
                                   std::string_view sql) const;
  // Runs an SQL file through psql (ON_ERROR_STOP, one transaction).
  absl::Status LoadSqlFile(std::string_view db, const std::string& path);

  // Fast shutdown (pg_ctl stop -m fast) and waits for the process to exit.
  absl::Status Stop();
  // SIGKILL to the postmaster and all its children (a crash).
  absl::Status Kill();
  // Stops it if running, then starts it again on the same port and directory.
  absl::Status Restart();
  bool Running();
  // The last part of the server log.
  std::string LogTail(size_t max_bytes = 4096) const;

  // Standbys. True while the server is in recovery (SELECT
  // pg_is_in_recovery()).
  absl::StatusOr<bool> IsStandby() const;
  // pg_wal_replay_pause(): no WAL record after the call is applied until
  // ResumeReplay(), so the primary's later commits stay invisible here.
  absl::Status PauseReplay();
  // pg_wal_replay_resume().
  absl::Status ResumeReplay();
  // Polls until this standby has replayed the primary's WAL up to the
  // primary's pg_current_wal_lsn() as of the call: everything the primary
  // committed before the call is then visible here. DeadlineExceeded after
  // `timeout` (e.g. while replay is paused); FailedPrecondition if this
  // server is not a standby.
  absl::Status WaitForReplay(const PostgresServer& primary,
                             absl::Duration timeout);

 private:
  explicit PostgresServer(Options options) : options_(options) {}
  absl::Status Launch();
  // Waits until the server answers queries and pg_is_in_recovery() is true.
  absl::Status WaitUntilInRecovery(absl::Duration timeout);

  Options options_;
  bool standby_ = false;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string base_dir_;
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_path_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace dns::testing

#endif  // DNS_TESTS_SUPPORT_POSTGRES_SERVER_H_
