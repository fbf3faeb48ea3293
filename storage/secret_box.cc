#include "storage/secret_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace dns {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

absl::Status CannotOpen() {
  return absl::FailedPreconditionError(
      "cannot open a sealed API key: the secret key (DNSD_SECRET_KEY) is not the one it was "
      "sealed with, or the stored value is corrupted");
}

std::string Hex(const unsigned char* data, size_t size) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace

absl::StatusOr<SecretBox> SecretBox::FromBase64Key(absl::string_view b64) {
  b64 = absl::StripAsciiWhitespace(b64);
  SecretBox box;
  if (b64.empty()) return box;
  std::string raw;
  if (!absl::Base64Unescape(b64, &raw) && !absl::WebSafeBase64Unescape(b64, &raw)) {
    return absl::InvalidArgumentError("the secret key (DNSD_SECRET_KEY) is not valid base64");
  }
  if (raw.size() != kKeySize) {
    const size_t size = raw.size();
    OPENSSL_cleanse(raw.data(), raw.size());
    return absl::InvalidArgumentError(absl::StrCat(
        "the secret key (DNSD_SECRET_KEY) must be base64 of ", kKeySize, " bytes, not ", size,
        " (make one with: openssl rand -base64 32)"));
  }
  std::copy(raw.begin(), raw.end(), box.key_.begin());
  OPENSSL_cleanse(raw.data(), raw.size());
  box.encrypting_ = true;
  return box;
}

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

absl::StatusOr<std::string> SecretBox::Seal(absl::string_view plain) const {
  if (!encrypting_) return absl::StrCat(kPlainPrefix, plain);
  std::string out(kNonceSize + plain.size() + kTagSize, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(bytes, kNonceSize) != 1) {
    return absl::InternalError("cannot seal the API key: no random nonce from OpenSSL");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), bytes) != 1 ||
      EVP_EncryptUpdate(ctx.get(), bytes + kNonceSize, &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1) {
    return absl::InternalError("cannot seal the API key: OpenSSL encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), bytes + kNonceSize + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                          bytes + kNonceSize + total + len) != 1) {
    return absl::InternalError("cannot seal the API key: OpenSSL encryption failed");
  }
  return absl::StrCat(kSealedPrefix, absl::Base64Escape(out));
}

absl::StatusOr<std::string> SecretBox::Open(absl::string_view sealed) const {
  if (absl::ConsumePrefix(&sealed, kPlainPrefix)) return std::string(sealed);
  if (!absl::ConsumePrefix(&sealed, kSealedPrefix)) {
    return absl::InvalidArgumentError(
        "stored API key is in no known form (expected \"aesgcm:\" or \"plain:\")");
  }
  if (!encrypting_) {
    return absl::FailedPreconditionError(
        "an API key is sealed (\"aesgcm:\") but no secret key is configured: set "
        "DNSD_SECRET_KEY to the key it was sealed with");
  }
  std::string raw;
  if (!absl::Base64Unescape(sealed, &raw) || raw.size() < kNonceSize + kTagSize) {
    return CannotOpen();
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const size_t text_size = raw.size() - kNonceSize - kTagSize;
  std::string plain(text_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  // The tag is set through a non-const pointer in OpenSSL's API.
  std::array<unsigned char, kTagSize> tag;
  std::copy(bytes + kNonceSize + text_size, bytes + raw.size(), tag.begin());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key_.data(), bytes) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, bytes + kNonceSize,
                        static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return CannotOpen();
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return CannotOpen();
  }
  plain.resize(static_cast<size_t>(len + final_len));
  return plain;
}

std::string SecretBox::Digest(absl::string_view data) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!encrypting_) {
    EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha256(), nullptr);
    return Hex(md, std::min<size_t>(md_len, 16));
  }
  // A key of its own for digests, so the AES key is used for nothing else.
  static constexpr char kLabel[] = "dns.v1 request fingerprint";
  unsigned char derived[EVP_MAX_MD_SIZE];
  unsigned int derived_len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, derived,
       &derived_len);
  HMAC(EVP_sha256(), derived, static_cast<int>(derived_len),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &md_len);
  OPENSSL_cleanse(derived, sizeof(derived));
  return Hex(md, std::min<size_t>(md_len, 16));
}

}  // namespace dns
