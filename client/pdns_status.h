// How PowerDNS HTTP answers become absl::Status codes (see pdns_client.h).
#ifndef DNS_CLIENT_PDNS_STATUS_H_
#define DNS_CLIENT_PDNS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace dns::pdns {

// `where` names the server and call ("pdns server ns1: GET /api/..."); the
// message is `where`, the HTTP status and PowerDNS's error text.
absl::Status StatusFromHttp(int http_status, absl::string_view body,
                            absl::string_view where);

// Statuses that say the server, not the request, is at fault: they count
// against the circuit breaker and idempotent calls retry them.
bool IsServerFailure(int http_status);

}  // namespace dns::pdns

#endif  // DNS_CLIENT_PDNS_STATUS_H_
