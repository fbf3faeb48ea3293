// Scripted DnsProber for tests of the health monitor and of propagation
// confirmation: answers are set per (address, port, name, type).
#ifndef DNS_TESTS_TESTING_FAKE_DNS_PROBER_H_
#define DNS_TESTS_TESTING_FAKE_DNS_PROBER_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/dns_prober.h"

namespace dns {

class FakeDnsProber final : public DnsProber {
 public:
  // Names match case-insensitively, with or without the trailing dot.
  void SetAnswer(const std::string& address, int port, const std::string& name,
                 const std::string& type, absl::StatusOr<ProbeResult> answer);
  // A SOA answer carrying `serial`.
  void SetSoaSerial(const std::string& address, int port,
                    const std::string& zone, uint32_t serial);
  // For queries without an answer of their own; initially UNAVAILABLE.
  void SetDefault(absl::StatusOr<ProbeResult> answer);
  int query_count();

 private:
  using Key = std::tuple<std::string, int, std::string, std::string>;

  absl::StatusOr<ProbeResult> DoQuery(const std::string& address, int port,
                                      const std::string& name,
                                      const std::string& type,
                                      absl::Duration timeout) override;
  static Key MakeKey(const std::string& address, int port,
                     const std::string& name, const std::string& type);

  absl::Mutex mu_;
  std::map<Key, absl::StatusOr<ProbeResult>> answers_ ABSL_GUARDED_BY(mu_);
  absl::StatusOr<ProbeResult> default_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("fake dns prober: no answer configured");
  int queries_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dns

#endif  // DNS_TESTS_TESTING_FAKE_DNS_PROBER_H_
