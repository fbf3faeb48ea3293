#include "server/domain/record_validator.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/model.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

struct ContentCase {
  std::string type;
  std::string input;
  bool ok;
  std::string want;  // canonical content, or error substring
};

ContentCase Ok(std::string type, std::string input, std::string want) {
  return {std::move(type), std::move(input), true, std::move(want)};
}
// Canonical input: must come back unchanged.
ContentCase Same(std::string type, std::string input) {
  std::string want = input;
  return {std::move(type), std::move(input), true, std::move(want)};
}
ContentCase Bad(std::string type, std::string input, std::string error) {
  return {std::move(type), std::move(input), false, std::move(error)};
}

std::string Hex(size_t n, char c = 'a') { return std::string(n, c); }
// 0123456789abcdef repeated, so case folding is visible.
std::string MixedHex(size_t n, bool upper) {
  const std::string digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(digits[i % 16]);
  return out;
}

// The zone the records of the tables below belong to.
constexpr char kOrigin[] = "example.com.";

void CheckContentTable(const std::vector<ContentCase>& cases) {
  for (const ContentCase& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.type, " '", c.input, "'"));
    absl::StatusOr<std::string> got = CanonicalContent(c.type, c.input, kOrigin);
    if (c.ok) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, c.want);
      // Canonical output is a fixed point.
      absl::StatusOr<std::string> again = CanonicalContent(c.type, *got, kOrigin);
      ASSERT_TRUE(again.ok()) << again.status();
      EXPECT_EQ(*again, *got);
    } else {
      ASSERT_FALSE(got.ok()) << "unexpectedly accepted as " << *got;
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.want));
    }
  }
}

TEST(CanonicalContentTest, A) {
  CheckContentTable({
      Same("A", "192.0.2.1"),
      Same("A", "0.0.0.0"),
      Same("A", "255.255.255.255"),
      Same("A", "10.0.0.1"),
      Same("A", "127.0.0.1"),
      Ok("A", " 192.0.2.1 ", "192.0.2.1"),
      Ok("A", "\t192.0.2.1\n", "192.0.2.1"),
      Ok("a", "192.0.2.1", "192.0.2.1"),
      Bad("A", "", "content is empty"),
      Bad("A", "   ", "content is empty"),
      Bad("A", "256.0.0.1", "not an IPv4 address"),
      Bad("A", "1.2.3", "not an IPv4 address"),
      Bad("A", "1.2.3.4.5", "not an IPv4 address"),
      Bad("A", "01.2.3.4", "not an IPv4 address"),
      Bad("A", "1.2.3.04", "not an IPv4 address"),
      Bad("A", "a.b.c.d", "not an IPv4 address"),
      Bad("A", "1.2.3.4/24", "not an IPv4 address"),
      Bad("A", "::1", "not an IPv4 address"),
      Bad("A", "0x7f.0.0.1", "not an IPv4 address"),
      Bad("A", "1..2.3", "not an IPv4 address"),
      Bad("A", "-1.2.3.4", "not an IPv4 address"),
      Bad("A", "1.2.3.4.", "not an IPv4 address"),
      Bad("A", "1.2.3.4x", "not an IPv4 address"),
      Bad("A", "example.com", "not an IPv4 address"),
      Bad("A", "\"192.0.2.1\"", "not an IPv4 address"),
      Bad("A", "192.0.2.1 192.0.2.2", "needs 1 field (address), got 2"),
      Bad("A", "192.0.2.1\x01", "control character 0x01"),
  });
}

