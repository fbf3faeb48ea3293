// The one table of who may call what: every dns.v1 RPC and the least role
// that may call it. An RPC missing here is refused to everyone (and the
// table's test fails), so a new RPC cannot ship open by accident.
#ifndef DNS_SERVER_AUTH_METHOD_ROLES_H_
#define DNS_SERVER_AUTH_METHOD_ROLES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/auth.h"

namespace dns {

// `method`: the RPC's name as the services pass it ("CreateZone"); names are
// unique across dns.v1's services.
std::optional<Role> RequiredRole(absl::string_view method);
// Whether a token limited to accounts may call `method`: the zone and
// record calls, ProvisionDomain and failovers (each kept to its accounts);
// not the fleet-wide ones (servers, consistency, health, tokens).
bool OpenToScopedCallers(absl::string_view method);
// Every RPC in the table.
std::vector<std::string> MethodsWithRoles();

}  // namespace dns

#endif  // DNS_SERVER_AUTH_METHOD_ROLES_H_
