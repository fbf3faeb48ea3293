// Seals secrets (the PowerDNS API keys) before they go into the database, so
// that a dump or a replica of the database alone does not reveal them.
//
// With a key (32 bytes, given base64 in DNSD_SECRET_KEY / --secret_key) a
// secret is sealed with AES-256-GCM under a fresh random 96-bit nonce:
//   "aesgcm:" + base64(nonce(12) | ciphertext | tag(16))
// Without a key the secret is stored as "plain:" + secret (dnsd warns at
// start). Open() reads both forms, so keys registered before a secret key
// was configured keep working.
//
// No message of this class ever contains the secret key or a secret.
#ifndef DNS_STORAGE_SECRET_BOX_H_
#define DNS_STORAGE_SECRET_BOX_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace dns {

class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  static constexpr char kSealedPrefix[] = "aesgcm:";
  static constexpr char kPlainPrefix[] = "plain:";

  // `b64` is standard or URL-safe base64 of exactly 32 bytes (surrounding
  // whitespace is ignored); empty means plain mode. INVALID_ARGUMENT when it
  // is not usable (the message never repeats it).
  static absl::StatusOr<SecretBox> FromBase64Key(absl::string_view b64);
  // A plain-mode box.
  SecretBox() = default;

  SecretBox(const SecretBox& other) = default;
  SecretBox& operator=(const SecretBox& other) = default;
  ~SecretBox();

  // "aesgcm:..." with a key, "plain:..." without. INTERNAL if OpenSSL fails.
  absl::StatusOr<std::string> Seal(absl::string_view plain) const;
  // The secret. FAILED_PRECONDITION for "aesgcm:" text without a key, with
  // the wrong key, or tampered/corrupted; INVALID_ARGUMENT for text that is
  // neither form.
  absl::StatusOr<std::string> Open(absl::string_view sealed) const;

  // A stable digest of `data` that does not reveal it, for request
  // fingerprints: HMAC-SHA256 under a key derived from the secret key (so it
  // cannot be brute-forced from a database dump), or plain SHA-256 in plain
  // mode (where the database holds the secret itself anyway). 32 hex digits.
  std::string Digest(absl::string_view data) const;

  bool encrypting() const { return encrypting_; }

 private:
  bool encrypting_ = false;
  std::array<uint8_t, kKeySize> key_{};
};

}  // namespace dns

#endif  // DNS_STORAGE_SECRET_BOX_H_