TEST(CanonicalContentTest, Aaaa) {
  CheckContentTable({
      Same("AAAA", "2001:db8::1"),
      Same("AAAA", "::1"),
      Same("AAAA", "::"),
      Same("AAAA", "fe80::1"),
      Same("AAAA", "2001:db8::"),
      Same("AAAA", "::ffff:192.0.2.1"),
      Ok("AAAA", "2001:DB8::1", "2001:db8::1"),
      Ok("AAAA", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
      Ok("AAAA", "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
      Ok("AAAA", "2001:0DB8:85A3:0000:0000:8A2E:0370:7334", "2001:db8:85a3::8a2e:370:7334"),
      Ok("AAAA", "  fe80:0::1  ", "fe80::1"),
      Ok("aaaa", "0:0:0:0:0:0:0:1", "::1"),
      Bad("AAAA", "192.0.2.1", "not an IPv6 address"),
      Bad("AAAA", "2001:db8::1::2", "not an IPv6 address"),
      Bad("AAAA", "2001:db8:::1", "not an IPv6 address"),
      Bad("AAAA", "12345::1", "not an IPv6 address"),
      Bad("AAAA", "2001:db8::g", "not an IPv6 address"),
      Bad("AAAA", "fe80::1%eth0", "not an IPv6 address"),
      Bad("AAAA", "[2001:db8::1]", "not an IPv6 address"),
      Bad("AAAA", "2001:db8:1:2:3:4:5:6:7", "not an IPv6 address"),
      Bad("AAAA", "2001:db8::1/64", "not an IPv6 address"),
      Bad("AAAA", "2001:db8::1 ::2", "needs 1 field"),
      Bad("AAAA", "", "content is empty"),
  });
}

// The single-name types share their rules.
TEST(CanonicalContentTest, SingleTargetTypes) {
  for (const std::string type : {"CNAME", "NS", "PTR", "ALIAS", "DNAME"}) {
    CheckContentTable({
        Ok(type, "target.example.com", "target.example.com."),
        Same(type, "target.example.com."),
        Ok(type, "Target.Example.COM.", "target.example.com."),
        Ok(type, "  host.example.net.  ", "host.example.net."),
        Same(type, "_acme-challenge.other.example."),
        Same(type, "localhost."),
        Same(type, "1.2.0.192.in-addr.arpa."),
        Bad(type, ".", "cannot be the root"),
        Bad(type, "a b", "needs 1 field (target name), got 2"),
        Bad(type, "*.example.com", "wildcard"),
        Bad(type, "\"x.example.com\"", "must not be quoted"),
        Bad(type, "a..b", "empty label"),
        Bad(type, "http://x", "':'"),
        Bad(type, "x/y", "'/'"),
        Bad(type, "192.0.2.1", "is an IP address"),
        Bad(type, "192.0.2.1.", "is an IP address"),
        Bad(type, std::string(64, 'x') + ".com", "longer than 63 octets"),
        Bad(type, "", "content is empty"),
    });
  }
}

TEST(CanonicalContentTest, Mx) {
  CheckContentTable({
      Ok("MX", "10 mail.example.com", "10 mail.example.com."),
      Same("MX", "10 mail.example.com."),
      Same("MX", "0 ."),
      Same("MX", "65535 mx.example."),
      Ok("MX", "010 mail.example.com.", "10 mail.example.com."),
      Ok("MX", "  10   MAIL.example.com.  ", "10 mail.example.com."),
      Ok("MX", "10\tmail.example.com.", "10 mail.example.com."),
      Ok("mx", "5 Mx1.Example.Org.", "5 mx1.example.org."),
      Bad("MX", "mail.example.com", "needs 2 fields (preference exchange), got 1"),
      Bad("MX", "10", "needs 2 fields"),
      Bad("MX", "65536 mx.example.", "between 0 and 65535"),
      Bad("MX", "-1 mx.example.", "between 0 and 65535"),
      Bad("MX", "ten mx.example.", "MX preference 'ten'"),
      Bad("MX", "1e3 mx.example.", "MX preference"),
      Bad("MX", "10 mail example", "got 3"),
      Bad("MX", "10 mail..example", "empty label"),
      Bad("MX", "10 *.example", "wildcard"),
      Bad("MX", "10 192.0.2.25", "is an IP address"),
      Bad("MX", "10 \"mail.example.\"", "must not be quoted"),
      Bad("MX", "99999999999999999999999 mx.", "between 0 and 65535"),
  });
}

TEST(CanonicalContentTest, Srv) {
  CheckContentTable({
      Ok("SRV", "10 60 5060 sip.example.com", "10 60 5060 sip.example.com."),
      Same("SRV", "10 60 5060 sip.example.com."),
      Same("SRV", "0 0 0 ."),
      Same("SRV", "65535 65535 65535 x.example."),
      Ok("SRV", "00 01 0443 X.Example.", "0 1 443 x.example."),
      Ok("SRV", " 1  2  3  host.example. ", "1 2 3 host.example."),
      Bad("SRV", "10 60 5060", "needs 4 fields (priority weight port target), got 3"),
      Bad("SRV", "10 60 65536 x.example.", "SRV port"),
      Bad("SRV", "10 65536 1 x.example.", "SRV weight"),
      Bad("SRV", "65536 1 1 x.example.", "SRV priority"),
      Bad("SRV", "a 1 1 x.example.", "SRV priority 'a'"),
      Bad("SRV", "1 1 1 x y", "got 5"),
      Bad("SRV", "1 1 1 192.0.2.1", "is an IP address"),
      Bad("SRV", "1 1 1 x!y", "'!'"),
  });
}

TEST(CanonicalContentTest, Txt) {
  CheckContentTable({
      Ok("TXT", "hello", "\"hello\""),
      Ok("TXT", "hello world", "\"hello world\""),
      Ok("TXT", "v=spf1 include:_spf.google.com ~all", "\"v=spf1 include:_spf.google.com ~all\""),
      Ok("TXT", "  padded  ", "\"padded\""),
      Ok("TXT", "semi;colon", "\"semi;colon\""),
      Ok("TXT", "a\\b", "\"a\\\\b\""),
      Ok("TXT", "caf\xc3\xa9", "\"caf\\195\\169\""),
      Ok("TXT", "v=DKIM1; k=rsa; p=MIGf", "\"v=DKIM1; k=rsa; p=MIGf\""),
      Same("TXT", "\"hello\""),
      Same("TXT", "\"hello world\""),
      Same("TXT", "\"a\" \"b\""),
      Same("TXT", "\"\""),
      Same("TXT", "\"say \\\"hi\\\"\""),
      Same("TXT", "\"back\\\\slash\""),
      Same("TXT", "\"semi;colon\""),
      Same("TXT", "\"tab\\009x\""),
      Same("TXT", "\"caf\\195\\169\""),
      Same("TXT", "\"del\\127\""),
      Ok("TXT", "\"a\"   \"b\"", "\"a\" \"b\""),
      Ok("TXT", "\"a\"\"b\"", "\"a\" \"b\""),
      Ok("TXT", " \"a\"\t\"b\" ", "\"a\" \"b\""),
      Ok("TXT", "\"\\065BC\"", "\"ABC\""),
      Ok("TXT", "\"\\;\"", "\";\""),
      Ok("TXT", "\"\\a\\b\"", "\"ab\""),
      Ok("TXT", "\"\\032\"", "\" \""),
      Ok("TXT", "\"\\000\"", "\"\\000\""),
      Ok("TXT", "\"\\255\"", "\"\\255\""),
      Ok("TXT", std::string(255, 'x'), "\"" + std::string(255, 'x') + "\""),
      Same("TXT", "\"" + std::string(255, 'y') + "\""),
      Same("TXT", "\"" + std::string(255, 'y') + "\" \"" + std::string(100, 'z') + "\""),
      Bad("TXT", std::string(256, 'x'), "split it into several quoted strings"),
      Bad("TXT", "\"" + std::string(256, 'y') + "\"", "split it"),
      Bad("TXT", "\"unterminated", "not terminated"),
      Bad("TXT", "\"end\\", "not terminated"),
      Bad("TXT", "\"a\" b", "mixes quoted and unquoted"),
      Bad("TXT", "b \"a\"", "mixes quoted and unquoted"),
      Bad("TXT", "\"a\"b", "text follows a closing quote"),
      Bad("TXT", "x\"y", "unexpected '\"'"),
      Bad("TXT", "\"bad \\256\"", "larger than \\255"),
      Bad("TXT", "\"bad \\12\"", "three-digit escape"),
      Bad("TXT", "\"bad \\1\"", "three-digit escape"),
      Bad("TXT", "", "content is empty"),
      Bad("TXT", " \t ", "content is empty"),
  });
}

TEST(CanonicalContentTest, TxtTotalLength) {
  std::vector<std::string> strings;
  for (int i = 0; i < 15; ++i) strings.push_back("\"" + std::string(255, 'a') + "\"");
  const std::string fifteen = absl::StrJoin(strings, " ");  // 15*257+14 = 3869 octets
  absl::StatusOr<std::string> got = CanonicalContent("TXT", fifteen, kOrigin);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, fifteen);

  // 16 strings: canonical, but over the service's content limit.
  strings.push_back("\"" + std::string(255, 'a') + "\"");
  got = CanonicalContent("TXT", absl::StrJoin(strings, " "), kOrigin);
  ASSERT_TRUE(got.ok()) << got.status();
  std::vector<RRsetChange> changes = {
      {ChangeType::kReplace, {"big", "TXT", 300, {{absl::StrJoin(strings, " "), false}}}}};
  std::vector<FieldViolation> v = ValidateChanges("example.com.", changes, ValidationLimits());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "changes[0].rrset.records[0].content");
  EXPECT_THAT(v[0].description, HasSubstr("more than 4000 (--max_content_octets)"));
  ValidationLimits roomy;
  roomy.max_content_octets = 8000;
  EXPECT_TRUE(ValidateChanges("example.com.", changes, roomy).empty());
}

