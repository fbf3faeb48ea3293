// Bearer token secrets: made from 32 random bytes, stored only as their
// SHA-256 (a high-entropy secret needs no slow hash: nobody can guess it
// from its digest).
#ifndef DNS_SERVER_AUTH_TOKEN_SECRET_H_
#define DNS_SERVER_AUTH_TOKEN_SECRET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dns {

// "dnsv1_" + 43 characters of URL-safe base64 (256 random bits).
absl::StatusOr<std::string> GenerateTokenSecret();
// The 32-byte SHA-256 digest of `secret`.
std::string HashTokenSecret(absl::string_view secret);
// Equal digests, in time independent of where they differ.
bool SameDigest(absl::string_view a, absl::string_view b);
// A token's name: [a-z0-9][a-z0-9._-]{0,62}. The reason when not.
absl::Status ValidateTokenName(absl::string_view name);

}  // namespace dns

#endif  // DNS_SERVER_AUTH_TOKEN_SECRET_H_
