// Fuzzes domain-name canonicalisation. Input: a zone, a newline, a name
// ("Example.COM\nwww"); without a newline the whole input is the name in
// the zone example.com.
//
// Properties beyond "does not crash":
//  - every canonical form is a fixed point of the function that made it;
//  - canonical names are lower-case, absolute and at most 255 octets in
//    wire format;
//  - an owner name accepted for a zone is in that zone (IsInZone), reads
//    the same upper-cased or without its final dot, and RelativeName gives
//    its part below the zone;
//  - a target read relative to a zone is also a valid absolute target.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "server/domain/dns_name.h"
#include "tests/fuzz/fuzz_check.h"

namespace dns {
namespace {

using fuzz::Show;

void CheckCanonicalShape(std::string_view name, std::string_view input) {
  FUZZ_CHECK(!name.empty() && name.back() == '.', Show(input) + " -> " + Show(name));
  FUZZ_CHECK(name == "." || name.find("..") == std::string_view::npos, Show(name));
  FUZZ_CHECK(name == "." || name.front() != '.', Show(name));
  // Wire length: the name's bytes plus one (the leading length octet).
  FUZZ_CHECK(name.size() + 1 <= kMaxNameWireLength || name == ".", Show(name));
  for (char c : name) {
    FUZZ_CHECK(!absl::ascii_isupper(static_cast<unsigned char>(c)), Show(name));
  }
}

std::string ZoneFor(std::string_view input) {
  const absl::StatusOr<std::string> zone = CanonicalZoneName(input);
  if (!zone.ok()) return "example.com.";
  CheckCanonicalShape(*zone, input);
  FUZZ_CHECK(*zone != ".", Show(input));
  FUZZ_CHECK(zone->find('*') == std::string::npos, Show(*zone));
  FUZZ_CHECK(CanonicalZoneName(*zone).value_or("") == *zone, Show(*zone));
  FUZZ_CHECK(CanonicalTargetName(*zone).value_or("") == *zone, Show(*zone));
  FUZZ_CHECK(IsInZone(*zone, *zone), Show(*zone));
  FUZZ_CHECK(RelativeName(*zone, *zone) == "@", Show(*zone));
  FUZZ_CHECK(CanonicalOwnerName("@", *zone).value_or("") == *zone, Show(*zone));
  return *zone;
}

void CheckOwner(std::string_view input, const std::string& zone) {
  const absl::StatusOr<std::string> owner = CanonicalOwnerName(input, zone);
  if (!owner.ok()) return;
  CheckCanonicalShape(*owner, input);
  FUZZ_CHECK(IsInZone(*owner, zone), Show(input) + " -> " + Show(*owner) + " in " + zone);
  FUZZ_CHECK(CanonicalOwnerName(*owner, zone).value_or("") == *owner, Show(*owner));
  FUZZ_CHECK(CanonicalOwnerName(absl::AsciiStrToUpper(std::string(input)), zone).value_or("") == *owner,
             Show(input));
  // Documented: a name ending in the zone's name without the final dot is
  // taken as absolute.
  const std::string without_dot = owner->substr(0, owner->size() - 1);
  FUZZ_CHECK(CanonicalOwnerName(without_dot, zone).value_or("") == *owner, Show(*owner));

  const std::string relative = RelativeName(*owner, zone);
  if (*owner == zone) {
    FUZZ_CHECK(relative == "@", Show(*owner));
  } else {
    FUZZ_CHECK(relative + "." + zone == *owner, Show(*owner) + " -> " + Show(relative));
  }
}

void CheckTargets(std::string_view input, const std::string& zone) {
  const absl::StatusOr<std::string> absolute = CanonicalTargetName(input);
  if (absolute.ok()) {
    CheckCanonicalShape(*absolute, input);
    FUZZ_CHECK(CanonicalTargetName(*absolute).value_or("") == *absolute, Show(*absolute));
    FUZZ_CHECK(CanonicalTargetName(*absolute, zone).value_or("") == *absolute, Show(*absolute));
  }
  const absl::StatusOr<std::string> in_zone = CanonicalTargetName(input, zone);
  if (in_zone.ok()) {
    CheckCanonicalShape(*in_zone, input);
    FUZZ_CHECK(CanonicalTargetName(*in_zone).value_or("") == *in_zone, Show(*in_zone));
    FUZZ_CHECK(CanonicalTargetName(*in_zone, zone).value_or("") == *in_zone, Show(*in_zone));
    // Written with its final dot a name is absolute whatever the zone.
    if (!input.empty() && input.back() == '.') {
      FUZZ_CHECK(absolute.ok() && *absolute == *in_zone, Show(input));
    }
  }
}

}  // namespace
}  // namespace dns

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\n');
  std::string zone = "example.com.";
  std::string_view name = input;
  if (split != std::string_view::npos) {
    zone = dns::ZoneFor(input.substr(0, split));
    name = input.substr(split + 1);
  }
  dns::CheckOwner(name, zone);
  dns::CheckTargets(name, zone);
  // Arbitrary, non-canonical arguments must not crash either.
  (void)dns::IsInZone(name, zone);
  (void)dns::IsInZone(name, ".");
  (void)dns::IsInZone(zone, name);
  (void)dns::RelativeName(name, zone);
  (void)dns::RelativeName(name, ".");
  (void)dns::RelativeName(zone, name);
  return 0;
}
