// The rule for a PowerDNS server's name in the registry: what RegisterServer
// accepts, and what every request naming a server is checked against before
// it is looked up.
#ifndef DNS_SERVER_DOMAIN_SERVER_NAME_H_
#define DNS_SERVER_DOMAIN_SERVER_NAME_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace dns {

// What is wrong with `name`, or nullopt when it is a valid server name.
std::optional<std::string> CheckServerName(absl::string_view name);

}  // namespace dns

#endif  // DNS_SERVER_DOMAIN_SERVER_NAME_H_
