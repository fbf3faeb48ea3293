#include "server/auth/token_secret.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace dns {

absl::StatusOr<std::string> GenerateTokenSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("the system's random source failed");
  }
  std::string encoded = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  OPENSSL_cleanse(bytes, sizeof(bytes));
  return absl::StrCat("dnsv1_", encoded);
}

std::string HashTokenSecret(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool SameDigest(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::Status ValidateTokenName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("is required");
  if (name.size() > 63) return absl::InvalidArgumentError("must be at most 63 characters");
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_or_digit(name[0])) {
    return absl::InvalidArgumentError("must start with a lower-case letter or a digit");
  }
  for (char c : name) {
    if (!lower_or_digit(c) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          "may hold only lower-case letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

}  // namespace dns