// Escaping expands bytes: 255 non-printable octets fit in one string but
// become 4 octets each in presentation format.
TEST(CanonicalContentTest, TxtEscapedBytesCountOnce) {
  const std::string raw(255, '\x01');
  absl::StatusOr<std::string> got = CanonicalContent("TXT", raw, kOrigin);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 2 + 255 * 4);
  absl::StatusOr<std::string> again = CanonicalContent("TXT", *got, kOrigin);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *got);
}

TEST(CanonicalContentTest, Spf) {
  CheckContentTable({
      Ok("SPF", "v=spf1 -all", "\"v=spf1 -all\""),
      Same("SPF", "\"v=spf1 mx -all\""),
      Bad("SPF", "\"v=spf1\" -all", "SPF content mixes quoted and unquoted"),
      Bad("SPF", std::string(300, 'a'), "SPF text is 300 octets"),
  });
}

TEST(CanonicalContentTest, Caa) {
  CheckContentTable({
      Same("CAA", "0 issue \"letsencrypt.org\""),
      Ok("CAA", "0 issue letsencrypt.org", "0 issue \"letsencrypt.org\""),
      Ok("CAA", "0 ISSUE letsencrypt.org", "0 issue \"letsencrypt.org\""),
      Same("CAA", "128 issuewild \";\""),
      Same("CAA", "0 iodef \"mailto:security@example.com\""),
      Ok("CAA", "0 iodef https://example.com/caa", "0 iodef \"https://example.com/caa\""),
      Same("CAA", "0 iodef \"http://example.com/caa\""),
      Same("CAA", "0 issue \"\""),
      Ok("CAA", "0 issue ca.example; account=123", "0 issue \"ca.example; account=123\""),
      Same("CAA", "0 contactemail \"dns@example.com\""),
      Same("CAA", "0 contactphone \"+1 555 0100\""),
      Same("CAA", "0 tbs \"x\""),
      Ok("CAA", "00 issue x", "0 issue \"x\""),
      Ok("CAA", "  0   issue   \"ca.example\"  ", "0 issue \"ca.example\""),
      Same("CAA", "0 abcdefghijklmno \"fifteen\""),
      Same("CAA", "0 issue \"say \\\"x\\\"\""),
      Bad("CAA", "256 issue x", "between 0 and 255"),
      Bad("CAA", "0 issue", "needs 3 fields (flags tag value), got 2"),
      Bad("CAA", "0", "got 1"),
      Bad("CAA", "0 is-sue x", "1 to 15 letters or digits"),
      Bad("CAA", "0 abcdefghijklmnop x", "1 to 15 letters or digits"),
      Bad("CAA", "0 iodef \"foo\"", "mailto:, http:// or https://"),
      Bad("CAA", "0 iodef ftp://x", "mailto:"),
      Bad("CAA", "0 issue \"a\" b", "text after the quoted value"),
      Bad("CAA", "0 issue a \"b\"", "mixes quoted and unquoted"),
      Bad("CAA", "x issue a", "CAA flags 'x'"),
      Bad("CAA", "0 \"issue\" a", "CAA tag must not be quoted"),
      Bad("CAA", "0 issue \"open", "not terminated"),
  });
}

