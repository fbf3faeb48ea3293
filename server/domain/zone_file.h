// RFC 1035 master ("zone") file import and export.
//
// Import is for customers moving zones from other providers, so the parser
// accepts what BIND-style exports contain ($ORIGIN, $TTL, relative names,
// parentheses, quoted strings, comments) and reports every problem with its
// line number instead of stopping at the first. $INCLUDE and $GENERATE are
// refused: the first would read server files, the second can expand into
// millions of records.
#ifndef DNS_SERVER_DOMAIN_ZONE_FILE_H_
#define DNS_SERVER_DOMAIN_ZONE_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/domain/record_validator.h"
#include "common/model.h"

namespace dns {

// Field name used in every FieldViolation the parser reports.
inline constexpr std::string_view kZoneFileField = "zone_file";
// A zone file with thousands of errors is the wrong file; more than this
// many are summarised in one last entry.
inline constexpr size_t kMaxZoneFileErrors = 100;
// Prefix of the comment lines FormatZoneFile writes for disabled records.
inline constexpr std::string_view kDisabledMarker = "; disabled: ";

struct ParsedZoneFile {
  // Grouped by (name, type) in order of first appearance; records in file
  // order with exact duplicates dropped. Each RRset's TTL is the smallest TTL
  // of its records. Records with errors are left out.
  std::vector<RRset> rrsets;
  // field is "zone_file", description starts with "line N: " (N is the line
  // where the record starts). Empty means the file is fine.
  std::vector<FieldViolation> errors;
};

// Parses `text` for the zone `origin` (canonical, "example.com."). TTLs
// default to $TTL, else the previous record's TTL, else `default_ttl`.
// Record contents are canonicalised with CanonicalContent. SOA records are
// optional here (the caller decides), but an SOA below the apex or a second
// SOA is an error.
ParsedZoneFile ParseZoneFile(std::string_view text, std::string_view origin, uint32_t default_ttl);

// Renders RRsets as a zone file for `zone`: "$ORIGIN zone", the apex SOA,
// the apex NS, then the other RRsets in the given order, one record per line
// with owner names relative to the zone. Disabled records are written as
// comments starting with kDisabledMarker, so a re-import drops them.
std::string FormatZoneFile(std::string_view zone, const std::vector<RRset>& rrsets);

}  // namespace dns

#endif  // DNS_SERVER_DOMAIN_ZONE_FILE_H_
