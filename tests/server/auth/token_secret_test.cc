#include "server/auth/token_secret.h"

#include <set>

#include "gtest/gtest.h"

namespace dns {
namespace {

TEST(TokenSecretTest, SecretsAreLongRandomAndOnlyTheirDigestIsKept) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<std::string> s = GenerateTokenSecret();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->rfind("dnsv1_", 0), 0u) << *s;
    EXPECT_EQ(s->size(), 6u + 43u) << *s;  // 256 bits, URL-safe base64 unpadded
    EXPECT_EQ(s->find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 6),
              std::string::npos);
    EXPECT_TRUE(seen.insert(*s).second);
    const std::string digest = HashTokenSecret(*s);
    EXPECT_EQ(digest.size(), 32u);
    EXPECT_EQ(digest.find(*s), std::string::npos);
  }
  // SHA-256("abc"), FIPS 180-2's example.
  const std::string abc = HashTokenSecret("abc");
  EXPECT_EQ(static_cast<unsigned char>(abc[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(abc[31]), 0xad);
}

TEST(TokenSecretTest, DigestsCompare) {
  EXPECT_TRUE(SameDigest(HashTokenSecret("a"), HashTokenSecret("a")));
  EXPECT_FALSE(SameDigest(HashTokenSecret("a"), HashTokenSecret("b")));
  EXPECT_FALSE(SameDigest("abc", "ab"));
}

TEST(TokenSecretTest, Names) {
  for (const char* ok : {"praho", "ci-bot", "a", "ops.admin_2", "0day"}) {
    EXPECT_TRUE(ValidateTokenName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "Praho", "-x", ".x", "a b", "a/b", "é",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    EXPECT_FALSE(ValidateTokenName(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace dns
