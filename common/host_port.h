// "IP:port" text as the service takes it for DNS addresses and zone masters:
// an IPv4 literal, or an IPv6 literal in brackets when a port follows.
#ifndef DNS_COMMON_HOST_PORT_H_
#define DNS_COMMON_HOST_PORT_H_

#include <arpa/inet.h>

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"

namespace dns {

struct HostPort {
  std::string host;  // the IP literal, without brackets
  int port = 0;
  bool ipv6 = false;
};

inline bool IsIpv4Literal(absl::string_view text) {
  in_addr addr;
  return inet_pton(AF_INET, std::string(text).c_str(), &addr) == 1;
}

inline bool IsIpv6Literal(absl::string_view text) {
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(text).c_str(), &addr) == 1;
}

// Parses "192.0.2.1:53", "[2001:db8::1]:53" and, when `default_port` is
// given, "192.0.2.1" and "2001:db8::1" (then the port is the default).
// nullopt for anything else: a host name, a port outside 1-65535, junk.
inline std::optional<HostPort> ParseIpHostPort(absl::string_view text,
                                               std::optional<int> default_port = std::nullopt) {
  HostPort out;
  std::optional<absl::string_view> port;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find("]:");
    if (close == absl::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
    out.ipv6 = true;
    if (!IsIpv6Literal(out.host)) return std::nullopt;
  } else if (IsIpv6Literal(text)) {
    out.host = std::string(text);
    out.ipv6 = true;
  } else {
    const size_t colon = text.find(':');
    out.host = std::string(text.substr(0, colon));
    if (colon != absl::string_view::npos) port = text.substr(colon + 1);
    if (!IsIpv4Literal(out.host)) return std::nullopt;
  }
  if (!port) {
    if (!default_port) return std::nullopt;
    out.port = *default_port;
    return out;
  }
  if (port->empty() || port->size() > 5) return std::nullopt;
  for (char c : *port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  if (!absl::SimpleAtoi(*port, &out.port) || out.port < 1 || out.port > 65535) return std::nullopt;
  return out;
}

}  // namespace dns

#endif  // DNS_COMMON_HOST_PORT_H_