TEST(CanonicalContentTest, Ds) {
  const std::string sha1 = MixedHex(40, false);
  const std::string sha256 = MixedHex(64, false);
  const std::string sha384 = MixedHex(96, false);
  CheckContentTable({
      Same("DS", "12345 8 2 " + sha256),
      Same("DS", "12345 8 1 " + sha1),
      Same("DS", "12345 13 4 " + sha384),
      Same("DS", "0 0 2 " + sha256),
      Same("DS", "65535 255 2 " + sha256),
      Ok("DS", "12345 8 2 " + MixedHex(64, true), "12345 8 2 " + sha256),
      Ok("DS", "12345 8 2 " + sha256.substr(0, 32) + " " + sha256.substr(32),
         "12345 8 2 " + sha256),
      Ok("DS", " 012345  08  2  " + sha256, "12345 8 2 " + sha256),
      Bad("DS", "12345 8 2 " + Hex(62), "needs 64 hex digits, got 62"),
      Bad("DS", "12345 8 2 " + Hex(63), "odd number of hex digits"),
      Bad("DS", "12345 8 1 " + Hex(64), "needs 40 hex digits, got 64"),
      Bad("DS", "12345 8 4 " + Hex(64), "needs 96 hex digits"),
      Bad("DS", "12345 8 3 " + Hex(64), "digest type 3 is not supported"),
      Bad("DS", "12345 8 0 " + Hex(64), "digest type 0 is not supported"),
      Bad("DS", "65536 8 2 " + Hex(64), "DS key tag"),
      Bad("DS", "12345 256 2 " + Hex(64), "DS algorithm"),
      Bad("DS", "12345 8 2 " + Hex(62, 'z') + "aa", "not hexadecimal"),
      Bad("DS", "12345 8 2", "needs 4 fields"),
      Bad("DS", "12345 8 2 \"" + sha256 + "\"", "must not be quoted"),
  });
}

TEST(CanonicalContentTest, Tlsa) {
  const std::string sha256 = MixedHex(64, false);
  const std::string sha512 = MixedHex(128, false);
  CheckContentTable({
      Same("TLSA", "3 1 1 " + sha256),
      Same("TLSA", "2 1 2 " + sha512),
      Same("TLSA", "3 0 0 30820122300d06092a864886f70d01010105000382010f00"),
      Same("TLSA", "0 0 1 " + sha256),
      Ok("TLSA", "3 1 1 " + MixedHex(64, true), "3 1 1 " + sha256),
      Ok("TLSA", "3 1 1 " + sha256.substr(0, 10) + " " + sha256.substr(10), "3 1 1 " + sha256),
      Bad("TLSA", "4 1 1 " + sha256, "TLSA usage"),
      Bad("TLSA", "3 2 1 " + sha256, "TLSA selector"),
      Bad("TLSA", "3 1 3 " + sha256, "TLSA matching type"),
      Bad("TLSA", "3 1 1 " + Hex(62), "needs 64 hex digits, got 62"),
      Bad("TLSA", "3 1 2 " + sha256, "needs 128 hex digits"),
      Bad("TLSA", "3 1 0 abc", "odd number"),
      Bad("TLSA", "3 1 0 xyz0", "not hexadecimal"),
      Bad("TLSA", "3 1 1", "needs 4 fields"),
  });
}

TEST(CanonicalContentTest, Sshfp) {
  const std::string sha1 = MixedHex(40, false);
  const std::string sha256 = MixedHex(64, false);
  CheckContentTable({
      Same("SSHFP", "1 1 " + sha1),
      Same("SSHFP", "4 2 " + sha256),
      Ok("SSHFP", "4 2 " + MixedHex(64, true), "4 2 " + sha256),
      Ok("SSHFP", "  3  1  " + sha1, "3 1 " + sha1),
      Bad("SSHFP", "1 3 " + sha256, "fingerprint type 3 is not supported"),
      Bad("SSHFP", "1 1 " + sha256, "needs 40 hex digits, got 64"),
      Bad("SSHFP", "1 2 " + sha1, "needs 64 hex digits, got 40"),
      Bad("SSHFP", "256 1 " + sha1, "SSHFP algorithm"),
      Bad("SSHFP", "1 1", "needs 3 fields"),
      Bad("SSHFP", "1 1 " + Hex(40, 'q'), "not hexadecimal"),
  });
}

TEST(CanonicalContentTest, Naptr) {
  CheckContentTable({
      Same("NAPTR", "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."),
      Ok("NAPTR", "100 10 S SIP+D2U \"\" _sip._udp.example.com",
         "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."),
      Same("NAPTR", "100 50 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" ."),
      Same("NAPTR", "0 0 \"\" \"\" \"\" ."),
      Same("NAPTR", "10 100 \"a\" \"x\" \"\" host.example."),
      Ok("NAPTR", "  100  10  \"S\"  \"SIP+D2U\"  \"\"  _SIP._udp.Example.com. ",
         "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."),
      Same("NAPTR", "100 10 \"u\" \"E2U+sip\" \"!^\\\\+1(.*)$!sip:\\\\1@example.com!\" ."),
      Bad("NAPTR", "100 10 \"S\" \"SIP+D2U\" \"!^.*$!x!\" host.example.com.",
          "regexp or a replacement, not both"),
      Bad("NAPTR", "100 10 \"S!\" \"SIP\" \"\" host.example.", "NAPTR flags"),
      Bad("NAPTR", "100", "needs 6 fields"),
      Bad("NAPTR", "70000 10 \"S\" \"x\" \"\" .", "NAPTR order"),
      Bad("NAPTR", "1 70000 \"S\" \"x\" \"\" .", "NAPTR preference"),
      Bad("NAPTR", "1 1 \"S\" \"x\" \"\" \"host.\"", "must not be quoted"),
      Bad("NAPTR", "1 1 \"S\" \"" + std::string(256, 'x') + "\" \"\" .", "longer than 255"),
  });
}

TEST(CanonicalContentTest, Soa) {
  CheckContentTable({
      Same("SOA", "ns1.example.com. hostmaster.example.com. 2024010101 10800 3600 604800 3600"),
      Ok("SOA", "NS1.example.com hostmaster.example.com 1 1h 15m 1w 1h",
         "ns1.example.com. hostmaster.example.com. 1 3600 900 604800 3600"),
      Same("SOA", "a. b. 4294967295 0 0 0 0"),
      Ok("SOA", "  a.  b.  1  2  3  4  5  ", "a. b. 1 2 3 4 5"),
      Bad("SOA", "ns1. host. 1 2 3 4", "needs 7 fields"),
      Bad("SOA", "ns1. host. 4294967296 1 2 3 4", "SOA serial"),
      Bad("SOA", "ns1. host. 1 x 2 3 4", "SOA refresh 'x'"),
      Bad("SOA", "ns1. host. 1 2 x 3 4", "SOA retry"),
      Bad("SOA", "ns1. host. 1 2 3 x 4", "SOA expire"),
      Bad("SOA", "ns1. host. 1 2 3 4 x", "SOA minimum"),
      Bad("SOA", ". host. 1 2 3 4 5", "SOA mname cannot be the root"),
      Bad("SOA", "ns1. . 1 2 3 4 5", "SOA rname cannot be the root"),
      Bad("SOA", "ns1. host@example.com. 1 2 3 4 5", "'@'"),
      Bad("SOA", "ns1. host. 1h 2 3 4 5", "SOA serial"),
  });
}

TEST(CanonicalContentTest, UnsupportedTypes) {
  for (const std::string type : {"HINFO", "TYPE65", "RRSIG", "DNSKEY", "LOC", "x", "A6"}) {
    absl::StatusOr<std::string> got = CanonicalContent(type, "anything", kOrigin);
    ASSERT_FALSE(got.ok()) << type;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("is not supported"));
  }
  absl::StatusOr<std::string> got = CanonicalContent("hinfo", "x", kOrigin);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "type 'HINFO' is not supported");
}

