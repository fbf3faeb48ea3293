// Fuzzes record content validation. Input: the type, a newline, the content
// ("MX\n10 mail"); without a newline the first space splits them.
//
// Properties beyond "does not crash":
//  - canonical content is a fixed point: canonicalising it again gives it
//    back unchanged (reads compare stored content with what clients send);
//  - canonical content names are absolute, so it reads the same in any zone;
//  - canonical content holds no control bytes and no outer whitespace;
//  - ValidateChanges accepts a record exactly as CanonicalContent does and
//    stores its canonical form;
//  - ParseTtl results are at most 2^31-1 and read back from their decimal
//    form.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/domain/record_validator.h"
#include "tests/fuzz/fuzz_check.h"

namespace dns {
namespace {

using fuzz::Show;

constexpr std::string_view kOrigin = "example.com.";
constexpr std::string_view kOtherOrigin = "other.test.";

void CheckContent(std::string_view type, std::string_view content) {
  const absl::StatusOr<std::string> canonical = CanonicalContent(type, content, kOrigin);
  const absl::StatusOr<std::string> canonical_type = CanonicalType(type);
  if (!canonical_type.ok()) {
    FUZZ_CHECK(!canonical.ok(), "content accepted for an unsupported type " + Show(type));
    return;
  }
  FUZZ_CHECK(IsSupportedType(type), Show(type));
  FUZZ_CHECK(CanonicalType(*canonical_type).value_or("") == *canonical_type, *canonical_type);
  if (!canonical.ok()) return;

  const std::string& c1 = *canonical;
  FUZZ_CHECK(!c1.empty(), Show(content));
  FUZZ_CHECK(c1.size() <= kMaxContentLength, Show(content));
  FUZZ_CHECK(c1.front() != ' ' && c1.back() != ' ', Show(c1));
  for (unsigned char c : c1) {
    FUZZ_CHECK(c >= 0x20 && c != 0x7f, "control byte in canonical " + Show(c1));
  }

  const absl::StatusOr<std::string> again = CanonicalContent(*canonical_type, c1, kOrigin);
  FUZZ_CHECK(again.ok(), "canonical " + Show(c1) + " of " + Show(content) +
                             " is refused: " + std::string(again.status().message()));
  FUZZ_CHECK(*again == c1, "not a fixed point: " + Show(content) + " -> " + Show(c1) + " -> " +
                               Show(*again));

  const absl::StatusOr<std::string> elsewhere =
      CanonicalContent(*canonical_type, c1, kOtherOrigin);
  FUZZ_CHECK(elsewhere.ok() && *elsewhere == c1,
             "canonical " + Show(c1) + " depends on the zone: " +
                 (elsewhere.ok() ? Show(*elsewhere) : std::string(elsewhere.status().message())));
}

void CheckValidateChanges(std::string_view type, std::string_view content) {
  std::vector<RRsetChange> changes(1);
  changes[0].type = ChangeType::kReplace;
  changes[0].rrset = RRset{"fuzz", std::string(type), 3600, {{std::string(content), false}}};
  const std::vector<FieldViolation> violations =
      ValidateChanges(kOrigin, changes, ValidationLimits());
  const absl::StatusOr<std::string> canonical = CanonicalContent(type, content, kOrigin);
  if (violations.empty()) {
    FUZZ_CHECK(canonical.ok(), "ValidateChanges accepted " + Show(content));
    FUZZ_CHECK(changes[0].rrset.records[0].content == *canonical,
               Show(changes[0].rrset.records[0].content) + " vs " + Show(*canonical));
    FUZZ_CHECK(changes[0].rrset.name == "fuzz.example.com.", changes[0].rrset.name);
  } else if (!canonical.ok()) {
    bool reported = false;
    for (const FieldViolation& v : violations) {
      reported = reported || v.field == "changes[0].rrset.records[0].content" ||
                 v.field == "changes[0].rrset.type";
    }
    FUZZ_CHECK(reported, "bad content of " + Show(content) + " not reported");
  }

  // The same RRset deleted: content does not matter, nothing may crash.
  changes[0].type = ChangeType::kDelete;
  (void)ValidateChanges(kOrigin, changes, ValidationLimits());
}

void CheckTtl(std::string_view text) {
  const absl::StatusOr<uint32_t> ttl = ParseTtl(text);
  if (!ttl.ok()) return;
  FUZZ_CHECK(*ttl <= 2147483647u, Show(text));
  const absl::StatusOr<uint32_t> again = ParseTtl(std::to_string(*ttl));
  FUZZ_CHECK(again.ok() && *again == *ttl, Show(text));
}

}  // namespace
}  // namespace dns

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\n');
  if (split == std::string_view::npos) split = input.find(' ');
  if (split == std::string_view::npos) {
    dns::CheckTtl(input);
    return 0;
  }
  const std::string_view type = input.substr(0, split);
  const std::string_view content = input.substr(split + 1);
  dns::CheckContent(type, content);
  dns::CheckValidateChanges(type, content);
  dns::CheckTtl(content);
  return 0;
}
