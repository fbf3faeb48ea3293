// The real dnsd daemon as a child process, for end-to-end tests. Tests get
// the binary's path from the DNSD_PATH compile definition.
#ifndef DNS_TESTS_SUPPORT_DNSD_PROCESS_H_
#define DNS_TESTS_SUPPORT_DNSD_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dns::testing {

// `dnsd token create NAME --role=ROLE` straight on the database (the way
// the first token is made); the secret it printed.
absl::StatusOr<std::string> CreateTokenOnDatabase(const std::string& dnsd_path,
                                                  const std::string& database_url,
                                                  const std::string& name,
                                                  const std::string& role);

class DnsdProcess {
 public:
  // Runs `dnsd --listen=127.0.0.1:PORT --database_url=URL --log_level=debug
  // <extra_flags>` on a free port and waits (30 s) until the port accepts
  // connections. Authentication is off (--auth=false) unless `extra_flags`
  // set --auth. If dnsd exits first the error carries its log's tail.
  static absl::StatusOr<std::unique_ptr<DnsdProcess>> Start(
      std::string dnsd_path, std::string database_url,
      std::vector<std::string> extra_flags = {});

  DnsdProcess(const DnsdProcess&) = delete;
  DnsdProcess& operator=(const DnsdProcess&) = delete;
  // Stops it and removes its directory.
  ~DnsdProcess();

  // "127.0.0.1:PORT", for grpc::CreateChannel.
  std::string target() const;
  int port() const { return port_; }
  // Its /metrics, /healthz and /readyz port on 127.0.0.1.
  int metrics_port() const { return metrics_port_; }
  // The running process's id (0 when it is not running).
  pid_t pid() const { return process_ ? process_->pid() : 0; }
  const std::string& log_path() const { return log_path_; }
  // The whole log so far.
  std::string ReadLog() const;
  std::string LogTail(size_t max_bytes = 4096) const;
  // Exit status if it has exited.
  bool Running();

  // SIGKILL and wait.
  absl::Status Kill();
  // SIGTERM and wait (SIGKILL after 10 s).
  absl::Status Stop();
  // Stops it if running and starts it again with the same port and flags.
  absl::Status Restart();

 private:
  DnsdProcess() = default;
  absl::Status Launch();

  std::string dnsd_path_;
  std::string database_url_;
  std::vector<std::string> extra_flags_;
  std::string dir_;
  std::string log_path_;
  int port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace dns::testing

#endif  // DNS_TESTS_SUPPORT_DNSD_PROCESS_H_