TEST(CanonicalTypeTest, Table) {
  struct Case {
    std::string input;
    std::string want;  // empty: error
  };
  const std::vector<Case> cases = {
      {"A", "A"},         {"a", "A"},         {"aaaa", "AAAA"},   {"Mx", "MX"},
      {"txt", "TXT"},     {"cname", "CNAME"}, {"srv", "SRV"},     {"caa", "CAA"},
      {"ns", "NS"},       {"ptr", "PTR"},     {"soa", "SOA"},     {"ds", "DS"},
      {"tlsa", "TLSA"},   {"sshfp", "SSHFP"}, {"naptr", "NAPTR"}, {"spf", "SPF"},
      {"alias", "ALIAS"}, {"dname", "DNAME"}, {"", ""},           {"HINFO", ""},
      {"A ", ""},         {" A", ""},         {"AA", ""},         {"TYPE1", ""},
      {"*", ""},          {"ANY", ""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> got = CanonicalType(c.input);
    if (c.want.empty()) {
      EXPECT_FALSE(got.ok()) << "'" << c.input << "'";
      EXPECT_FALSE(IsSupportedType(c.input)) << c.input;
    } else {
      ASSERT_TRUE(got.ok()) << c.input << ": " << got.status();
      EXPECT_EQ(*got, c.want);
      EXPECT_TRUE(IsSupportedType(c.input)) << c.input;
    }
  }
}

TEST(SupportedTypesTest, SortedUpperCaseAndComplete) {
  const std::vector<std::string> types = SupportedTypes();
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_EQ(types.size(), 17u);
  for (const std::string& t : types) {
    EXPECT_TRUE(IsSupportedType(t)) << t;
    absl::StatusOr<std::string> canonical = CanonicalType(t);
    ASSERT_TRUE(canonical.ok());
    EXPECT_EQ(*canonical, t);
  }
  for (const std::string t : {"A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS", "SOA"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  }
}

TEST(ParseTtlTest, Table) {
  struct Case {
    std::string input;
    bool ok;
    uint32_t want;
  };
  const std::vector<Case> cases = {
      {"0", true, 0},           {"60", true, 60},
      {"3600", true, 3600},     {"1s", true, 1},
      {"1m", true, 60},         {"1h", true, 3600},
      {"1H", true, 3600},       {"1d", true, 86400},
      {"1D", true, 86400},      {"1w", true, 604800},
      {"2W", true, 1209600},    {"1h30m", true, 5400},
      {"1H30M", true, 5400},    {"1w2d3h4m5s", true, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5},
      {"1h30", true, 3630},     {"90m", true, 5400},
      {"0003600", true, 3600},  {"2147483647", true, 2147483647},
      {"2147483648", false, 0}, {"99999999999", false, 0},
      {"4000w", false, 0},      {"", false, 0},
      {"h", false, 0},          {"1x", false, 0},
      {"-1", false, 0},         {"1.5h", false, 0},
      {"1hh", false, 0},        {"1 h", false, 0},
      {" 60", false, 0},
  };
  for (const Case& c : cases) {
    absl::StatusOr<uint32_t> got = ParseTtl(c.input);
    EXPECT_EQ(got.ok(), c.ok) << "'" << c.input << "'";
    if (c.ok && got.ok()) {
      EXPECT_EQ(*got, c.want) << c.input;
    }
    if (!c.ok && !got.ok()) {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(got.status().message()), HasSubstr("TTL"));
    }
  }
}

// ---- ValidateChanges -------------------------------------------------------

constexpr char kZone[] = "example.com.";

// No TTL given: the service's default applies.
constexpr std::optional<uint32_t> kNoTtl = std::nullopt;

RRsetChange Replace(std::string name, std::string type, std::optional<uint32_t> ttl,
                    std::vector<std::string> contents) {
  RRsetChange change;
  change.type = ChangeType::kReplace;
  change.rrset.name = std::move(name);
  change.rrset.type = std::move(type);
  change.rrset.ttl = ttl.value_or(0);
  change.default_ttl = !ttl.has_value();
  for (std::string& c : contents) change.rrset.records.push_back({std::move(c), false});
  return change;
}

RRsetChange Delete(std::string name, std::string type) {
  RRsetChange change;
  change.type = ChangeType::kDelete;
  change.rrset.name = std::move(name);
  change.rrset.type = std::move(type);
  return change;
}

std::vector<std::string> Fields(const std::vector<FieldViolation>& violations) {
  std::vector<std::string> out;
  for (const FieldViolation& v : violations) out.push_back(v.field);
  return out;
}

std::string Describe(const std::vector<FieldViolation>& violations) {
  std::string out;
  for (const FieldViolation& v : violations)
    absl::StrAppend(&out, v.field, ": ", v.description, "\n");
  return out;
}

TEST(ValidateChangesTest, CanonicalisesInPlace) {
  std::vector<RRsetChange> changes = {
      Replace("www", "a", kNoTtl, {" 192.0.2.1 ", "192.0.2.2"}),
      Replace("@", "mx", 300, {"10 MAIL.example.com", "20 mx2.example.net."}),
      Replace("WWW.Example.Com", "aaaa", 600, {"2001:DB8::0001"}),
      Replace("_dmarc.example.com.", "TXT", 3600, {"v=DMARC1; p=none"}),
      Replace("*.shop", "CNAME", 60, {"shop.example.com"}),
      Delete("old", "a"),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(v, IsEmpty()) << Describe(v);

  EXPECT_EQ(changes[0].rrset.name, "www.example.com.");
  EXPECT_EQ(changes[0].rrset.type, "A");
  EXPECT_EQ(changes[0].rrset.ttl, 3600u);  // default
  EXPECT_EQ(changes[0].rrset.records[0].content, "192.0.2.1");
  EXPECT_EQ(changes[1].rrset.name, "example.com.");
  EXPECT_EQ(changes[1].rrset.type, "MX");
  EXPECT_EQ(changes[1].rrset.ttl, 300u);
  EXPECT_EQ(changes[1].rrset.records[0].content, "10 mail.example.com.");
  EXPECT_EQ(changes[1].rrset.records[1].content, "20 mx2.example.net.");
  EXPECT_EQ(changes[2].rrset.name, "www.example.com.");
  EXPECT_EQ(changes[2].rrset.type, "AAAA");
  EXPECT_EQ(changes[2].rrset.records[0].content, "2001:db8::1");
  EXPECT_EQ(changes[3].rrset.records[0].content, "\"v=DMARC1; p=none\"");
  EXPECT_EQ(changes[4].rrset.name, "*.shop.example.com.");
  EXPECT_EQ(changes[4].rrset.records[0].content, "shop.example.com.");
  EXPECT_EQ(changes[5].rrset.name, "old.example.com.");
  EXPECT_EQ(changes[5].rrset.type, "A");
}

TEST(ValidateChangesTest, CustomDefaultTtl) {
  ValidationLimits limits;
  limits.default_ttl = 120;
  std::vector<RRsetChange> changes = {Replace("www", "A", kNoTtl, {"192.0.2.1"})};
  EXPECT_THAT(ValidateChanges(kZone, changes, limits), IsEmpty());
  EXPECT_EQ(changes[0].rrset.ttl, 120u);
}

TEST(ValidateChangesTest, EmptyBatch) {
  std::vector<RRsetChange> changes;
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes"));
  EXPECT_THAT(v[0].description, HasSubstr("at least one change"));
}

TEST(ValidateChangesTest, TooManyChanges) {
  ValidationLimits limits;
  limits.max_changes_per_batch = 3;
  std::vector<RRsetChange> changes;
  for (int i = 0; i < 4; ++i)
    changes.push_back(Replace(absl::StrCat("h", i), "A", kNoTtl, {"192.0.2.1"}));
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, limits);
  ASSERT_THAT(Fields(v), ElementsAre("changes"));
  EXPECT_THAT(v[0].description, HasSubstr("at most 3 changes"));
  EXPECT_THAT(v[0].description, HasSubstr("got 4"));

  changes.pop_back();
  EXPECT_THAT(ValidateChanges(kZone, changes, limits), IsEmpty());
}

TEST(ValidateChangesTest, SoaIsManagedByTheService) {
  for (RRsetChange change :
       {Replace("@", "SOA", 3600, {"ns1.example.com. h.example.com. 1 2 3 4 5"}),
        Delete("@", "soa")}) {
    std::vector<RRsetChange> changes = {change};
    std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
    ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.type")) << Describe(v);
    EXPECT_THAT(v[0].description, HasSubstr("SOA is managed by the service"));
  }
}

TEST(ValidateChangesTest, ApexNsCannotBeDeletedButDelegationsCan) {
  std::vector<RRsetChange> changes = {Delete("@", "NS"), Delete("sub", "NS")};
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].changetype")) << Describe(v);
  EXPECT_THAT(v[0].description, HasSubstr("apex NS RRset cannot be deleted"));
}

