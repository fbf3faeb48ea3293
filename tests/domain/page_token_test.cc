#include "server/domain/page_token.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::ElementsAre;

constexpr char kMalformed[] = "page_token is malformed";
constexpr char kOtherFilters[] = "page_token was issued for different filters";

void ExpectError(const absl::StatusOr<std::vector<std::string>>& got, const std::string& message,
                 const std::string& context) {
  ASSERT_FALSE(got.ok()) << context;
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << context;
  EXPECT_EQ(got.status().message(), message) << context;
}

// Mirrors the documented wire layout so tests can forge tokens that pass the
// checksum but break other rules.
uint32_t Fnv32(const std::string& data) {
  uint32_t h = 2166136261u;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}
uint64_t Fnv64(const std::string& data) {
  uint64_t h = 14695981039346656037ull;
  for (char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}
std::string Forge(uint8_t version, const std::string& fingerprint, const std::string& body) {
  std::string raw(1, static_cast<char>(version));
  const uint64_t h = Fnv64(fingerprint);
  for (int i = 7; i >= 0; --i) raw.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  raw += body;
  const uint32_t sum = Fnv32(raw);
  for (int i = 3; i >= 0; --i) raw.push_back(static_cast<char>((sum >> (8 * i)) & 0xff));
  return absl::WebSafeBase64Escape(raw);
}

TEST(PageTokenTest, RoundTrip) {
  const std::vector<std::vector<std::string>> keys = {
      {},
      {""},
      {"example.com."},
      {"www.example.com.", "A"},
      {"a", "", "c"},
      {std::string("nul\0byte", 8), "\xff\xfe"},
      {std::string(255, 'x'), std::string(300, 'y')},
      {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"},
  };
  const std::vector<std::string> fingerprints = {"", "account=a", std::string(1000, 'f'),
                                                 std::string("\0", 1)};
  for (const auto& key : keys) {
    for (const auto& fp : fingerprints) {
      const std::string token = EncodePageToken(key, fp);
      EXPECT_FALSE(token.empty());
      EXPECT_LE(token.size(), kMaxPageTokenLength);
      absl::StatusOr<std::vector<std::string>> got = DecodePageToken(token, fp);
      ASSERT_TRUE(got.ok()) << got.status() << " token " << token;
      EXPECT_EQ(*got, key);
    }
  }
}

TEST(PageTokenTest, UrlSafeAlphabetWithoutPadding) {
  for (int n = 0; n < 40; ++n) {
    const std::string token = EncodePageToken({std::string(n, '\xfb'), "?/+="}, "fp");
    for (char c : token) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
      EXPECT_TRUE(ok) << "character '" << c << "' in " << token;
    }
  }
}

TEST(PageTokenTest, DeterministicAndDistinct) {
  EXPECT_EQ(EncodePageToken({"a.example.", "A"}, "f"), EncodePageToken({"a.example.", "A"}, "f"));
  std::set<std::string> tokens;
  tokens.insert(EncodePageToken({"a.example.", "A"}, "f"));
  tokens.insert(EncodePageToken({"a.example.", "AAAA"}, "f"));
  tokens.insert(EncodePageToken({"a.example.A"}, "f"));
  tokens.insert(EncodePageToken({"a.example.", "A"}, "g"));
  tokens.insert(EncodePageToken({"A", "a.example."}, "f"));
  EXPECT_EQ(tokens.size(), 5u);
}

// Tokens outlive processes and releases; the format must not drift by
// accident (absl::Hash, for one, is seeded per process).
TEST(PageTokenTest, FormatIsStable) {
  const std::string token = EncodePageToken({"example.com."}, "filters");
  EXPECT_EQ(token, Forge(1, "filters", std::string("\x01\x0c", 2) + "example.com."));
  EXPECT_THAT(*DecodePageToken(token, "filters"), ElementsAre("example.com."));
}

TEST(PageTokenTest, WrongFingerprint) {
  const std::string token = EncodePageToken({"example.com."}, "account=a");
  ExpectError(DecodePageToken(token, "account=b"), kOtherFilters, "b");
  ExpectError(DecodePageToken(token, ""), kOtherFilters, "empty");
  ExpectError(DecodePageToken(token, "account=a "), kOtherFilters, "trailing space");
  EXPECT_TRUE(DecodePageToken(token, "account=a").ok());
}

TEST(PageTokenTest, EverySingleCharacterChangeIsRejected) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string token = EncodePageToken({"shop.example.com.", "MX"}, "fp");
  int checked = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    for (char c : alphabet) {
      if (c == token[i]) continue;
      std::string tampered = token;
      tampered[i] = c;
      ExpectError(DecodePageToken(tampered, "fp"), kMalformed, tampered);
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(token.size() * 63));
}

