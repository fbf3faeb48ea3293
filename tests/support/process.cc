#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace dns::testing {
namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Builds NAME=VALUE strings: the current environment with `extra` applied.
std::vector<std::string> BuildEnv(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : extra) {
      if (k == name) overridden = true;
    }
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(absl::StrCat(k, "=", v));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool CanBind(int type, int port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

bool CanBindWildcard(int type, int port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  int high = 60999;
  if (in >> low >> high) return low;
  return 32768;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    std::vector<std::string> argv,
    std::vector<std::pair<std::string, std::string>> extra_env,
    std::string log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("open ", log_path, ": ", std::strerror(errno)));
  }
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // The child writes errno here if exec fails; a successful exec closes it.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are made.
  std::vector<std::string> argv_copy = argv;
  std::vector<char*> c_argv = CStrings(argv_copy);
  std::vector<std::string> env = BuildEnv(extra_env);
  std::vector<char*> c_env = CStrings(env);

  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    close(report[0]);
    close(report[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD}) {
      signal(sig, SIG_DFL);
    }
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execvpe(c_argv[0], c_argv.data(), c_env.data());
    int err = errno;
    ssize_t unused = write(report[1], &err, sizeof(err));
    (void)unused;
    _exit(127);
  }
  // Parent. Also set the group here so a signal sent right away reaches it.
  setpgid(pid, pid);
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == sizeof(child_errno)) {
    int status;
    waitpid(pid, &status, 0);
    return absl::FailedPreconditionError(
        absl::StrCat("exec ", argv[0], ": ", std::strerror(child_errno)));
  }
  spdlog::debug("started pid {}: {} (log {})", pid, absl::StrJoin(argv, " "),
                log_path);
  return std::unique_ptr<Subprocess>(
      new Subprocess(pid, std::move(argv), std::move(log_path)));
}

Subprocess::~Subprocess() {
  if (!exit_status_.has_value()) Terminate(absl::Seconds(5));
}

bool Subprocess::Reap(bool block) {
  if (exit_status_.has_value()) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_status_ = DecodeWaitStatus(status);
    return true;
  }
  if (r < 0) {  // Not our child any more (ECHILD): treat as gone.
    exit_status_ = -1;
    return true;
  }
  return false;
}

absl::Status Subprocess::Signal(int sig) {
  if (exit_status_.has_value()) return absl::OkStatus();
  // The group may outlive its leader (children of a wrapper); signal both.
  if (kill(-pid_, sig) != 0 && kill(pid_, sig) != 0) {
    if (errno == ESRCH) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("kill ", pid_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

int Subprocess::Wait() {
  Reap(/*block=*/true);
  return *exit_status_;
}

std::optional<int> Subprocess::WaitFor(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (Reap(/*block=*/false)) return exit_status_;
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

bool Subprocess::Running() { return !Reap(/*block=*/false); }

int Subprocess::Terminate(absl::Duration grace) {
  if (exit_status_.has_value()) return *exit_status_;
  (void)Signal(SIGTERM);
  if (auto status = WaitFor(grace); status.has_value()) {
    // Leftovers in the group (if any) get no second chance.
    kill(-pid_, SIGKILL);
    return *status;
  }
  spdlog::warn("pid {} ({}) ignored SIGTERM for {}; sending SIGKILL", pid_,
               argv_[0], absl::FormatDuration(grace));
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  return Wait();
}

int FreeTcpPort() {
  static std::mutex mu;
  static std::set<int>* handed_out = new std::set<int>();
  static std::mt19937* rng = new std::mt19937(std::random_device{}() ^
                                              static_cast<unsigned>(getpid()));
  std::lock_guard<std::mutex> lock(mu);
  int high = EphemeralLow() - 1;
  int low = 10000;
  if (high <= low + 1000) {
    low = 1024;
  }
  std::uniform_int_distribution<int> dist(low, high);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int port = dist(*rng);
    if (handed_out->count(port) != 0) continue;
    if (!CanBind(SOCK_STREAM, port) || !CanBind(SOCK_DGRAM, port)) continue;
    if (!CanBindWildcard(SOCK_STREAM, port) ||
        !CanBindWildcard(SOCK_DGRAM, port)) {
      continue;
    }
    handed_out->insert(port);
    return port;
  }
  // Fall back to the kernel's choice.
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    if (port != 0 && handed_out->count(port) == 0 &&
        CanBind(SOCK_DGRAM, port)) {
      handed_out->insert(port);
      return port;
    }
  }
  spdlog::critical("FreeTcpPort: no free port found");
  abort();
}

bool WaitForTcpPort(int port, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok =
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

absl::StatusOr<std::string> RunCommand(std::string shell_command) {
  std::string dir = MakeTempDir("runcmd");
  std::string err_path = dir + "/stderr";
  std::string wrapped =
      absl::StrCat("{ ", shell_command, "\n} 2>", ShellQuote(err_path));
  FILE* pipe = popen(wrapped.c_str(), "re");
  if (pipe == nullptr) {
    std::filesystem::remove_all(dir);
    return absl::InternalError(absl::StrCat("popen: ", std::strerror(errno)));
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  std::string err = ReadFileTail(err_path, 8192);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (status == -1) {
    return absl::InternalError(absl::StrCat("pclose: ", std::strerror(errno)));
  }
  int code = DecodeWaitStatus(status);
  if (code != 0) {
    return absl::InternalError(
        absl::StrCat("command failed (exit ", code, "): ", shell_command,
                     "\nstderr: ", err, "\nstdout: ", out));
  }
  return out;
}

std::string MakeTempDir(std::string prefix) {
  const char* tmp = getenv("TMPDIR");
  std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  std::string templ = absl::StrCat(base, "/", prefix, ".XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    spdlog::critical("mkdtemp {}: {}", templ, std::strerror(errno));
    abort();
  }
  return templ;
}

void RemoveTempDir(const std::string& path) {
  if (path.empty()) return;
  const char* keep = getenv("DNS_TEST_KEEP_TMP");
  if (keep != nullptr && *keep != '\0' && std::string_view(keep) != "0") {
    spdlog::info("keeping {} (DNS_TEST_KEEP_TMP)", path);
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) spdlog::warn("remove {}: {}", path, ec.message());
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start =
      size > static_cast<std::streamoff>(max_bytes) ? size - max_bytes : 0;
  in.seekg(start);
  std::string out(static_cast<size_t>(size - start), '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<pid_t> ChildPids(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    int child = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &child)) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    // Format: pid (comm) state ppid ...; comm may contain spaces/parens.
    size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(close_paren + 1), ' ', absl::SkipEmpty());
    int ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid) &&
        ppid == pid) {
      out.push_back(child);
    }
  }
  return out;
}

bool ProcessAlive(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat;
  if (!std::getline(in, stat)) return false;
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) {
    return false;
  }
  char state = stat[close_paren + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace dns::testing
