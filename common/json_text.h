// Writing JSON text straight into a string, for the large documents the
// service builds (a zone's rows for PostgreSQL, PowerDNS request bodies):
// building them as a DOM first cost about ten times their size in memory.
#ifndef DNS_COMMON_JSON_TEXT_H_
#define DNS_COMMON_JSON_TEXT_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dns {

// Appends `text` as a JSON string, quotes included. Bytes outside ASCII go
// through as they are (the caller's text is UTF-8); quote, backslash and
// control characters are escaped.
inline void AppendJsonString(std::string* out, absl::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out->append("\\u00");
          out->push_back(kHex[u >> 4]);
          out->push_back(kHex[u & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// `"key":` with the key escaped as a JSON string.
inline void AppendJsonKey(std::string* out, absl::string_view key) {
  AppendJsonString(out, key);
  out->push_back(':');
}

}  // namespace dns

#endif  // DNS_COMMON_JSON_TEXT_H_
