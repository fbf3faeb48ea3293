#include "server/domain/server_name.h"

#include "absl/strings/ascii.h"

namespace dns {

std::optional<std::string> CheckServerName(absl::string_view name) {
  constexpr char kRule[] =
      "must be 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit";
  if (name.empty() || name.size() > 63) return kRule;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return kRule;
  }
  if (name.front() == '-' || name.back() == '-') return kRule;
  return std::nullopt;
}

}  // namespace dns
