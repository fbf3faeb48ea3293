// SOA serial arithmetic (RFC 1982) and the serial field of SOA content.
#ifndef DNS_COMMON_SERIAL_H_
#define DNS_COMMON_SERIAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace dns {

// Is `got` the serial `want` or a later one? Serials wrap (RFC 1982): a
// zone past 4294967295 continues at small numbers and is still "later".
inline bool SerialAtOrAfter(uint32_t got, uint32_t want) {
  return static_cast<int32_t>(got - want) >= 0;
}

// The serial of SOA content in canonical form ("mname rname serial refresh
// retry expire minimum"); 0 when it has none.
inline uint32_t SoaContentSerial(absl::string_view content) {
  std::vector<absl::string_view> fields = absl::StrSplit(content, ' ', absl::SkipEmpty());
  uint32_t serial = 0;
  if (fields.size() == 7 && absl::SimpleAtoi(fields[2], &serial)) return serial;
  return 0;
}

}  // namespace dns

#endif  // DNS_COMMON_SERIAL_H_