TEST(ValidateChangesTest, ApexNsReplaceNeedsRecords) {
  std::vector<RRsetChange> changes = {Replace("example.com.", "NS", 3600, {})};
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.records"));
  EXPECT_THAT(v[0].description, HasSubstr("at least one record"));

  changes = {Replace("@", "NS", 3600, {"ns1.example.net", "ns2.example.net"})};
  EXPECT_THAT(ValidateChanges(kZone, changes, ValidationLimits()), IsEmpty());
}

TEST(ValidateChangesTest, RecordCountLimit) {
  ValidationLimits limits;
  limits.max_records_per_rrset = 2;
  std::vector<RRsetChange> changes = {
      Replace("a", "A", kNoTtl, {"192.0.2.1", "192.0.2.2"}),
      Replace("b", "A", kNoTtl, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, limits);
  ASSERT_THAT(Fields(v), ElementsAre("changes[1].rrset.records"));
  EXPECT_THAT(v[0].description, HasSubstr("at most 2 records"));
}

TEST(ValidateChangesTest, DuplicatesAfterCanonicalisation) {
  std::vector<RRsetChange> changes = {
      Replace("@", "MX", kNoTtl,
              {"10 mail.example.com", "20 other.example.", "10 MAIL.example.com."}),
      Replace("v6", "AAAA", kNoTtl, {"2001:db8::1", "2001:0db8:0:0:0:0:0:1"}),
      Replace("t", "TXT", kNoTtl, {"hello", "\"hello\""}),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.records[2].content",
                                     "changes[1].rrset.records[1].content",
                                     "changes[2].rrset.records[1].content"))
      << Describe(v);
  EXPECT_THAT(v[0].description, HasSubstr("duplicates records[0]"));
}

