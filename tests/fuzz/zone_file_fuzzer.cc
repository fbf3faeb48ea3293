// Fuzzes the zone-file parser with arbitrary text for the zone example.com.
//
// Properties beyond "does not crash":
//  - every error is a "zone_file" violation starting with its line number,
//    and there are at most kMaxZoneFileErrors of them plus a summary;
//  - what the parser keeps is valid on its own: canonical owner names in the
//    zone, canonical types and contents, no empty RRsets, no duplicate
//    records, one RRset per (name, type);
//  - a file without errors follows the zone rules (one apex SOA, CNAMEs
//    alone at their name);
//  - FormatZoneFile's export of what was kept parses back without errors
//    into the same RRsets (the export is meant for re-import; it reorders
//    the apex SOA and NS first, so RRsets are compared sorted).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "server/domain/dns_name.h"
#include "server/domain/record_validator.h"
#include "server/domain/zone_file.h"
#include "tests/fuzz/fuzz_check.h"

namespace dns {
namespace {

using fuzz::Show;

constexpr std::string_view kOrigin = "example.com.";
constexpr uint32_t kDefaultTtl = 3600;

std::string Describe(const RRset& rrset) {
  std::string out = rrset.name + " " + std::to_string(rrset.ttl) + " " + rrset.type;
  for (const Record& record : rrset.records) out += "\n  " + Show(record.content);
  return out;
}

std::vector<RRset> Sorted(std::vector<RRset> rrsets) {
  std::sort(rrsets.begin(), rrsets.end(), [](const RRset& a, const RRset& b) {
    return std::tie(a.name, a.type) < std::tie(b.name, b.type);
  });
  return rrsets;
}

void CheckErrors(const ParsedZoneFile& parsed) {
  FUZZ_CHECK(parsed.errors.size() <= kMaxZoneFileErrors + 1,
             std::to_string(parsed.errors.size()));
  for (size_t i = 0; i < parsed.errors.size(); ++i) {
    const FieldViolation& error = parsed.errors[i];
    FUZZ_CHECK(error.field == kZoneFileField, error.field);
    const bool summary = i == kMaxZoneFileErrors;
    FUZZ_CHECK(summary || error.description.rfind("line ", 0) == 0, Show(error.description));
  }
}

void CheckKept(const ParsedZoneFile& parsed) {
  std::set<std::pair<std::string, std::string>> keys;
  std::set<std::string> cname_owners;
  std::set<std::string> other_owners;
  size_t soa_records = 0;
  for (const RRset& rrset : parsed.rrsets) {
    FUZZ_CHECK(keys.emplace(rrset.name, rrset.type).second, "two RRsets " + Describe(rrset));
    FUZZ_CHECK(CanonicalOwnerName(rrset.name, kOrigin).value_or("") == rrset.name,
               Describe(rrset));
    FUZZ_CHECK(CanonicalType(rrset.type).value_or("") == rrset.type, Describe(rrset));
    FUZZ_CHECK(!rrset.records.empty(), Describe(rrset));
    FUZZ_CHECK(rrset.ttl <= 2147483647u, Describe(rrset));
    std::set<std::string> contents;
    for (const Record& record : rrset.records) {
      FUZZ_CHECK(!record.disabled, Describe(rrset));
      FUZZ_CHECK(contents.insert(record.content).second, "duplicate in " + Describe(rrset));
      const absl::StatusOr<std::string> canonical =
          CanonicalContent(rrset.type, record.content, kOrigin);
      FUZZ_CHECK(canonical.ok() && *canonical == record.content,
                 "not canonical: " + Show(record.content) + " in " + Describe(rrset));
    }
    if (rrset.type == "SOA") {
      FUZZ_CHECK(rrset.name == kOrigin, "SOA kept below the apex: " + Describe(rrset));
      soa_records += rrset.records.size();
    }
    (rrset.type == "CNAME" ? cname_owners : other_owners).insert(rrset.name);
  }
  if (!parsed.errors.empty()) return;
  FUZZ_CHECK(soa_records <= 1, "several SOA records and no error");
  for (const std::string& owner : cname_owners) {
    FUZZ_CHECK(owner != kOrigin, "CNAME at the apex and no error");
    FUZZ_CHECK(other_owners.count(owner) == 0, "CNAME and other data at " + owner);
  }
  for (const RRset& rrset : parsed.rrsets) {
    FUZZ_CHECK(rrset.type != "CNAME" || rrset.records.size() == 1,
               "several CNAMEs and no error: " + Describe(rrset));
  }
}

void CheckRoundTrip(const ParsedZoneFile& parsed) {
  const std::string text = FormatZoneFile(kOrigin, parsed.rrsets);
  FUZZ_CHECK(text.rfind("$ORIGIN example.com.\n", 0) == 0, Show(text));
  const ParsedZoneFile again = ParseZoneFile(text, kOrigin, kDefaultTtl);
  if (parsed.errors.empty()) {
    FUZZ_CHECK(again.errors.empty(),
               "the export of an error-free file has errors: " +
                   (again.errors.empty() ? "" : again.errors[0].description) + "\n" + text);
  }
  const std::vector<RRset> before = Sorted(parsed.rrsets);
  const std::vector<RRset> after = Sorted(again.rrsets);
  FUZZ_CHECK(before.size() == after.size(), "RRset count " + std::to_string(before.size()) +
                                                " -> " + std::to_string(after.size()) + "\n" +
                                                text);
  for (size_t i = 0; i < before.size(); ++i) {
    FUZZ_CHECK(before[i] == after[i], "changed by export and import:\n" + Describe(before[i]) +
                                          "\n->\n" + Describe(after[i]));
  }
}

}  // namespace
}  // namespace dns

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const dns::ParsedZoneFile parsed = dns::ParseZoneFile(text, dns::kOrigin, dns::kDefaultTtl);
  dns::CheckErrors(parsed);
  dns::CheckKept(parsed);
  dns::CheckRoundTrip(parsed);
  return 0;
}
