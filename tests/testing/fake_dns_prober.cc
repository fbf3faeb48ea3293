#include "tests/testing/fake_dns_prober.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dns {

FakeDnsProber::Key FakeDnsProber::MakeKey(const std::string& address, int port,
                                          const std::string& name,
                                          const std::string& type) {
  std::string n = absl::AsciiStrToLower(name);
  if (n.empty() || n.back() != '.') n.push_back('.');
  return Key{address, port, std::move(n), absl::AsciiStrToUpper(type)};
}

void FakeDnsProber::SetAnswer(const std::string& address, int port,
                              const std::string& name, const std::string& type,
                              absl::StatusOr<ProbeResult> answer) {
  absl::MutexLock lock(&mu_);
  answers_.insert_or_assign(MakeKey(address, port, name, type),
                            std::move(answer));
}

void FakeDnsProber::SetSoaSerial(const std::string& address, int port,
                                 const std::string& zone, uint32_t serial) {
  std::string z = absl::AsciiStrToLower(zone);
  if (z.empty() || z.back() != '.') z.push_back('.');
  ProbeResult result;
  result.authoritative = true;
  result.soa_serial = serial;
  result.answers.push_back(absl::StrCat(z, " 3600 IN SOA ns1.", z, " hostmaster.",
                                        z, " ", serial,
                                        " 10800 3600 604800 3600"));
  result.latency = absl::Milliseconds(1);
  SetAnswer(address, port, zone, "SOA", std::move(result));
}

void FakeDnsProber::SetDefault(absl::StatusOr<ProbeResult> answer) {
  absl::MutexLock lock(&mu_);
  default_ = std::move(answer);
}

int FakeDnsProber::query_count() {
  absl::MutexLock lock(&mu_);
  return queries_;
}

absl::StatusOr<ProbeResult> FakeDnsProber::DoQuery(const std::string& address,
                                                   int port,
                                                   const std::string& name,
                                                   const std::string& type,
                                                   absl::Duration /*timeout*/) {
  absl::MutexLock lock(&mu_);
  ++queries_;
  auto it = answers_.find(MakeKey(address, port, name, type));
  return it == answers_.end() ? default_ : it->second;
}

}  // namespace dns
