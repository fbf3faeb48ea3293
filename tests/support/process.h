// Process helpers for integration tests: child processes in their own process
// group with output to a log file, free loopback ports, shell commands and
// temporary directories.
#ifndef DNS_TESTS_SUPPORT_PROCESS_H_
#define DNS_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace dns::testing {

// A child process started with fork/execvp in its own process group, with
// stdin from /dev/null and stdout and stderr appended to a log file. The
// destructor sends SIGTERM to the group, SIGKILL after 5 s, and reaps it.
class Subprocess {
 public:
  // Starts argv[0] (looked up in PATH) with argv. `extra_env` is added to (or
  // overrides) the current environment. Fails if the program cannot be
  // executed.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      std::vector<std::string> argv,
      std::vector<std::pair<std::string, std::string>> extra_env,
      std::string log_path);

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // Sends `sig` to the whole process group. OK if it has already exited.
  absl::Status Signal(int sig);

  // Blocks until the process exits and returns its exit code, or 128 + signal
  // number if a signal ended it. Returns the saved status on later calls.
  int Wait();

  // Waits at most `timeout`; the exit status if it exited, nullopt otherwise.
  std::optional<int> WaitFor(absl::Duration timeout);

  // True until the process has exited (reaps it if it has).
  bool Running();

  // SIGTERM to the group, SIGKILL after `grace`; returns the exit status.
  int Terminate(absl::Duration grace = absl::Seconds(5));

 private:
  Subprocess(pid_t pid, std::vector<std::string> argv, std::string log_path)
      : pid_(pid), argv_(std::move(argv)), log_path_(std::move(log_path)) {}
  bool Reap(bool block);

  pid_t pid_;
  std::vector<std::string> argv_;
  std::string log_path_;
  std::optional<int> exit_status_;
};

// A port number on 127.0.0.1 that is free for both TCP and UDP right now.
// Chosen below the kernel's ephemeral range, so outgoing connections never
// take it while a server restarts on it; never the same twice per process.
int FreeTcpPort();

// Polls until a TCP connect to 127.0.0.1:port succeeds or `timeout` passes.
bool WaitForTcpPort(int port, absl::Duration timeout);

// Runs `shell_command` with /bin/sh and returns its stdout. A non-zero exit is
// an error whose message has the command, the exit code and its stderr.
absl::StatusOr<std::string> RunCommand(std::string shell_command);

// Creates a fresh directory under $TMPDIR (or /tmp) named prefix.XXXXXX and
// returns its path. Aborts on failure (tests cannot go on without it).
std::string MakeTempDir(std::string prefix);

// Removes a directory tree unless DNS_TEST_KEEP_TMP is set in the
// environment (then it logs where it was kept).
void RemoveTempDir(const std::string& path);

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(std::string_view s);

// The last `max_bytes` of a file ("" if it cannot be read).
std::string ReadFileTail(const std::string& path, size_t max_bytes = 4096);

// Whole file contents.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// PIDs of the processes whose parent is `pid` (read from /proc).
std::vector<pid_t> ChildPids(pid_t pid);

// True if `pid` exists and is not a zombie.
bool ProcessAlive(pid_t pid);

}  // namespace dns::testing

#endif  // DNS_TESTS_SUPPORT_PROCESS_H_