TEST(ValidateChangesTest, TtlBounds) {
  struct Case {
    uint32_t ttl;
    bool ok;
  };
  for (const Case& c : std::vector<Case>{{0, false},  // given, not the default
                                         {1, false},
                                         {59, false},
                                         {60, true},
                                         {3600, true},
                                         {2147483647, true},
                                         {2147483648u, false},
                                         {4294967295u, false}}) {
    std::vector<RRsetChange> changes = {Replace("www", "A", c.ttl, {"192.0.2.1"})};
    std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
    if (c.ok) {
      EXPECT_THAT(v, IsEmpty()) << c.ttl;
    } else {
      ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.ttl")) << c.ttl;
      EXPECT_THAT(v[0].description, HasSubstr("between 60 and 2147483647"));
    }
  }
}

TEST(ValidateChangesTest, ATtlOfZeroIsRefusedBelowTheMinimumAndKeptAtAMinimumOfZero) {
  std::vector<RRsetChange> changes = {Replace("www", "A", 0, {"192.0.2.1"})};
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.ttl"));
  EXPECT_THAT(v[0].description, HasSubstr("got 0"));

  ValidationLimits zero_allowed;
  zero_allowed.min_ttl = 0;
  changes = {Replace("www", "A", 0, {"192.0.2.1"}), Replace("api", "A", kNoTtl, {"192.0.2.2"})};
  EXPECT_THAT(ValidateChanges(kZone, changes, zero_allowed), IsEmpty());
  EXPECT_EQ(changes[0].rrset.ttl, 0u);     // RFC 2181 section 8: do not cache
  EXPECT_EQ(changes[1].rrset.ttl, 3600u);  // absent: the default
}

TEST(ValidateChangesTest, CnameRules) {
  std::vector<RRsetChange> changes = {
      Replace("@", "CNAME", kNoTtl, {"other.example."}),
      Replace("two", "CNAME", kNoTtl, {"a.example.", "b.example."}),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.name", "changes[1].rrset.records"))
      << Describe(v);
  EXPECT_THAT(v[0].description, HasSubstr("CNAME cannot be at the zone apex"));
  EXPECT_THAT(v[1].description, HasSubstr("exactly one record"));
}

TEST(ValidateChangesTest, DnameIsSingletonToo) {
  std::vector<RRsetChange> changes = {
      Replace("old", "DNAME", kNoTtl, {"a.example.", "b.example."})};
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.records"));
}

TEST(ValidateChangesTest, CnameNextToOtherTypeInBatch) {
  for (bool cname_first : {true, false}) {
    std::vector<RRsetChange> changes;
    RRsetChange cname = Replace("www", "CNAME", kNoTtl, {"web.example.net."});
    RRsetChange a = Replace("WWW.example.com.", "A", kNoTtl, {"192.0.2.1"});
    if (cname_first) {
      changes = {cname, a};
    } else {
      changes = {a, cname};
    }
    std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
    ASSERT_THAT(Fields(v), ElementsAre("changes[1].rrset.type")) << Describe(v);
    EXPECT_THAT(v[0].description, HasSubstr("CNAME cannot coexist"));
    EXPECT_THAT(v[0].description, HasSubstr("changes[0]"));
  }
}

TEST(ValidateChangesTest, CnameReplaceWithDeleteOfOtherTypeIsFine) {
  // Turning an A into a CNAME in one batch is the normal way to do it.
  std::vector<RRsetChange> changes = {
      Delete("www", "A"),
      Delete("www", "AAAA"),
      Replace("www", "CNAME", kNoTtl, {"web.example.net."}),
  };
  EXPECT_THAT(ValidateChanges(kZone, changes, ValidationLimits()), IsEmpty());
}

TEST(ValidateChangesTest, SameRRsetTwice) {
  std::vector<RRsetChange> changes = {
      Replace("www", "A", kNoTtl, {"192.0.2.1"}),
      Delete("WWW.EXAMPLE.COM.", "a"),
      Replace("www.example.com", "A", kNoTtl, {"192.0.2.2"}),
      Replace("www", "AAAA", kNoTtl, {"2001:db8::1"}),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[1]", "changes[2]")) << Describe(v);
  EXPECT_THAT(v[0].description, HasSubstr("changes[0] already changes www.example.com. A"));
  EXPECT_THAT(v[1].description, HasSubstr("changes[0]"));
}

TEST(ValidateChangesTest, NameOutsideZoneAndBadType) {
  std::vector<RRsetChange> changes = {
      Replace("www.example.org.", "A", kNoTtl, {"192.0.2.1"}),
      Replace("www", "HINFO", kNoTtl, {"x"}),
      Delete("a..b", "A"),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.name", "changes[1].rrset.type",
                                     "changes[2].rrset.name"))
      << Describe(v);
  EXPECT_THAT(v[0].description, HasSubstr("not inside zone 'example.com.'"));
  EXPECT_THAT(v[1].description, HasSubstr("type 'HINFO' is not supported"));
  EXPECT_THAT(v[2].description, HasSubstr("empty label"));
}

TEST(ValidateChangesTest, ReportsEveryViolation) {
  std::vector<RRsetChange> changes = {
      Replace("www", "A", 5, {"192.0.2.1", "not-an-ip", "192.0.2.1", "1.2.3.256"}),
      Replace("mail", "MX", kNoTtl, {"10"}),
      Replace("txt", "TXT", kNoTtl, {std::string(300, 'x')}),
      Replace("ok", "A", kNoTtl, {"192.0.2.9"}),
      Replace("empty", "A", kNoTtl, {}),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  EXPECT_THAT(Fields(v),
              UnorderedElementsAre(
                  "changes[0].rrset.ttl", "changes[0].rrset.records[1].content",
                  "changes[0].rrset.records[2].content", "changes[0].rrset.records[3].content",
                  "changes[1].rrset.records[0].content", "changes[2].rrset.records[0].content",
                  "changes[4].rrset.records"))
      << Describe(v);
  // The valid parts were still canonicalised.
  EXPECT_EQ(changes[3].rrset.name, "ok.example.com.");
}

TEST(ValidateChangesTest, DsAtApexRejected) {
  const std::string digest(64, 'a');
  std::vector<RRsetChange> changes = {
      Replace("@", "DS", kNoTtl, {"1 8 2 " + digest}),
      Replace("child", "DS", kNoTtl, {"1 8 2 " + digest}),
  };
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.name"));
  EXPECT_THAT(v[0].description, HasSubstr("parent zone"));
}

TEST(ValidateChangesTest, InvalidChangeType) {
  std::vector<RRsetChange> changes = {Replace("www", "A", kNoTtl, {"192.0.2.1"})};
  changes[0].type = static_cast<ChangeType>(7);
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].changetype"));
}

TEST(ValidateChangesTest, DeleteIgnoresRecordsAndTtl) {
  std::vector<RRsetChange> changes = {Delete("www", "A")};
  changes[0].rrset.records.push_back({"garbage", false});
  EXPECT_THAT(ValidateChanges(kZone, changes, ValidationLimits()), IsEmpty());
  EXPECT_EQ(changes[0].rrset.ttl, 0u);
}

TEST(ValidateChangesTest, ContentErrorsPointAtRecords) {
  // One table drives many single-record changes: the violation must name
  // exactly the broken record.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"A", "1.2.3"},     {"AAAA", "1.2.3.4"}, {"CNAME", "."},       {"MX", "mail"},
      {"SRV", "1 2 3"},   {"TXT", "\"open"},   {"CAA", "0 issue"},   {"NS", "192.0.2.53"},
      {"PTR", "a b"},     {"DS", "1 8 2 abc"}, {"TLSA", "9 9 9 00"}, {"SSHFP", "1 1 00"},
      {"NAPTR", "1 2 3"}, {"SPF", "\"a\" b"},  {"ALIAS", "*.x"},     {"DNAME", ""},
  };
  for (const auto& [type, content] : bad) {
    std::vector<RRsetChange> changes = {Replace("x", type, kNoTtl, {"placeholder"})};
    changes[0].rrset.records[0].content = content;
    // A valid first record so the bad one is records[1].
    if (type == "A")
      changes[0].rrset.records.insert(changes[0].rrset.records.begin(), Record{"192.0.2.1", false});
    std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
    const std::string want =
        type == "A" ? "changes[0].rrset.records[1].content" : "changes[0].rrset.records[0].content";
    EXPECT_THAT(Fields(v), ElementsAre(want)) << type << " " << content << "\n" << Describe(v);
  }
}

}  // namespace
}  // namespace dns

