#include "storage/secret_box.h"

#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kKey[] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";  // 32 bytes
constexpr char kOtherKey[] = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
constexpr char kSecret[] = "pdns-api-key-0c1f7e";

SecretBox Box(const char* key) {
  absl::StatusOr<SecretBox> box = SecretBox::FromBase64Key(key);
  EXPECT_TRUE(box.ok()) << box.status();
  return box.ok() ? *box : SecretBox();
}

// The status must not reveal the secret key, in base64 or raw.
void ExpectNoKey(const absl::Status& status, const char* b64) {
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(b64, &raw));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(b64)));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr(raw)));
  EXPECT_THAT(status.ToString(), Not(HasSubstr(b64)));
}

TEST(SecretBoxTest, RoundTrip) {
  SecretBox box = Box(kKey);
  EXPECT_TRUE(box.encrypting());
  absl::StatusOr<std::string> sealed = box.Seal(kSecret);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_THAT(*sealed, StartsWith("aesgcm:"));
  EXPECT_THAT(*sealed, Not(HasSubstr(kSecret)));
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(sealed->substr(7), &raw));
  EXPECT_EQ(raw.size(), 12 + sizeof(kSecret) - 1 + 16);
  absl::StatusOr<std::string> opened = box.Open(*sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, kSecret);
}

TEST(SecretBoxTest, RoundTripEdgeSizes) {
  SecretBox box = Box(kKey);
  for (const std::string& secret : {std::string(), std::string(1, 'x'), std::string(512, 'k'),
                                    std::string("with\0nul", 8)}) {
    absl::StatusOr<std::string> sealed = box.Seal(secret);
    ASSERT_TRUE(sealed.ok());
    absl::StatusOr<std::string> opened = box.Open(*sealed);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(*opened, secret);
  }
}

TEST(SecretBoxTest, NonceDiffersEachTime) {
  SecretBox box = Box(kKey);
  std::set<std::string> seen;
  std::set<std::string> nonces;
  for (int i = 0; i < 50; ++i) {
    absl::StatusOr<std::string> sealed = box.Seal(kSecret);
    ASSERT_TRUE(sealed.ok());
    seen.insert(*sealed);
    std::string raw;
    ASSERT_TRUE(absl::Base64Unescape(sealed->substr(7), &raw));
    nonces.insert(raw.substr(0, 12));
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(nonces.size(), 50u);
}

TEST(SecretBoxTest, TamperedDataIsRefused) {
  SecretBox box = Box(kKey);
  absl::StatusOr<std::string> sealed = box.Seal(kSecret);
  ASSERT_TRUE(sealed.ok());
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(sealed->substr(7), &raw));
  // Flip one bit in the nonce, the ciphertext and the tag in turn.
  for (size_t pos : {size_t{0}, size_t{12}, raw.size() - 1}) {
    std::string bad = raw;
    bad[pos] ^= 0x01;
    absl::StatusOr<std::string> opened = box.Open("aesgcm:" + absl::Base64Escape(bad));
    ASSERT_FALSE(opened.ok()) << "tampering at byte " << pos << " went unnoticed";
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
    ExpectNoKey(opened.status(), kKey);
  }
  // Truncated, empty and non-base64 bodies.
  for (const std::string& bad :
       {std::string("aesgcm:"), "aesgcm:" + absl::Base64Escape(raw.substr(0, 20)),
        std::string("aesgcm:!!!not base64!!!")}) {
    absl::StatusOr<std::string> opened = box.Open(bad);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

TEST(SecretBoxTest, WrongKeyIsRefused) {
  absl::StatusOr<std::string> sealed = Box(kKey).Seal(kSecret);
  ASSERT_TRUE(sealed.ok());
  absl::StatusOr<std::string> opened = Box(kOtherKey).Open(*sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  ExpectNoKey(opened.status(), kKey);
  ExpectNoKey(opened.status(), kOtherKey);
  EXPECT_THAT(std::string(opened.status().message()), Not(HasSubstr(kSecret)));
}

TEST(SecretBoxTest, SealedWithoutKeyConfigured) {
  absl::StatusOr<std::string> sealed = Box(kKey).Seal(kSecret);
  ASSERT_TRUE(sealed.ok());
  SecretBox plain = Box("");
  absl::StatusOr<std::string> opened = plain.Open(*sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("DNSD_SECRET_KEY"));
}

TEST(SecretBoxTest, PlainMode) {
  SecretBox box = Box("");
  EXPECT_FALSE(box.encrypting());
  EXPECT_FALSE(SecretBox().encrypting());
  absl::StatusOr<std::string> sealed = box.Seal(kSecret);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*sealed, std::string("plain:") + kSecret);
  absl::StatusOr<std::string> opened = box.Open(*sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kSecret);
  // Keys stored before a secret key was configured still open.
  opened = Box(kKey).Open(*sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, kSecret);
}

TEST(SecretBoxTest, UnknownFormIsRefused) {
  absl::StatusOr<std::string> opened = Box(kKey).Open(kSecret);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(opened.status().message()), Not(HasSubstr(kSecret)));
}

TEST(SecretBoxTest, BadKeysAreRefusedWithoutEchoingThem) {
  for (const char* bad : {"c2hvcnQ=", "not base64 at all!", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMA=="}) {
    absl::StatusOr<SecretBox> box = SecretBox::FromBase64Key(bad);
    ASSERT_FALSE(box.ok()) << bad;
    EXPECT_EQ(box.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(box.status().message()), Not(HasSubstr(bad)));
  }
  // Whitespace around the key (a trailing newline from a file) is fine.
  EXPECT_TRUE(SecretBox::FromBase64Key(std::string(kKey) + "\n").ok());
  // URL-safe base64 without padding too.
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(kKey, &raw));
  absl::StatusOr<SecretBox> websafe = SecretBox::FromBase64Key(absl::WebSafeBase64Escape(raw));
  ASSERT_TRUE(websafe.ok());
  absl::StatusOr<std::string> sealed = websafe->Seal(kSecret);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*Box(kKey).Open(*sealed), kSecret);
}

TEST(SecretBoxTest, DigestIsStableKeyedAndOpaque) {
  SecretBox a = Box(kKey);
  SecretBox b = Box(kOtherKey);
  SecretBox plain = Box("");
  EXPECT_EQ(a.Digest(kSecret), a.Digest(kSecret));
  EXPECT_NE(a.Digest(kSecret), a.Digest("other"));
  EXPECT_NE(a.Digest(kSecret), b.Digest(kSecret));
  EXPECT_NE(a.Digest(kSecret), plain.Digest(kSecret));
  EXPECT_EQ(a.Digest(kSecret).size(), 32u);
  EXPECT_THAT(a.Digest(kSecret), Not(HasSubstr(kSecret)));
}

TEST(SecretBoxTest, CopiesWork) {
  SecretBox box = Box(kKey);
  SecretBox copy = box;
  absl::StatusOr<std::string> sealed = box.Seal(kSecret);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*copy.Open(*sealed), kSecret);
}

}  // namespace
}  // namespace dns
