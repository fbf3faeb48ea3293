// User input quoted in an error message: control and non-ASCII bytes as
// \xNN, and long input shortened, so a 300-character label cannot drown the
// sentence it appears in.
#ifndef DNS_SERVER_DOMAIN_QUOTE_H_
#define DNS_SERVER_DOMAIN_QUOTE_H_

#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace dns {

inline constexpr size_t kMaxQuotedLength = 40;

inline std::string Quote(absl::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxQuotedLength)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out.push_back(c);
    }
  }
  if (text.size() > kMaxQuotedLength) out += "...";
  return out;
}

}  // namespace dns

#endif  // DNS_SERVER_DOMAIN_QUOTE_H_
