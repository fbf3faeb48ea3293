// Asks a DNS server directly (UDP, TCP when the answer is truncated) and
// measures how long it took: the health monitor's view of what a PowerDNS
// server actually serves, as opposed to what its API says.
#ifndef DNS_CLIENT_DNS_PROBER_H_
#define DNS_CLIENT_DNS_PROBER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace dns {

struct ProbeResult {
  int rcode = 0;  // 0 NOERROR (errors come back as a status, see Query)
  bool authoritative = false;  // AA bit
  // Answer section in presentation format, one RR per entry:
  // "www.example.com. 300 IN A 192.0.2.1".
  std::vector<std::string> answers;
  // The SOA serial if the answer holds a SOA record.
  std::optional<uint32_t> soa_serial;
  // From sending the query to receiving the (final) answer.
  absl::Duration latency;
};

inline constexpr absl::Duration kDefaultProbeTimeout = absl::Seconds(2);

class DnsProber {
 public:
  virtual ~DnsProber() = default;

  // `address` is an IPv4 or IPv6 literal (no host names: a probe must not
  // depend on another resolver), `type` a mnemonic ("SOA", "A", "TYPE65").
  // Only the given server is asked, never the system's resolvers.
  //   NOERROR (also with no answers) → OK
  //   NXDOMAIN → NOT_FOUND, REFUSED → FAILED_PRECONDITION,
  //   SERVFAIL → INTERNAL, FORMERR → INVALID_ARGUMENT, NOTIMP → UNIMPLEMENTED,
  //   no answer within `timeout` or connection refused → UNAVAILABLE.
  // Errors with an rcode carry it in the message ("rcode=NXDOMAIN") and as a
  // payload, see RcodeFromStatus().
  absl::StatusOr<ProbeResult> Query(const std::string& address, int port,
                                    const std::string& name,
                                    const std::string& type,
                                    absl::Duration timeout = kDefaultProbeTimeout) {
    return DoQuery(address, port, name, type, timeout);
  }

  // SOA query for `zone`; OK only if the answer holds the zone's SOA (then
  // soa_serial is set). NOERROR without SOA → NOT_FOUND.
  absl::StatusOr<ProbeResult> QuerySoaSerial(
      const std::string& address, int port, const std::string& zone,
      absl::Duration timeout = kDefaultProbeTimeout);

 private:
  virtual absl::StatusOr<ProbeResult> DoQuery(const std::string& address,
                                              int port, const std::string& name,
                                              const std::string& type,
                                              absl::Duration timeout) = 0;
};

struct CaresProberOptions {
  // Sends per protocol attempt. A lost UDP packet should not mark a server
  // down, so the default resends once within the timeout.
  int tries = 2;
  bool recursion_desired = false;  // authoritative servers: ask them alone
  // EDNS0 with a 1232-byte buffer keeps most answers within UDP.
  bool edns = true;
};

// The c-ares implementation. Thread-safe: each Query uses its own channel.
class CaresDnsProber final : public DnsProber {
 public:
  CaresDnsProber();
  explicit CaresDnsProber(CaresProberOptions options);

 private:
  absl::StatusOr<ProbeResult> DoQuery(const std::string& address, int port,
                                      const std::string& name,
                                      const std::string& type,
                                      absl::Duration timeout) override;

  const CaresProberOptions options_;
};

// The error Query returns for an answer with a non-zero `rcode`.
absl::Status RcodeStatus(int rcode, std::string message);
// The rcode a Query error carries, if it came from a DNS answer.
std::optional<int> RcodeFromStatus(const absl::Status& status);

std::string RcodeName(int rcode);  // "NXDOMAIN", or "RCODE12"
// 0 if unknown. Accepts "TYPE<n>" too.
int DnsTypeFromName(absl::string_view type);
std::string DnsTypeName(int type);

}  // namespace dns

#endif  // DNS_CLIENT_DNS_PROBER_H_
