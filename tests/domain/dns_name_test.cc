#include "server/domain/dns_name.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::HasSubstr;

// One table row: input and either the canonical result or a substring of
// the error message.
struct NameCase {
  std::string input;
  bool ok;
  std::string want;  // canonical name, or error substring
};

NameCase Ok(std::string input, std::string want) {
  return {std::move(input), true, std::move(want)};
}
NameCase Bad(std::string input, std::string error) {
  return {std::move(input), false, std::move(error)};
}

template <typename Fn>
void CheckTable(const std::vector<NameCase>& cases, Fn fn) {
  for (const NameCase& c : cases) {
    SCOPED_TRACE(absl::StrCat("input '", c.input, "'"));
    absl::StatusOr<std::string> got = fn(c.input);
    if (c.ok) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, c.want);
    } else {
      ASSERT_FALSE(got.ok()) << "unexpectedly accepted as " << *got;
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.want));
    }
  }
}

std::string Label(size_t n, char c = 'a') { return std::string(n, c); }

// A name of exactly `wire` octets in wire format, built from 63-octet labels
// and one shorter label.
std::string NameOfWireLength(size_t wire) {
  std::string name;
  size_t remaining = wire - 1;  // root octet
  while (remaining > 0) {
    size_t label = std::min<size_t>(63, remaining - 1);
    if (remaining - (label + 1) == 1) --label;  // never leave a 0-length label
    name += Label(label, 'b') + ".";
    remaining -= label + 1;
  }
  return name;
}

TEST(NameOfWireLengthTest, BuildsExactLengths) {
  for (size_t wire : {3u, 4u, 64u, 65u, 66u, 200u, 254u, 255u, 256u}) {
    const std::string name = NameOfWireLength(wire);
    size_t computed = 1;
    size_t label = 0;
    for (char c : name) {
      if (c == '.') {
        ASSERT_GT(label, 0u) << name;
        computed += label + 1;
        label = 0;
      } else {
        ++label;
      }
    }
    EXPECT_EQ(computed, wire) << name;
  }
}

TEST(CanonicalZoneNameTest, Table) {
  CheckTable(
      {
          Ok("example.com", "example.com."),
          Ok("example.com.", "example.com."),
          Ok("EXAMPLE.COM", "example.com."),
          Ok("Example.Com.", "example.com."),
          Ok("test", "test."),
          Ok("test.", "test."),
          Ok("a.b.c.d.e.f", "a.b.c.d.e.f."),
          Ok("xn--bcher-kva.example", "xn--bcher-kva.example."),
          Ok("-odd-.example", "-odd-.example."),
          Ok("_tcp.example.com", "_tcp.example.com."),
          Ok("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa."),
          Ok("8.b.d.0.1.0.0.2.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa."),
          Ok("123.com", "123.com."),
          Ok("a", "a."),
          Ok(Label(63) + ".com", Label(63) + ".com."),
          Ok(NameOfWireLength(255), NameOfWireLength(255)),
          Bad("", "empty"),
          Bad(".", "root"),
          Bad("..", "empty label"),
          Bad("example..com", "empty label"),
          Bad(".example.com", "empty label"),
          Bad("example.com..", "empty label"),
          Bad("exa mple.com", "a space"),
          Bad(" example.com", "a space"),
          Bad("example.com ", "a space"),
          Bad("example.com\t", "a tab"),
          Bad("exam\nple.com", "control character 0x0a"),
          Bad(std::string("exa\0mple.com", 12), "control character 0x00"),
          Bad("bücher.de", "non-ASCII"),
          Bad("example.com/", "'/'"),
          Bad("example!.com", "'!'"),
          Bad("exa@mple.com", "'@'"),
          Bad("example,com", "','"),
          Bad("*.example.com", "wildcard"),
          Bad("ex*ample.com", "'*'"),
          Bad("example\\.com", "'\\'"),
          Bad(Label(64) + ".com", "longer than 63 octets"),
          Bad(Label(100) + ".com", "longer than 63 octets"),
          Bad(NameOfWireLength(256), "more than 255"),
          Bad(NameOfWireLength(300), "more than 255"),
      },
      [](const std::string& in) { return CanonicalZoneName(in); });
}

TEST(CanonicalZoneNameTest, LabelLengthBoundary) {
  for (size_t n = 1; n <= 70; ++n) {
    SCOPED_TRACE(n);
    absl::StatusOr<std::string> got = CanonicalZoneName(Label(n) + ".example");
    EXPECT_EQ(got.ok(), n <= 63);
    if (!got.ok()) {
      EXPECT_THAT(std::string(got.status().message()), HasSubstr("longer than 63 octets"));
    }
  }
}

TEST(CanonicalZoneNameTest, WireLengthBoundary) {
  for (size_t wire = 240; wire <= 270; ++wire) {
    SCOPED_TRACE(wire);
    absl::StatusOr<std::string> got = CanonicalZoneName(NameOfWireLength(wire));
    EXPECT_EQ(got.ok(), wire <= 255);
  }
}

