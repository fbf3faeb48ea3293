// Plain data exchanged with the PowerDNS client. RRsets and records reuse the
// storage model so no conversion is needed between the truth and a server.
#ifndef DNS_CLIENT_PDNS_TYPES_H_
#define DNS_CLIENT_PDNS_TYPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

namespace dns::pdns {

// What the caller's request contributes to every PowerDNS call made for it.
struct CallContext {
  // Sent as X-Request-Id and written to every log line; empty: not sent.
  std::string request_id;
  // Usually the gRPC deadline, on the client's clock (ClientOptions::clock,
  // the real one in production). Attempts are cut to it and no retry starts
  // past it; a call not started by then fails with DEADLINE_EXCEEDED.
  absl::Time deadline = absl::InfiniteFuture();
};

// GET /api/v1/servers/localhost
struct ServerInfo {
  std::string id;           // "localhost"
  std::string daemon_type;  // "authoritative"
  std::string version;      // "4.7.3"
};

// GET .../statistics: name → value, values as PowerDNS sends them (strings).
// Map statistics are flattened to "name:key".
using Statistics = std::map<std::string, std::string>;

// A zone as PowerDNS reports it. ListZones fills the summary fields only;
// GetZone and CreateZone also fill rrsets and the zone settings.
struct ZoneInfo {
  std::string id;    // PowerDNS's zone id, e.g. "foo=5Fbar.example."
  std::string name;  // "foo_bar.example."
  ZoneKind kind = ZoneKind::kNative;
  uint32_t serial = 0;
  uint32_t notified_serial = 0;
  uint32_t edited_serial = 0;
  std::vector<std::string> masters;
  std::string account;
  bool dnssec = false;
  std::string soa_edit_api;
  bool api_rectify = false;
  std::vector<RRset> rrsets;
};

// POST .../zones
struct CreateZoneRequest {
  std::string name;  // absolute; a missing trailing dot is added
  ZoneKind kind = ZoneKind::kNative;
  // May be empty when `rrsets` carries the apex NS RRset.
  std::vector<std::string> nameservers;
  std::vector<std::string> masters;  // for kSlave
  std::string account;
  // Empty so that PowerDNS never rewrites the SOA serial we write: every
  // server then shows the truth's serial, which the consistency check reads.
  std::string soa_edit_api;
  // Off: rectify is costly on big zones and only matters for DNSSEC.
  bool api_rectify = false;
  std::vector<RRset> rrsets;
};

// The zone-level settings PUT .../zones/{id} changes.
struct ZoneAttributes {
  ZoneKind kind = ZoneKind::kNative;
  std::vector<std::string> masters;
  // Empty: PowerDNS keeps the SOA serial it is given.
  std::string soa_edit_api;
};

}  // namespace dns::pdns

#endif  // DNS_CLIENT_PDNS_TYPES_H_