namespace dns {
namespace {

// RFC 1035 5.1: a name without the final dot is relative to the zone, as
// owner names are. One rule for every type that carries a name.
TEST(CanonicalContentTest, NamesWithoutTheFinalDotAreRelativeToTheZone) {
  CheckContentTable({
      Ok("MX", "10 mail", "10 mail.example.com."),
      Ok("MX", "10 Mail.Example.COM", "10 mail.example.com."),  // ends with the zone
      Ok("MX", "10 mx.provider.net", "10 mx.provider.net.example.com."),
      Same("MX", "10 mx.provider.net."),
      Ok("CNAME", "web", "web.example.com."),
      Ok("CNAME", "@", "example.com."),
      Ok("DNAME", "other", "other.example.com."),
      Ok("ALIAS", "lb", "lb.example.com."),
      Ok("NS", "ns1", "ns1.example.com."),
      Ok("PTR", "host", "host.example.com."),
      Ok("SRV", "10 60 5060 sip", "10 60 5060 sip.example.com."),
      Ok("NAPTR", "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp",
         "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."),
      Ok("SOA", "ns1 hostmaster 1 2 3 4 5", "ns1.example.com. hostmaster.example.com. 1 2 3 4 5"),
      Same("MX", "0 ."),  // the root stays the root
      Bad("MX", "10 192.0.2.25", "is an IP address"),  // not "192.0.2.25.example.com."
      Bad("CNAME", std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(63, 'c') + "." + std::string(60, 'd'),
          "octets in wire format"),  // too long once completed
  });
}

TEST(ValidateChangesTest, NullMxMustBeTheOnlyMx) {
  std::vector<RRsetChange> changes = {Replace("@", "MX", 300, {"10 mail.example.com.", "0 ."})};
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.records"));
  EXPECT_THAT(v[0].description, HasSubstr("RFC 7505"));

  changes = {Replace("@", "MX", 300, {"10 ."})};
  v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.records"));
  EXPECT_THAT(v[0].description, HasSubstr("preference 0"));

  changes = {Replace("@", "MX", 300, {"0 ."})};
  EXPECT_THAT(ValidateChanges(kZone, changes, ValidationLimits()), IsEmpty());
}

TEST(ValidateChangesTest, CnameOrDnameCannotPointAtItself) {
  std::vector<RRsetChange> changes = {Replace("www", "CNAME", 300, {"www.example.com."}),
                                      Replace("loop", "CNAME", 300, {"loop"}),
                                      Replace("d", "DNAME", 300, {"x.d.example.com."}),
                                      Replace("ok", "CNAME", 300, {"www"})};
  std::vector<FieldViolation> v = ValidateChanges(kZone, changes, ValidationLimits());
  ASSERT_THAT(Fields(v), ElementsAre("changes[0].rrset.records[0].content",
                                     "changes[1].rrset.records[0].content",
                                     "changes[2].rrset.records[0].content"));
  EXPECT_THAT(v[0].description, HasSubstr("own name"));
  EXPECT_EQ(changes[3].rrset.records[0].content, "www.example.com.");
}

}  // namespace
}  // namespace dns