// Every byte value inside a label: only letters, digits, '-', '_' pass
// ('.' just splits the label).
TEST(CanonicalZoneNameTest, EveryByte) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    SCOPED_TRACE(b);
    const std::string input = std::string("a") + c + "b.example";
    absl::StatusOr<std::string> got = CanonicalZoneName(input);
    const bool expect_ok = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
                           (b >= '0' && b <= '9') || c == '-' || c == '_' || c == '.';
    EXPECT_EQ(got.ok(), expect_ok);
    if (expect_ok && c != '.') {
      const char lower = (b >= 'A' && b <= 'Z') ? static_cast<char>(b - 'A' + 'a') : c;
      EXPECT_EQ(*got, std::string("a") + lower + "b.example.");
    }
  }
}

TEST(CanonicalZoneNameTest, LongLabelMessageIsShortened) {
  absl::StatusOr<std::string> got = CanonicalZoneName(Label(200) + ".com");
  ASSERT_FALSE(got.ok());
  EXPECT_LT(got.status().message().size(), 120u);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("..."));
}

TEST(CanonicalOwnerNameTest, Table) {
  const std::string zone = "example.com.";
  CheckTable(
      {
          Ok("", "example.com."),
          Ok("@", "example.com."),
          Ok("www", "www.example.com."),
          Ok("WWW", "www.example.com."),
          Ok("a.b", "a.b.example.com."),
          Ok("www.example.com.", "www.example.com."),
          Ok("WWW.Example.COM.", "www.example.com."),
          Ok("www.example.com", "www.example.com."),
          Ok("WWW.EXAMPLE.COM", "www.example.com."),
          Ok("example.com", "example.com."),
          Ok("EXAMPLE.COM", "example.com."),
          Ok("example.com.", "example.com."),
          Ok("deep.a.b.c.example.com", "deep.a.b.c.example.com."),
          Ok("_dmarc", "_dmarc.example.com."),
          Ok("_sip._tcp", "_sip._tcp.example.com."),
          Ok("selector1._domainkey", "selector1._domainkey.example.com."),
          Ok("*", "*.example.com."),
          Ok("*.www", "*.www.example.com."),
          Ok("*.example.com.", "*.example.com."),
          Ok("*.example.com", "*.example.com."),
          Ok("-", "-.example.com."),
          // Ends with "example.com" only as a label suffix: relative.
          Ok("myexample.com", "myexample.com.example.com."),
          Ok("com", "com.example.com."),
          Ok("example", "example.example.com."),
          Ok("other.org", "other.org.example.com."),
          Ok(Label(63), Label(63) + ".example.com."),
          Bad(Label(64), "longer than 63 octets"),
          Bad("www.other.org.", "is not inside zone 'example.com.'"),
          Bad("com.", "not inside zone"),
          Bad("myexample.com.", "not inside zone"),
          Bad(".", "not inside zone"),
          Bad("www..", "empty label"),
          Bad("a..b", "empty label"),
          Bad(".www", "empty label"),
          Bad("www.*", "not the leftmost label"),
          Bad("a.*.b", "not the leftmost label"),
          Bad("*a", "'*' inside a label"),
          Bad("w*w", "'*' inside a label"),
          Bad("**", "'*' inside a label"),
          Bad("@.www", "'@'"),
          Bad("www@", "'@'"),
          Bad("w w", "a space"),
          Bad("www ", "a space"),
          Bad("wäw", "non-ASCII"),
          Bad("w\x01w", "control character 0x01"),
          Bad("w\x7fw", "control character 0x7f"),
          Bad("ww/w", "'/'"),
          Bad(Label(63) + "." + Label(63) + "." + Label(63) + "." + Label(63), "more than 255"),
      },
      [&](const std::string& in) { return CanonicalOwnerName(in, zone); });
}

TEST(CanonicalOwnerNameTest, SingleLabelZone) {
  CheckTable(
      {
          Ok("@", "test."),
          Ok("www", "www.test."),
          Ok("test", "test."),
          Ok("www.test", "www.test."),
          Ok("www.test.", "www.test."),
          Bad("www.example.", "not inside zone 'test.'"),
      },
      [](const std::string& in) { return CanonicalOwnerName(in, "test."); });
}

TEST(CanonicalOwnerNameTest, ReverseZone) {
  CheckTable(
      {
          Ok("1", "1.2.0.192.in-addr.arpa."),
          Ok("1.2.0.192.in-addr.arpa", "1.2.0.192.in-addr.arpa."),
          Ok("@", "2.0.192.in-addr.arpa."),
          Bad("1.3.0.192.in-addr.arpa.", "not inside zone"),
      },
      [](const std::string& in) { return CanonicalOwnerName(in, "2.0.192.in-addr.arpa."); });
}

