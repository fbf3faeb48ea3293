// A private PowerDNS Authoritative server (pdns_server 4.7) for integration
// tests: own config dir, DNS and API on free 127.0.0.1 ports, every cache off
// so database writes are visible at once.
#ifndef DNS_TESTS_SUPPORT_PDNS_SERVER_H_
#define DNS_TESTS_SUPPORT_PDNS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dns::testing {

class PdnsServer {
 public:
  struct Options {
    enum class Backend { kGpgsql, kGsqlite3 };
    Backend backend = Backend::kGpgsql;
    // gpgsql: the database (already holding the gpgsql schema).
    std::string pg_host = "127.0.0.1";
    int pg_port = 0;
    std::string pg_dbname;
    std::string pg_user = "postgres";
    // gsqlite3: created from PowerDNS's schema if missing; empty means a
    // file in the server's temporary directory.
    std::string sqlite_path;
    std::string api_key = "test-key";
    // Extra pdns.conf lines ("key=value").
    std::vector<std::string> extra_config;
  };

  static absl::StatusOr<std::unique_ptr<PdnsServer>> Start(Options options);

  PdnsServer(const PdnsServer&) = delete;
  PdnsServer& operator=(const PdnsServer&) = delete;
  // Stops the server and removes its directory.
  ~PdnsServer();

  int dns_port() const { return dns_port_; }
  int api_port() const { return api_port_; }
  // "http://127.0.0.1:PORT".
  std::string api_url() const;
  const std::string& api_key() const { return options_.api_key; }
  // "127.0.0.1:PORT" (the DNS address as the service registers it).
  std::string dns_address() const;
  const std::string& sqlite_path() const { return options_.sqlite_path; }
  const std::string& config_dir() const { return dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t max_bytes = 4096) const;

  // SIGTERM and wait.
  absl::Status Stop();
  // SIGKILL.
  absl::Status Kill();
  // Sends `sig` (SIGSTOP freezes it: it takes connections and never answers;
  // SIGCONT thaws it).
  absl::Status Signal(int sig);
  // Stops it if running and starts it again with the same ports and config.
  absl::Status Restart();
  bool Running();

  // `dig +short +norecurse @127.0.0.1 -p PORT name type`, trimmed.
  absl::StatusOr<std::string> Dig(std::string name, std::string type);
  // The status word of the answer (NOERROR, NXDOMAIN, REFUSED, SERVFAIL).
  absl::StatusOr<std::string> DigRcode(std::string name, std::string type);
  // GET/PUT/... on the API with the key; returns the HTTP status code.
  // `path` starts with "/api/v1/...". The body goes to *body if given.
  absl::StatusOr<int> ApiRequest(std::string method, std::string path,
                                 std::string* body = nullptr,
                                 std::string request_body = "");

 private:
  explicit PdnsServer(Options options) : options_(std::move(options)) {}
  absl::Status Launch();

  Options options_;
  std::string dir_;
  std::string log_path_;
  int dns_port_ = 0;
  int api_port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace dns::testing

#endif  // DNS_TESTS_SUPPORT_PDNS_SERVER_H_
