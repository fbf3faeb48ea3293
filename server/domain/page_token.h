// Opaque page tokens for keyset pagination.
//
// A token carries the sort key of the last item returned, so the next page
// starts strictly after it no matter what was inserted or deleted meanwhile.
// It also carries a fingerprint of the request's filters: continuing a
// listing with different filters would silently skip or repeat items, so it
// is refused instead.
//
// Tokens are not signed or encrypted: they reveal only names the caller was
// already shown, and a forged key just starts a listing somewhere else. The
// checksum exists to turn typos and truncated copy-pastes into a clear error.
#ifndef DNS_SERVER_DOMAIN_PAGE_TOKEN_H_
#define DNS_SERVER_DOMAIN_PAGE_TOKEN_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace dns {

// Upper bounds accepted by DecodePageToken; EncodePageToken callers stay far
// below them (keys are a few DNS names).
inline constexpr size_t kMaxPageTokenLength = 4096;
inline constexpr size_t kMaxPageTokenKeyParts = 16;

// URL-safe base64 without padding. `filter_fingerprint` is any string that
// changes when the filters change (e.g. the filters joined); only a hash of
// it is stored.
std::string EncodePageToken(const std::vector<std::string>& last_key,
                            std::string_view filter_fingerprint);

// Inverse of EncodePageToken. InvalidArgument "page_token is malformed" for
// anything EncodePageToken did not produce (including ""; callers treat an
// empty token as "first page" before calling this), and "page_token was
// issued for different filters" when the fingerprint differs.
absl::StatusOr<std::vector<std::string>> DecodePageToken(std::string_view token,
                                                         std::string_view filter_fingerprint);

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// AIP-158: 0 means the default, larger sizes are coerced to the maximum,
// negative ones are INVALID_ARGUMENT on `page_size`.
absl::StatusOr<int> PageSize(int requested);

// A list call's filters as one fingerprint for the tokens above.
std::string FilterFingerprint(const std::vector<std::string>& filters);

// Where a page starts: the keyset position carried by `page_token` (empty:
// the first page, an empty vector), which must have been issued for the
// same filters and hold `key_parts` values. INVALID_ARGUMENT on the field
// "page_token" otherwise (with the field violation).
absl::StatusOr<std::vector<std::string>> PageStart(std::string_view page_token,
                                                   std::string_view filter_fingerprint,
                                                   size_t key_parts);

}  // namespace dns

#endif  // DNS_SERVER_DOMAIN_PAGE_TOKEN_H_
