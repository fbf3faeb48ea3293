#include "tests/support/dnsd_process.h"

#include <signal.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace dns::testing {

absl::StatusOr<std::unique_ptr<DnsdProcess>> DnsdProcess::Start(
    std::string dnsd_path, std::string database_url,
    std::vector<std::string> extra_flags) {
  std::unique_ptr<DnsdProcess> dnsd(new DnsdProcess());
  dnsd->dnsd_path_ = std::move(dnsd_path);
  dnsd->database_url_ = std::move(database_url);
  dnsd->extra_flags_ = std::move(extra_flags);
  dnsd->dir_ = MakeTempDir("dnsdtest");
  dnsd->log_path_ = dnsd->dir_ + "/dnsd.log";
  dnsd->port_ = FreeTcpPort();
  dnsd->metrics_port_ = FreeTcpPort();
  if (absl::Status s = dnsd->Launch(); !s.ok()) return s;
  spdlog::info("dnsd on {} (log {})", dnsd->target(), dnsd->log_path_);
  return dnsd;
}

absl::Status DnsdProcess::Launch() {
  std::vector<std::string> argv = {
      dnsd_path_, absl::StrCat("--listen=", target()),
      absl::StrCat("--database_url=", database_url_), "--log_level=debug",
      absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port_)};
  // Tests of everything but authentication call without tokens; the ones
  // about it pass --auth=true.
  if (std::none_of(extra_flags_.begin(), extra_flags_.end(), [](const std::string& f) {
        return absl::StartsWith(f, "--auth=") || f == "--auth";
      })) {
    argv.push_back("--auth=false");
  }
  argv.insert(argv.end(), extra_flags_.begin(), extra_flags_.end());
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(std::move(argv), {}, log_path_);
  if (!process.ok()) return process.status();
  process_ = std::move(*process);

  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    if (!process_->Running()) {
      return absl::InternalError(absl::StrCat(
          "dnsd exited with status ", process_->Wait(), " before listening on ",
          target(), "; log tail:\n", LogTail()));
    }
    if (WaitForTcpPort(port_, absl::ZeroDuration())) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      (void)Kill();
      return absl::DeadlineExceededError(
          absl::StrCat("dnsd not listening on ", target(),
                       " after 30 s; log tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

DnsdProcess::~DnsdProcess() {
  if (process_ != nullptr) process_->Terminate(absl::Seconds(10));
  process_.reset();
  RemoveTempDir(dir_);
}

std::string DnsdProcess::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::string DnsdProcess::ReadLog() const {
  absl::StatusOr<std::string> log = ReadFile(log_path_);
  return log.ok() ? *log : "";
}

std::string DnsdProcess::LogTail(size_t max_bytes) const {
  return ReadFileTail(log_path_, max_bytes);
}

bool DnsdProcess::Running() {
  return process_ != nullptr && process_->Running();
}

absl::Status DnsdProcess::Kill() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  absl::Status s = process_->Signal(SIGKILL);
  process_->Wait();
  return s;
}

absl::Status DnsdProcess::Stop() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  int status = process_->Terminate(absl::Seconds(10));
  if (status != 0 && status != 128 + SIGTERM) {
    return absl::InternalError(
        absl::StrCat("dnsd exited with status ", status, " on SIGTERM"));
  }
  return absl::OkStatus();
}

absl::Status DnsdProcess::Restart() {
  if (absl::Status s = Stop(); !s.ok()) {
    spdlog::warn("dnsd stop before restart: {}", s.ToString());
  }
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    last = Launch();
    if (last.ok()) return last;
    absl::SleepFor(absl::Milliseconds(500));
  }
  return last;
}

absl::StatusOr<std::string> CreateTokenOnDatabase(const std::string& dnsd_path,
                                                  const std::string& database_url,
                                                  const std::string& name,
                                                  const std::string& role) {
  absl::StatusOr<std::string> out =
      RunCommand(absl::StrCat(dnsd_path, " token create ", name, " --role=", role,
                              " --log_level=warn --database_url='", database_url, "'"));
  if (!out.ok()) return out.status();
  return std::string(absl::StripAsciiWhitespace(*out));
}

}  // namespace dns::testing
