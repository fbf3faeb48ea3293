// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), and the two do not convert implicitly. The domain API
// takes std::string_view; the implementation works in absl::string_view so
// it can use abseil's string functions. These helpers cross the boundary.
#ifndef DNS_SERVER_DOMAIN_STRING_VIEW_COMPAT_H_
#define DNS_SERVER_DOMAIN_STRING_VIEW_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace dns::internal {

inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view Sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace dns::internal

#endif  // DNS_SERVER_DOMAIN_STRING_VIEW_COMPAT_H_