TEST(PageTokenTest, TruncatedOrExtendedIsRejected) {
  const std::string token = EncodePageToken({"www.example.com.", "A"}, "fp");
  for (size_t n = 0; n < token.size(); ++n) {
    ExpectError(DecodePageToken(token.substr(0, n), "fp"), kMalformed, token.substr(0, n));
  }
  for (const std::string suffix : {"A", "AA", "AAA", "AAAA", "=", "==", "-", "_"}) {
    ExpectError(DecodePageToken(token + suffix, "fp"), kMalformed, token + suffix);
  }
}

TEST(PageTokenTest, Garbage) {
  const std::vector<std::string> garbage = {
      "",
      "a",
      "abc",
      "AAAA",
      "AAAAAAAAAAAAAAAAAAAAAAAA",
      "Zm9v",
      "!!!!",
      "page_token",
      "next",
      "eyJhbGciOiJIUzI1NiJ9",
      "0",
      "null",
      " ",
      "a b c",
      "QUJD+/==",
      std::string(5000, 'A'),
      std::string("\0\0\0\0", 4),
      "\xc3\xa9t\xc3\xa9",
  };
  for (const std::string& g : garbage) ExpectError(DecodePageToken(g, "fp"), kMalformed, g);
}

TEST(PageTokenTest, PaddedSpellingIsRejected) {
  // Same bytes in padded standard-ish form: not what we issue.
  for (int n = 1; n < 6; ++n) {
    const std::string token = EncodePageToken({std::string(n, 'k')}, "fp");
    std::string padded = token;
    while (padded.size() % 4 != 0) padded.push_back('=');
    if (padded == token) continue;
    ExpectError(DecodePageToken(padded, "fp"), kMalformed, padded);
  }
}

TEST(PageTokenTest, ForgedTokensWithValidChecksum) {
  // Sanity: the forger produces tokens the decoder accepts.
  EXPECT_THAT(*DecodePageToken(Forge(1, "fp", std::string("\x01\x01z", 3)), "fp"),
              ElementsAre("z"));

  struct Case {
    std::string name;
    std::string token;
  };
  const std::vector<Case> cases = {
      {"unknown version", Forge(2, "fp", std::string("\x00", 1))},
      {"version zero", Forge(0, "fp", std::string("\x00", 1))},
      {"too many parts", Forge(1, "fp", std::string("\x11", 1) + std::string(17, '\0'))},
      {"length past end", Forge(1, "fp",
                                std::string("\x01\x05"
                                            "abc",
                                            5))},
      {"trailing bytes", Forge(1, "fp",
                               std::string("\x01\x01"
                                           "ab",
                                           4))},
      {"missing count", Forge(1, "fp", "")},
      {"unterminated varint", Forge(1, "fp", std::string("\x80", 1))},
      {"huge varint", Forge(1, "fp", std::string("\x01\xff\xff\xff\x7f", 5))},
  };
  for (const Case& c : cases) ExpectError(DecodePageToken(c.token, "fp"), kMalformed, c.name);
}

TEST(PageTokenTest, MaxKeyPartsBoundary) {
  std::vector<std::string> key(kMaxPageTokenKeyParts, "p");
  EXPECT_TRUE(DecodePageToken(EncodePageToken(key, "fp"), "fp").ok());
  key.push_back("p");
  ExpectError(DecodePageToken(EncodePageToken(key, "fp"), "fp"), kMalformed, "17 parts");
}

}  // namespace
}  // namespace dns
