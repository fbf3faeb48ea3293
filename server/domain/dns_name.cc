#include "server/domain/dns_name.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/domain/quote.h"
#include "server/domain/string_view_compat.h"

namespace dns {
namespace {

using internal::Av;
using internal::Sv;



std::string DescribeChar(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (c == ' ') return "a space";
  if (c == '\t') return "a tab";
  if (u < 0x20 || u == 0x7f) return absl::StrFormat("control character 0x%02x", u);
  if (u >= 0x80) return absl::StrFormat("non-ASCII byte 0x%02x", u);
  return absl::StrCat("'", std::string(1, c), "'");
}

enum class Wildcard { kAllowed, kRefused };

// Checks an absolute, already lower-cased name ("www.example.com." or ".").
absl::Status ValidateAbsolute(absl::string_view name, Wildcard wildcard) {
  if (name == ".") return absl::OkStatus();
  absl::string_view body = name.substr(0, name.size() - 1);  // drop final dot
  // Wire format: one length octet per label, the label bytes, the root octet.
  size_t wire_length = 1;
  size_t index = 0;
  for (absl::string_view label : absl::StrSplit(body, '.')) {
    if (label.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("name '", Quote(name), "' has an empty label"));
    }
    if (label.size() > kMaxLabelLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("label '", Quote(label), "' is longer than ", kMaxLabelLength, " octets"));
    }
    wire_length += label.size() + 1;
    if (label == "*") {
      if (wildcard == Wildcard::kRefused) {
        return absl::InvalidArgumentError(
            absl::StrCat("name '", Quote(name), "' may not contain a wildcard"));
      }
      if (index != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("name '", Quote(name), "' has '*' that is not the leftmost label"));
      }
    } else {
      for (char c : label) {
        const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        if (ok) continue;
        if (c == '*') {
          return absl::InvalidArgumentError(
              absl::StrCat("name '", Quote(name),
                           "' has '*' inside a label; a wildcard must be the whole "
                           "leftmost label"));
        }
        return absl::InvalidArgumentError(
            absl::StrCat("name '", Quote(name), "' contains ", DescribeChar(c),
                         "; only letters, digits, '-' and '_' are allowed"));
      }
    }
    ++index;
  }
  if (wire_length > kMaxNameWireLength) {
    return absl::InvalidArgumentError(absl::StrCat("name '", Quote(name), "' is ", wire_length,
                                                   " octets in wire format, more than ",
                                                   kMaxNameWireLength));
  }
  return absl::OkStatus();
}

std::string EnsureTrailingDot(absl::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out.push_back('.');
  return out;
}

// A lower-cased name as written, made absolute: with a final dot it is
// absolute already; without one it is relative to `zone` (RFC 1035 5.1),
// except that a name ending in the zone's own name is taken as absolute.
// Clients often send "www.example.com" meaning the absolute name; a
// relative "www.example.com" inside example.com. is almost never intended.
std::string Qualify(std::string lower, absl::string_view zone) {
  if (lower.back() == '.') return lower;
  absl::string_view zone_no_dot = zone.substr(0, zone.size() - 1);
  if (zone == "." || (!zone_no_dot.empty() && (lower == zone_no_dot ||
                                               absl::EndsWith(lower, absl::StrCat(".", zone_no_dot))))) {
    return lower + ".";
  }
  return absl::StrCat(lower, ".", zone);
}

}  // namespace

absl::StatusOr<std::string> CanonicalZoneName(std::string_view input_view) {
  const absl::string_view input = Av(input_view);
  if (input.empty()) return absl::InvalidArgumentError("zone name is empty");
  std::string name = EnsureTrailingDot(absl::AsciiStrToLower(input));
  if (name == ".") {
    return absl::InvalidArgumentError("zone name cannot be the root '.'");
  }
  if (absl::Status s = ValidateAbsolute(name, Wildcard::kRefused); !s.ok()) return s;
  return name;
}

absl::StatusOr<std::string> CanonicalOwnerName(std::string_view input_view,
                                               std::string_view zone_view) {
  const absl::string_view input = Av(input_view);
  const absl::string_view zone = Av(zone_view);
  if (input.empty() || input == "@") return std::string(zone);
  std::string name = Qualify(absl::AsciiStrToLower(input), zone);
  if (absl::Status s = ValidateAbsolute(name, Wildcard::kAllowed); !s.ok()) return s;
  if (!IsInZone(name, zone_view)) {
    return absl::InvalidArgumentError(
        absl::StrCat("name '", Quote(name), "' is not inside zone '", zone, "'"));
  }
  return name;
}

absl::StatusOr<std::string> CanonicalTargetName(std::string_view input_view) {
  const absl::string_view input = Av(input_view);
  if (input.empty()) return absl::InvalidArgumentError("name is empty");
  std::string name = EnsureTrailingDot(absl::AsciiStrToLower(input));
  if (absl::Status s = ValidateAbsolute(name, Wildcard::kRefused); !s.ok()) return s;
  return name;
}

absl::StatusOr<std::string> CanonicalTargetName(std::string_view input_view,
                                                std::string_view origin_view) {
  const absl::string_view input = Av(input_view);
  const absl::string_view origin = Av(origin_view);
  if (input.empty()) return absl::InvalidArgumentError("name is empty");
  if (input == "@") return std::string(origin);
  std::string name = Qualify(absl::AsciiStrToLower(input), origin);
  if (absl::Status s = ValidateAbsolute(name, Wildcard::kRefused); !s.ok()) return s;
  return name;
}

bool IsInZone(std::string_view name_view, std::string_view zone_view) {
  const absl::string_view name = Av(name_view);
  const absl::string_view zone = Av(zone_view);
  if (zone == ".") return !name.empty() && name.back() == '.';
  if (name.size() == zone.size()) return absl::EqualsIgnoreCase(name, zone);
  return name.size() > zone.size() && absl::EndsWithIgnoreCase(name, zone) &&
         name[name.size() - zone.size() - 1] == '.';
}

std::string RelativeName(std::string_view name_view, std::string_view origin_view) {
  const absl::string_view name = Av(name_view);
  const absl::string_view origin = Av(origin_view);
  if (absl::EqualsIgnoreCase(name, origin)) return "@";
  if (origin != "." && IsInZone(name_view, origin_view)) {
    return std::string(name.substr(0, name.size() - origin.size() - 1));
  }
  return std::string(name);
}

}  // namespace dns
