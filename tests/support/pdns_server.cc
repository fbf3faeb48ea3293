#include "tests/support/pdns_server.h"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace dns::testing {
namespace {

constexpr char kSqliteSchema[] =
    "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
constexpr absl::Duration kStartTimeout = absl::Seconds(30);

}  // namespace

absl::StatusOr<std::unique_ptr<PdnsServer>> PdnsServer::Start(Options options) {
  std::unique_ptr<PdnsServer> server(new PdnsServer(std::move(options)));
  Options& opt = server->options_;
  server->dir_ = MakeTempDir("pdnstest");
  server->log_path_ = server->dir_ + "/pdns.log";
  server->dns_port_ = FreeTcpPort();
  server->api_port_ = FreeTcpPort();

  std::vector<std::string> conf;
  if (opt.backend == Options::Backend::kGpgsql) {
    if (opt.pg_port == 0 || opt.pg_dbname.empty()) {
      return absl::InvalidArgumentError("gpgsql needs pg_port and pg_dbname");
    }
    conf = {"launch=gpgsql",
            absl::StrCat("gpgsql-host=", opt.pg_host),
            absl::StrCat("gpgsql-port=", opt.pg_port),
            absl::StrCat("gpgsql-dbname=", opt.pg_dbname),
            absl::StrCat("gpgsql-user=", opt.pg_user),
            "gpgsql-dnssec=no"};
  } else {
    if (opt.sqlite_path.empty()) opt.sqlite_path = server->dir_ + "/pdns.db";
    if (!std::filesystem::exists(opt.sqlite_path)) {
      absl::StatusOr<std::string> created =
          RunCommand(absl::StrCat("sqlite3 ", ShellQuote(opt.sqlite_path),
                                  " < ", ShellQuote(kSqliteSchema)));
      if (!created.ok()) {
        return absl::InternalError(absl::StrCat(
            "creating the sqlite database (is the sqlite3 CLI installed?): ",
            created.status().message()));
      }
    }
    conf = {"launch=gsqlite3",
            absl::StrCat("gsqlite3-database=", opt.sqlite_path),
            "gsqlite3-dnssec=no"};
  }
  std::vector<std::string> common = {
      "local-address=127.0.0.1",
      absl::StrCat("local-port=", server->dns_port_),
      absl::StrCat("socket-dir=", server->dir_),
      "daemon=no",
      "guardian=no",
      "disable-syslog=yes",
      "write-pid=no",
      "api=yes",
      absl::StrCat("api-key=", opt.api_key),
      "webserver=yes",
      "webserver-address=127.0.0.1",
      absl::StrCat("webserver-port=", server->api_port_),
      "webserver-allow-from=127.0.0.0/8",
      "loglevel=4",
      // Every cache off: the database is the truth, reads see writes at once.
      "cache-ttl=0",
      "negquery-cache-ttl=0",
      "query-cache-ttl=0",
      "zone-cache-refresh-interval=0",
      "consistent-backends=yes",
  };
  conf.insert(conf.end(), common.begin(), common.end());
  conf.insert(conf.end(), opt.extra_config.begin(), opt.extra_config.end());
  {
    std::ofstream out(server->dir_ + "/pdns.conf");
    out << absl::StrJoin(conf, "\n") << "\n";
    if (!out) return absl::InternalError("cannot write pdns.conf");
  }
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  spdlog::info("pdns_server ({}) DNS 127.0.0.1:{} API {}",
               opt.backend == Options::Backend::kGpgsql ? "gpgsql" : "gsqlite3",
               server->dns_port_, server->api_url());
  return server;
}

