// Domain-name canonicalisation. Every name the service stores or compares is
// absolute, lower-case and ends with a dot ("www.example.com."); these
// functions turn the many spellings clients send into that one form and
// reject what PowerDNS or resolvers would choke on.
//
// Only the hostname-ish subset of DNS names is accepted: ASCII letters,
// digits, hyphen and underscore (SRV/DKIM/ACME labels need the underscore).
// Backslash escapes and binary labels are rejected on purpose: nothing the
// hosting panel creates needs them and they make names ambiguous to compare.
#ifndef DNS_SERVER_DOMAIN_DNS_NAME_H_
#define DNS_SERVER_DOMAIN_DNS_NAME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dns {

// Label and name limits from RFC 1035 section 2.3.4.
inline constexpr size_t kMaxLabelLength = 63;
inline constexpr size_t kMaxNameWireLength = 255;

// "Example.COM" or "example.com." -> "example.com.". The root zone is
// refused; single-label zones ("test.") are allowed. Wildcards are refused.
absl::StatusOr<std::string> CanonicalZoneName(std::string_view input);

// Owner name of a record in `zone` (canonical, e.g. "example.com.").
//   "" or "@"                      -> the apex
//   "www.example.com."             -> absolute as written
//   "www.example.com" / "example.com" (ends with the zone, no dot)
//                                  -> taken as absolute
//   "www", "a.b"                   -> relative to the zone
// A "*" is allowed only as the whole leftmost label. The result must be the
// apex or below it.
absl::StatusOr<std::string> CanonicalOwnerName(std::string_view input, std::string_view zone);

// A host name given on its own (a zone's nameservers, an SOA contact):
// always absolute, a missing trailing dot is added. The root "." is allowed.
absl::StatusOr<std::string> CanonicalTargetName(std::string_view input);

// A name inside the content of a record of zone `origin` (canonical): CNAME,
// DNAME, ALIAS, NS and PTR targets, the MX exchange, the SRV target, the
// NAPTR replacement, the SOA names. Read as owner names are: with a final
// dot it is absolute; without one it is relative to the zone ("mail" ->
// "mail.example.com."), unless it already ends with the zone's name
// ("mail.example.com" -> "mail.example.com."); "@" is the apex. The root
// "." is allowed (null MX, SRV "no service").
absl::StatusOr<std::string> CanonicalTargetName(std::string_view input,
                                                std::string_view origin);

// True when `name` is `zone` or below it. Both must be canonical.
bool IsInZone(std::string_view name, std::string_view zone);

// "@" for the origin itself, the relative part for names below it ("www"),
// and the absolute name unchanged for anything else.
std::string RelativeName(std::string_view name, std::string_view origin);

}  // namespace dns

#endif  // DNS_SERVER_DOMAIN_DNS_NAME_H_
