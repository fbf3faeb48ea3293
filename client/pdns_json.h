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
#include "storage/model.h"

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
// One body for all changes: DELETEs first, then REPLACEs, each group in the
// caller's order, so that a batch deleting and re-adding a name applies.
std::string EncodeZoneAttributes(const ZoneAttributes& attrs);
std::string EncodePatchRRsets(const std::vector<RRsetChange>& changes);

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