absl::Status PdnsServer::Launch() {
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(
      {"pdns_server", absl::StrCat("--config-dir=", dir_)}, {}, log_path_);
  if (!process.ok()) return process.status();
  process_ = std::move(*process);

  absl::Time deadline = absl::Now() + kStartTimeout;
  bool api_ok = false;
  while (true) {
    if (!process_->Running()) {
      return absl::InternalError(
          absl::StrCat("pdns_server exited with status ", process_->Wait(),
                       " during start; log tail:\n", LogTail()));
    }
    if (!api_ok) {
      absl::StatusOr<int> code = ApiRequest("GET", "/api/v1/servers/localhost");
      api_ok = code.ok() && *code == 200;
    }
    if (api_ok && WaitForTcpPort(dns_port_, absl::ZeroDuration())) {
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      (void)Kill();
      return absl::DeadlineExceededError(absl::StrCat(
          "pdns_server not ready after 30 s; log tail:\n", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

PdnsServer::~PdnsServer() {
  if (process_ != nullptr) process_->Terminate(absl::Seconds(5));
  process_.reset();
  RemoveTempDir(dir_);
}

std::string PdnsServer::api_url() const {
  return absl::StrCat("http://127.0.0.1:", api_port_);
}

std::string PdnsServer::dns_address() const {
  return absl::StrCat("127.0.0.1:", dns_port_);
}

std::string PdnsServer::LogTail(size_t max_bytes) const {
  return ReadFileTail(log_path_, max_bytes);
}

absl::Status PdnsServer::Stop() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  process_->Terminate(absl::Seconds(10));
  return absl::OkStatus();
}

absl::Status PdnsServer::Kill() {
  if (process_ == nullptr || !process_->Running()) return absl::OkStatus();
  absl::Status s = process_->Signal(SIGKILL);
  process_->Wait();
  return s;
}

absl::Status PdnsServer::Signal(int sig) {
  if (process_ == nullptr || !process_->Running()) {
    return absl::FailedPreconditionError("pdns_server is not running");
  }
  return process_->Signal(sig);
}

absl::Status PdnsServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  // The old sockets may linger for a moment; retry a few starts.
  absl::Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    last = Launch();
    if (last.ok()) return last;
    absl::SleepFor(absl::Milliseconds(500));
  }
  return last;
}

bool PdnsServer::Running() {
  return process_ != nullptr && process_->Running();
}

absl::StatusOr<std::string> PdnsServer::Dig(std::string name,
                                            std::string type) {
  absl::StatusOr<std::string> out = RunCommand(
      absl::StrCat("dig +short +norecurse +time=2 +tries=2 @127.0.0.1 -p ",
                   dns_port_, " ", ShellQuote(name), " ", ShellQuote(type)));
  if (!out.ok()) return out.status();
  return std::string(absl::StripAsciiWhitespace(*out));
}

absl::StatusOr<std::string> PdnsServer::DigRcode(std::string name,
                                                 std::string type) {
  absl::StatusOr<std::string> out = RunCommand(
      absl::StrCat("dig +norecurse +time=2 +tries=2 @127.0.0.1 -p ", dns_port_,
                   " ", ShellQuote(name), " ", ShellQuote(type)));
  if (!out.ok()) return out.status();
  // ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 1234"
  size_t pos = out->find("status: ");
  if (pos == std::string::npos) {
    return absl::InternalError(absl::StrCat("no status in dig output: ", *out));
  }
  pos += 8;
  size_t end = out->find_first_of(", \n", pos);
  return out->substr(pos, end - pos);
}

absl::StatusOr<int> PdnsServer::ApiRequest(std::string method, std::string path,
                                           std::string* body,
                                           std::string request_body) {
  static std::atomic<int> counter{0};
  std::string body_file =
      absl::StrCat(dir_, "/api-body.", counter.fetch_add(1));
  std::string cmd = absl::StrCat(
      "curl -s -m 5 -o ", ShellQuote(body_file), " -w '%{http_code}' -X ",
      ShellQuote(method), " -H ", ShellQuote("X-API-Key: " + options_.api_key),
      " -H 'Accept: application/json' -H 'Expect:'");
  if (!request_body.empty()) {
    absl::StrAppend(&cmd, " -H 'Content-Type: application/json' --data-binary ",
                    ShellQuote(request_body));
  }
  absl::StrAppend(&cmd, " ", ShellQuote(api_url() + path));
  absl::StatusOr<std::string> out = RunCommand(cmd);
  std::string response = ReadFileTail(body_file, 1 << 24);
  std::error_code ec;
  std::filesystem::remove(body_file, ec);
  if (!out.ok()) return out.status();
  int code = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*out), &code)) {
    return absl::InternalError(absl::StrCat("curl printed: ", *out));
  }
  if (body != nullptr) *body = std::move(response);
  return code;
}

}  // namespace dns::testing
