// Record content and RRset change validation.
//
// The service sits between clients (PRAHO, scripts, humans) and PowerDNS.
// PowerDNS accepts a lot of garbage through its API and then serves it or
// fails the whole zone, so everything is checked and canonicalised here,
// before anything reaches storage. Canonical content is what the PowerDNS
// HTTP API itself would return, so reads show what the client will later see
// and duplicate detection compares like with like.
#ifndef DNS_SERVER_DOMAIN_RECORD_VALIDATOR_H_
#define DNS_SERVER_DOMAIN_RECORD_VALIDATOR_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model.h"
#include "common/status_details.h"

namespace dns {

// FieldViolation (common/status_details.h) names the proto path of the
// offending input, e.g. "changes[2].rrset.records[0].content".

// Upper bound for any one record's canonical content whatever the
// configuration: a record's data cannot exceed 65,535 octets in a DNS
// message. The service's own, lower bound is ValidationLimits.
inline constexpr size_t kMaxContentLength = 65535;
// RFC 1035 <character-string>: one length octet.
inline constexpr size_t kMaxCharacterStringLength = 255;

// Upper-case mnemonics, sorted.
std::vector<std::string> SupportedTypes();
// Case-insensitive.
bool IsSupportedType(std::string_view type);
// "mx" -> "MX"; InvalidArgument "type 'X' is not supported" otherwise.
absl::StatusOr<std::string> CanonicalType(std::string_view type);

// Validates `content` of a record in zone `origin` (canonical, e.g.
// "example.com.") for `type` (case-insensitive) and returns it in canonical
// presentation form: whitespace collapsed, names absolute and lower-case
// (a name without the final dot is relative to `origin`, see
// CanonicalTargetName), numbers without leading zeros, hex lower-case,
// character strings double-quoted. Errors are InvalidArgument with a human
// sentence.
absl::StatusOr<std::string> CanonicalContent(std::string_view type, std::string_view content,
                                             std::string_view origin);

// A TTL in seconds ("3600") or as a BIND-style duration ("1h30m", "2W"),
// units s m h d w in any case; at most 2147483647 (RFC 2181).
absl::StatusOr<uint32_t> ParseTtl(std::string_view text);

struct ValidationLimits {
  uint32_t min_ttl = 60;
  // RFC 2181 section 8: TTLs are 31-bit.
  uint32_t max_ttl = 2147483647;
  // Replaces a TTL of 0 on input.
  uint32_t default_ttl = 3600;
  size_t max_records_per_rrset = 100;
  // Octets of one record's canonical content. PowerDNS stores more, but
  // nothing legitimate in a hosting zone comes close (a 4096-bit DKIM key
  // is about 800) and a bound keeps zone files and responses sane.
  size_t max_content_octets = 4000;
  size_t max_changes_per_batch = 1000;
  // RRsets one ImportZone may bring (a zone is imported as one batch).
  size_t max_import_rrsets = 100000;
};

// Checks a batch of changes to `zone` (canonical) and canonicalises it in
// place: owner names, types, record contents, and TTL 0 -> default_ttl.
// Returns every violation found, in change order; empty means valid.
// Only rules that need no stored data are checked; conflicts with existing
// RRsets (e.g. a CNAME next to stored A records) are the storage layer's.
std::vector<FieldViolation> ValidateChanges(std::string_view zone,
                                            std::vector<RRsetChange>& changes,
                                            const ValidationLimits& limits);

}  // namespace dns

#endif  // DNS_SERVER_DOMAIN_RECORD_VALIDATOR_H_
