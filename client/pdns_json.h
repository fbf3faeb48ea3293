// Encoding of requests and decoding of responses of the PowerDNS 4.7 HTTP API
// (JSON), and the naming rules of its URLs. Separate from the transport so it
// can be tested on canned bodies.
#ifndef DNS_CLIENT_PDNS_JSON_H_
#define DNS_CLIENT_PDNS_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/pdns_types.h"
#include "common/model.h"

namespace dns::pdns {

// "example.com" → "example.com.": PowerDNS wants absolute names.
std::string Absolute(absl::string_view name);

// PowerDNS's zone id: the absolute name with every byte outside
// [A-Za-z0-9.-] written as "=XX" (upper-case hex): "_a.example." →
// "=5Fa.example.".
std::string ZoneIdFromName(absl::string_view zone);

// Percent-encoding for a query-string value.
std::string UrlEncode(absl::string_view value);

absl::string_view ZoneKindName(ZoneKind kind);  // "Native", "Master", "Slave"
// Unknown kinds (e.g. 4.7's "Producer") read as kNative, as PowerDNS itself
// treats an unknown kind.
ZoneKind ParseZoneKind(absl::string_view name);

std::string EncodeCreateZone(const CreateZoneRequest& request);
std::string EncodeZoneAttributes(const ZoneAttributes& attrs);
// One body for all changes: DELETEs first, then REPLACEs, each group in the
// caller's order (the apex SOA last), so that a batch deleting and re-adding
// a name applies.
std::string EncodePatchRRsets(const std::vector<RRsetChange>& changes);

// The same changes as PATCH bodies of at most `max_body_bytes` each (PowerDNS
// refuses bodies over its webserver-max-bodysize, 2 MB by default), to be
// sent in order: DELETEs first, then REPLACEs, the SOA in the last body, so
// a server shows the new serial only once it holds every change. An RRset
// larger than the budget travels alone.
std::vector<std::string> EncodePatchRRsetsBodies(const std::vector<RRsetChange>& changes,
                                                 size_t max_body_bytes);

// A zone creation in bodies of at most `max_body_bytes`: the POST, then
// PATCHes (empty when the zone fits in the POST). When it does not fit, the
// POST carries the apex SOA with serial 0 and the apex NS, and the real SOA
// comes in the last PATCH: until everything has landed the server shows no
// serial the truth ever had.
struct CreateZoneBodies {
  std::string post;
  std::vector<std::string> patches;
};
CreateZoneBodies EncodeCreateZoneBodies(const CreateZoneRequest& request, size_t max_body_bytes);

absl::StatusOr<ServerInfo> ParseServerInfo(absl::string_view body);
absl::StatusOr<Statistics> ParseStatistics(absl::string_view body);
absl::StatusOr<std::vector<ZoneInfo>> ParseZoneList(absl::string_view body);
absl::StatusOr<ZoneInfo> ParseZone(absl::string_view body);
// PUT .../cache/flush answers {"count": N, "result": "..."}.
absl::StatusOr<int64_t> ParseFlushCount(absl::string_view body);
// 4.7 sends the export as text/plain; a JSON {"zone": "..."} is accepted too.
std::string ParseExport(absl::string_view body);

// The "error" member of an error body, else the body itself (trimmed and
// shortened), else "".
std::string ErrorTextFromBody(absl::string_view body);

}  // namespace dns::pdns

#endif  // DNS_CLIENT_PDNS_JSON_H_