// Wire length counts the zone part too: a relative name can overflow.
TEST(CanonicalOwnerNameTest, RelativeNameTooLongWithZone) {
  const std::string zone = "example.com.";  // 13 octets
  std::string relative;
  // 3 labels of 63 + dots = 192 octets, + zone 13 -> 205 so far.
  for (int i = 0; i < 3; ++i) relative += Label(63) + ".";
  EXPECT_TRUE(CanonicalOwnerName(relative + Label(48), zone).ok());   // 205+49 = 254
  EXPECT_TRUE(CanonicalOwnerName(relative + Label(49), zone).ok());   // 255
  EXPECT_FALSE(CanonicalOwnerName(relative + Label(50), zone).ok());  // 256
}

TEST(CanonicalTargetNameTest, Table) {
  CheckTable(
      {
          Ok(".", "."),
          Ok("mail.example.com", "mail.example.com."),
          Ok("mail.example.com.", "mail.example.com."),
          Ok("MAIL.Example.COM", "mail.example.com."),
          Ok("localhost", "localhost."),
          Ok("_sip._tcp.example.com", "_sip._tcp.example.com."),
          Ok("ns1.provider.net.", "ns1.provider.net."),
          Ok("host-1.example", "host-1.example."),
          Ok(Label(63) + ".x", Label(63) + ".x."),
          Bad("", "empty"),
          Bad("..", "empty label"),
          Bad("a..b", "empty label"),
          Bad("*.example.com", "wildcard"),
          Bad("mail example.com", "a space"),
          Bad("mail.example.com/", "'/'"),
          Bad("mail@example.com", "'@'"),
          Bad("mäil.example.com", "non-ASCII"),
          Bad(Label(64) + ".x", "longer than 63"),
          Bad(NameOfWireLength(256), "more than 255"),
          Bad("http://example.com", "':'"),
          Bad("192.0.2.1:53", "':'"),
      },
      [](const std::string& in) { return CanonicalTargetName(in); });
}

TEST(IsInZoneTest, Table) {
  struct Case {
    std::string name, zone;
    bool want;
  };
  const std::vector<Case> cases = {
      {"example.com.", "example.com.", true},
      {"www.example.com.", "example.com.", true},
      {"a.b.example.com.", "example.com.", true},
      {"*.example.com.", "example.com.", true},
      {"myexample.com.", "example.com.", false},
      {"com.", "example.com.", false},
      {"example.org.", "example.com.", false},
      {"www.example.org.", "example.com.", false},
      {"xample.com.", "example.com.", false},
      {"www.test.", "test.", true},
      {"test.", "test.", true},
      {"atest.", "test.", false},
      {"anything.", ".", true},
      {".", ".", true},
      {"WWW.EXAMPLE.COM.", "example.com.", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsInZone(c.name, c.zone), c.want) << c.name << " in " << c.zone;
  }
}

TEST(RelativeNameTest, Table) {
  struct Case {
    std::string name, origin, want;
  };
  const std::vector<Case> cases = {
      {"example.com.", "example.com.", "@"},
      {"www.example.com.", "example.com.", "www"},
      {"a.b.example.com.", "example.com.", "a.b"},
      {"*.example.com.", "example.com.", "*"},
      {"_dmarc.example.com.", "example.com.", "_dmarc"},
      {"myexample.com.", "example.com.", "myexample.com."},
      {"www.example.org.", "example.com.", "www.example.org."},
      {"com.", "example.com.", "com."},
      {"www.test.", "test.", "www"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(RelativeName(c.name, c.origin), c.want) << c.name << " in " << c.origin;
  }
}

// RelativeName output fed back through CanonicalOwnerName gives the original.
TEST(RelativeNameTest, RoundTripsThroughCanonicalOwnerName) {
  const std::string zone = "example.com.";
  for (const std::string name :
       {"example.com.", "www.example.com.", "a.b.c.example.com.", "*.example.com.",
        "_sip._tcp.example.com.", "com.example.com.", "example.example.com."}) {
    absl::StatusOr<std::string> back = CanonicalOwnerName(RelativeName(name, zone), zone);
    ASSERT_TRUE(back.ok()) << name << ": " << back.status();
    EXPECT_EQ(*back, name);
  }
}

// Canonicalisation is idempotent.
TEST(CanonicalNamesTest, Idempotent) {
  for (const std::string input :
       {"Example.COM", "a.b.c", "xn--x", "_a._b.c", "test", "ns1.Provider.NET."}) {
    absl::StatusOr<std::string> once = CanonicalZoneName(input);
    ASSERT_TRUE(once.ok());
    absl::StatusOr<std::string> twice = CanonicalZoneName(*once);
    ASSERT_TRUE(twice.ok());
    EXPECT_EQ(*once, *twice);
    absl::StatusOr<std::string> target = CanonicalTargetName(input);
    ASSERT_TRUE(target.ok());
    EXPECT_EQ(*target, *once);
  }
}

}  // namespace
}  // namespace dns
