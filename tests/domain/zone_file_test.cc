#include "server/domain/zone_file.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/model.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

constexpr char kZone[] = "example.com.";
constexpr uint32_t kDefaultTtl = 3600;

std::string Describe(const ParsedZoneFile& parsed) {
  std::string out;
  for (const FieldViolation& e : parsed.errors)
    absl::StrAppend(&out, e.field, ": ", e.description, "\n");
  return out;
}

RRset Set(std::string name, std::string type, uint32_t ttl, std::vector<std::string> contents) {
  RRset r{std::move(name), std::move(type), ttl, {}};
  for (std::string& c : contents) r.records.push_back({std::move(c), false});
  return r;
}

const RRset* Find(const ParsedZoneFile& parsed, const std::string& name, const std::string& type) {
  for (const RRset& r : parsed.rrsets) {
    if (r.name == name && r.type == type) return &r;
  }
  return nullptr;
}

TEST(ParseZoneFileTest, TypicalBindExport) {
  const std::string text = R"($TTL 1h
$ORIGIN example.com.
@   IN  SOA ns1 hostmaster (
        2024010101 ; serial
        3h         ; refresh
        1h         ; retry
        1w         ; expire
        1h )       ; minimum
    IN  NS  ns1
    IN  NS  ns2.example.net.
    IN  MX  10 mail
; a full-line comment

www 300 IN A 192.0.2.1
    IN 300 A 192.0.2.2   ; class before TTL
    AAAA 2001:DB8::1
mail A 192.0.2.25
txt TXT "v=spf1 ip4:192.0.2.0/24 -all" ; trailing comment
semi TXT "a;b" "c\"d"
_sip._tcp SRV 10 60 5060 sip
alias CNAME www
ns1 A 192.0.2.53
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  EXPECT_THAT(
      parsed.rrsets,
      ElementsAre(
          Set("example.com.", "SOA", 3600,
              {"ns1.example.com. hostmaster.example.com. 2024010101 10800 3600 604800 3600"}),
          Set("example.com.", "NS", 3600, {"ns1.example.com.", "ns2.example.net."}),
          Set("example.com.", "MX", 3600, {"10 mail.example.com."}),
          Set("www.example.com.", "A", 300, {"192.0.2.1", "192.0.2.2"}),
          Set("www.example.com.", "AAAA", 3600, {"2001:db8::1"}),
          Set("mail.example.com.", "A", 3600, {"192.0.2.25"}),
          Set("txt.example.com.", "TXT", 3600, {"\"v=spf1 ip4:192.0.2.0/24 -all\""}),
          Set("semi.example.com.", "TXT", 3600, {"\"a;b\" \"c\\\"d\""}),
          Set("_sip._tcp.example.com.", "SRV", 3600, {"10 60 5060 sip.example.com."}),
          Set("alias.example.com.", "CNAME", 3600, {"www.example.com."}),
          Set("ns1.example.com.", "A", 3600, {"192.0.2.53"})));
}

TEST(ParseZoneFileTest, OriginChanges) {
  const std::string text = R"(www A 192.0.2.1
$ORIGIN sub
host A 192.0.2.2
@ MX 10 mail
$ORIGIN other.example.com.
x CNAME y
$ORIGIN Example.COM.
top A 192.0.2.3
abs.example.com. A 192.0.2.4
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  EXPECT_THAT(parsed.rrsets,
              ElementsAre(Set("www.example.com.", "A", 3600, {"192.0.2.1"}),
                          Set("host.sub.example.com.", "A", 3600, {"192.0.2.2"}),
                          Set("sub.example.com.", "MX", 3600, {"10 mail.sub.example.com."}),
                          Set("x.other.example.com.", "CNAME", 3600, {"y.other.example.com."}),
                          Set("top.example.com.", "A", 3600, {"192.0.2.3"}),
                          Set("abs.example.com.", "A", 3600, {"192.0.2.4"})));
}

TEST(ParseZoneFileTest, TtlDefaults) {
  // No $TTL: default, then the previous record's TTL, then $TTL wins.
  const std::string text = R"(a A 192.0.2.1
b 120 A 192.0.2.2
c A 192.0.2.3
$TTL 2h
d A 192.0.2.4
e 60 A 192.0.2.5
f A 192.0.2.6
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, 900);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  std::vector<uint32_t> ttls;
  for (const RRset& r : parsed.rrsets) ttls.push_back(r.ttl);
  EXPECT_THAT(ttls, ElementsAre(900, 120, 120, 7200, 60, 7200));
}

TEST(ParseZoneFileTest, SmallestTtlOfAnRRsetWins) {
  const std::string text = R"(www 300 A 192.0.2.1
www 60 A 192.0.2.2
www 600 A 192.0.2.3
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  ASSERT_THAT(parsed.rrsets, SizeIs(1));
  EXPECT_EQ(parsed.rrsets[0].ttl, 60u);
  EXPECT_THAT(parsed.rrsets[0].records, SizeIs(3));
}

TEST(ParseZoneFileTest, RecordsGroupedInFileOrderAndDeduplicated) {
  const std::string text = R"(a A 192.0.2.1
b A 192.0.2.9
a A 192.0.2.2
a A 192.0.2.1
A.example.com. A 192.0.2.3
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  EXPECT_THAT(parsed.rrsets,
              ElementsAre(Set("a.example.com.", "A", 3600, {"192.0.2.1", "192.0.2.2", "192.0.2.3"}),
                          Set("b.example.com.", "A", 3600, {"192.0.2.9"})));
}

// Duplicates are found with a set (a scan of the RRset was quadratic: one
// name with 160,000 records took half a minute); the same content under
// another name or type is no duplicate.
TEST(ParseZoneFileTest, DeduplicatesWithinEachRRsetOnly) {
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    absl::StrAppend(&text, "big A 10.0.", i / 256, ".", i % 256, "\n");
  }
  absl::StrAppend(&text, "big A 10.0.0.0\nbig A 10.0.11.183\n");
  absl::StrAppend(&text, "other A 10.0.0.0\nbig AAAA ::1\nother AAAA ::1\nbig AAAA ::1\n");
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  ASSERT_THAT(parsed.rrsets, SizeIs(4));
  EXPECT_EQ(parsed.rrsets[0].name, "big.example.com.");
  ASSERT_THAT(parsed.rrsets[0].records, SizeIs(3000));
  EXPECT_EQ(parsed.rrsets[0].records.front().content, "10.0.0.0");
  EXPECT_EQ(parsed.rrsets[0].records.back().content, "10.0.11.183");
  EXPECT_EQ(parsed.rrsets[1], Set("other.example.com.", "A", 3600, {"10.0.0.0"}));
  EXPECT_EQ(parsed.rrsets[2], Set("big.example.com.", "AAAA", 3600, {"::1"}));
  EXPECT_EQ(parsed.rrsets[3], Set("other.example.com.", "AAAA", 3600, {"::1"}));
}

// Single-record lines: owner/TTL/class/type spellings and content expansion.
TEST(ParseZoneFileTest, RecordLineTable) {
  struct Case {
    std::string line;
    RRset want;
  };
  const std::vector<Case> cases = {
      {"www A 192.0.2.1", Set("www.example.com.", "A", 3600, {"192.0.2.1"})},
      {"www IN A 192.0.2.1", Set("www.example.com.", "A", 3600, {"192.0.2.1"})},
      {"www 60 IN A 192.0.2.1", Set("www.example.com.", "A", 60, {"192.0.2.1"})},
      {"www IN 60 A 192.0.2.1", Set("www.example.com.", "A", 60, {"192.0.2.1"})},
      {"www in 1m a 192.0.2.1", Set("www.example.com.", "A", 60, {"192.0.2.1"})},
      {"www 1h30m A 192.0.2.1", Set("www.example.com.", "A", 5400, {"192.0.2.1"})},
      {"WWW A 192.0.2.1", Set("www.example.com.", "A", 3600, {"192.0.2.1"})},
      {"@ A 192.0.2.1", Set("example.com.", "A", 3600, {"192.0.2.1"})},
      {"example.com. A 192.0.2.1", Set("example.com.", "A", 3600, {"192.0.2.1"})},
      {"* A 192.0.2.1", Set("*.example.com.", "A", 3600, {"192.0.2.1"})},
      {"*.dev A 192.0.2.1", Set("*.dev.example.com.", "A", 3600, {"192.0.2.1"})},
      {"a.b.c A 192.0.2.1", Set("a.b.c.example.com.", "A", 3600, {"192.0.2.1"})},
      // Without a trailing dot a zone-file name is always relative.
      {"www.example.com A 192.0.2.1",
       Set("www.example.com.example.com.", "A", 3600, {"192.0.2.1"})},
      {"v6 AAAA 2001:0db8::0001", Set("v6.example.com.", "AAAA", 3600, {"2001:db8::1"})},
      {"c CNAME www", Set("c.example.com.", "CNAME", 3600, {"www.example.com."})},
      {"c CNAME @", Set("c.example.com.", "CNAME", 3600, {"example.com."})},
      {"c CNAME www.example.net.", Set("c.example.com.", "CNAME", 3600, {"www.example.net."})},
      {"c CNAME Host.Example.Net.", Set("c.example.com.", "CNAME", 3600, {"host.example.net."})},
      {"@ MX 10 mail", Set("example.com.", "MX", 3600, {"10 mail.example.com."})},
      {"@ MX 0 .", Set("example.com.", "MX", 3600, {"0 ."})},
      {"@ MX 10 @", Set("example.com.", "MX", 3600, {"10 example.com."})},
      {"sub NS ns1.sub", Set("sub.example.com.", "NS", 3600, {"ns1.sub.example.com."})},
      {"1 PTR host", Set("1.example.com.", "PTR", 3600, {"host.example.com."})},
      {"d DNAME target", Set("d.example.com.", "DNAME", 3600, {"target.example.com."})},
      {"@ ALIAS lb.provider.net.", Set("example.com.", "ALIAS", 3600, {"lb.provider.net."})},
      {"_s._tcp SRV 0 5 443 web",
       Set("_s._tcp.example.com.", "SRV", 3600, {"0 5 443 web.example.com."})},
      {"_s._tcp SRV 0 0 0 .", Set("_s._tcp.example.com.", "SRV", 3600, {"0 0 0 ."})},
      {"t TXT hello", Set("t.example.com.", "TXT", 3600, {"\"hello\""})},
      {"t TXT hello world", Set("t.example.com.", "TXT", 3600, {"\"hello\" \"world\""})},
      {"t TXT \"hello world\"", Set("t.example.com.", "TXT", 3600, {"\"hello world\""})},
      {"t TXT \"a;b\" ; real comment", Set("t.example.com.", "TXT", 3600, {"\"a;b\""})},
      {"t TXT \"say \\\"hi\\\"\"", Set("t.example.com.", "TXT", 3600, {"\"say \\\"hi\\\"\""})},
      {"t TXT \"back\\\\slash\"", Set("t.example.com.", "TXT", 3600, {"\"back\\\\slash\""})},
      {"t TXT \"\\065\"", Set("t.example.com.", "TXT", 3600, {"\"A\""})},
      {"t TXT \"(parens)\"", Set("t.example.com.", "TXT", 3600, {"\"(parens)\""})},
      {"t TXT \"\"", Set("t.example.com.", "TXT", 3600, {"\"\""})},
      {"t TXT semi\\;colon", Set("t.example.com.", "TXT", 3600, {"\"semi;colon\""})},
      {"t SPF \"v=spf1 -all\"", Set("t.example.com.", "SPF", 3600, {"\"v=spf1 -all\""})},
      {"@ CAA 0 issue \"letsencrypt.org\"",
       Set("example.com.", "CAA", 3600, {"0 issue \"letsencrypt.org\""})},
      {"@ CAA 0 iodef mailto:a@example.com",
       Set("example.com.", "CAA", 3600, {"0 iodef \"mailto:a@example.com\""})},
      {"sub DS 1 8 2 ( " + std::string(32, 'A') + "\n " + std::string(32, 'b') + " )",
       Set("sub.example.com.", "DS", 3600,
           {"1 8 2 " + std::string(32, 'a') + std::string(32, 'b')})},
      {"_443._tcp TLSA 3 1 1 " + std::string(64, 'c'),
       Set("_443._tcp.example.com.", "TLSA", 3600, {"3 1 1 " + std::string(64, 'c')})},
      {"h SSHFP 4 2 " + std::string(64, 'D'),
       Set("h.example.com.", "SSHFP", 3600, {"4 2 " + std::string(64, 'd')})},
      {"n NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp",
       Set("n.example.com.", "NAPTR", 3600,
           {"100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com."})},
      {"n NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:x@example.com!\" .",
       Set("n.example.com.", "NAPTR", 3600,
           {"100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:x@example.com!\" ."})},
      {"@ SOA ns1 hostmaster 1 2 3 4 5",
       Set("example.com.", "SOA", 3600, {"ns1.example.com. hostmaster.example.com. 1 2 3 4 5"})},
      {"www\tA\t192.0.2.1", Set("www.example.com.", "A", 3600, {"192.0.2.1"})},
      {"www A 192.0.2.1\r", Set("www.example.com.", "A", 3600, {"192.0.2.1"})},
      {"www A ( 192.0.2.1 )", Set("www.example.com.", "A", 3600, {"192.0.2.1"})},
  };
  for (const Case& c : cases) {
    ParsedZoneFile parsed = ParseZoneFile(c.line, kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, IsEmpty()) << c.line << "\n" << Describe(parsed);
    EXPECT_THAT(parsed.rrsets, ElementsAre(c.want)) << c.line;
  }
}

TEST(ParseZoneFileTest, MultiLineTxtWithParentheses) {
  const std::string text =
      "sel._domainkey IN TXT ( \"v=DKIM1; k=rsa; \"   ; first part\n"
      "                        \"p=MIGfMA0GCSqGSIb3\"  ; second part\n"
      "                      )\n"
      "after A 192.0.2.1\n";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  EXPECT_THAT(parsed.rrsets, ElementsAre(Set("sel._domainkey.example.com.", "TXT", 3600,
                                             {"\"v=DKIM1; k=rsa; \" \"p=MIGfMA0GCSqGSIb3\""}),
                                         Set("after.example.com.", "A", 3600, {"192.0.2.1"})));
}

TEST(ParseZoneFileTest, CrLfLineEndings) {
  ParsedZoneFile parsed = ParseZoneFile(
      "$TTL 300\r\n@ IN NS ns1.example.net.\r\n\r\nwww A 192.0.2.1\r\n   A 192.0.2.2\r\n", kZone,
      kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  EXPECT_THAT(parsed.rrsets,
              ElementsAre(Set("example.com.", "NS", 300, {"ns1.example.net."}),
                          Set("www.example.com.", "A", 300, {"192.0.2.1", "192.0.2.2"})));
}

TEST(ParseZoneFileTest, EmptyAndCommentOnlyFiles) {
  for (const std::string text : {"", "\n\n", "; nothing here\n", "   ; indented comment\n", "()"}) {
    ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
    EXPECT_THAT(parsed.errors, IsEmpty()) << text;
    EXPECT_THAT(parsed.rrsets, IsEmpty()) << text;
  }
}

// Each text holds one error; the message must name the right line.
TEST(ParseZoneFileTest, ErrorTable) {
  struct Case {
    std::string text;
    std::string want;  // substring of the only error
  };
  const std::vector<Case> cases = {
      {"$INCLUDE other.zone", "line 1: $INCLUDE is not supported"},
      {"a A 192.0.2.1\n$GENERATE 1-10 h$ A 192.0.2.$", "line 2: $GENERATE is not supported"},
      {"$FOO bar", "line 1: unknown directive $FOO"},
      {"$TTL", "line 1: $TTL takes exactly one argument"},
      {"$TTL 1 2", "line 1: $TTL takes exactly one argument"},
      {"$TTL forever", "line 1: TTL 'forever'"},
      {"$ORIGIN a..b.", "line 1: $ORIGIN:"},
      {"$ORIGIN", "line 1: $ORIGIN takes exactly one argument"},
      {"www CH A 192.0.2.1", "line 1: class CH is not supported"},
      {"www HS A 192.0.2.1", "line 1: class HS is not supported"},
      {"www 300 ANY A 192.0.2.1", "class ANY is not supported"},
      {"www 1x A 192.0.2.1", "line 1: TTL '1x'"},
      {"www 99999999999 A 192.0.2.1", "line 1: TTL"},
      {"www HINFO \"pc\" \"linux\"", "line 1: type 'HINFO' is not supported"},
      {"www TYPE99 \\# 0", "type 'TYPE99' is not supported"},
      {"\n\nwww A", "line 3: the A record has no content"},
      {"www", "line 1: the record has no type"},
      {"www 300 IN", "line 1: the record has no type"},
      {"www A 300.1.1.1", "line 1: A: '300.1.1.1' is not an IPv4 address"},
      {"www MX mail", "line 1: MX: MX content needs 2 fields"},
      {"www.example.org. A 192.0.2.1", "line 1: name 'www.example.org.' is not inside zone"},
      {"$ORIGIN example.org.\nwww A 192.0.2.1",
       "line 2: name 'www.example.org.' is not inside zone"},
      {"  A 192.0.2.1", "line 1: the line starts with whitespace but there is no previous owner"},
      {"w w.x A 1.2.3.4", "line 1: type 'W.X' is not supported"},
      {"t TXT \"open", "line 1: a quoted string is not closed"},
      {"a A 192.0.2.1\nt TXT \"multi\nline A 192.0.2.2", "line 2: a quoted string is not closed"},
      {"a A 192.0.2.1 )", "line 1: ')' without a matching '('"},
      {"a A 192.0.2.1\n\nb A ( 192.0.2.2\n", "line 3: '(' is not closed"},
      {"\"quoted\" A 192.0.2.1", "line 1: an owner name cannot be quoted"},
      {"www \"A\" 192.0.2.1", "line 1: a record type cannot be quoted"},
      {"a..b A 192.0.2.1", "line 1: name 'a..b.example.com.' has an empty label"},
      {"w*w A 192.0.2.1", "line 1: name"},
      {"t TXT " + std::string(300, 'x'), "line 1: TXT: TXT string 1 is 300 octets"},
      {"c CNAME 192.0.2.1.", "line 1: CNAME: CNAME target '192.0.2.1' is an IP address"},
  };
  for (const Case& c : cases) {
    ParsedZoneFile parsed = ParseZoneFile(c.text, kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, SizeIs(1)) << c.text << "\n" << Describe(parsed);
    EXPECT_EQ(parsed.errors[0].field, "zone_file");
    EXPECT_THAT(parsed.errors[0].description, HasSubstr(c.want)) << c.text;
    EXPECT_THAT(parsed.errors[0].description, StartsWith("line ")) << c.text;
  }
}

TEST(ParseZoneFileTest, MultiLineRecordErrorsReportTheFirstLine) {
  const std::string text = R"(ok A 192.0.2.1
@ SOA ns1 hostmaster (
      1     ; serial
      2h    ; refresh
      bogus ; retry
      1w
      1h )
after A 192.0.2.2
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
  EXPECT_THAT(parsed.errors[0].description, StartsWith("line 2: SOA: SOA retry 'bogus'"));
  // The good records around it are still there.
  EXPECT_NE(Find(parsed, "ok.example.com.", "A"), nullptr);
  EXPECT_NE(Find(parsed, "after.example.com.", "A"), nullptr);
  EXPECT_EQ(Find(parsed, "example.com.", "SOA"), nullptr);
}

TEST(ParseZoneFileTest, ReportsEveryErrorSortedByLine) {
  const std::string text = R"(a A 1.2.3
b A 192.0.2.1
c MX x
$INCLUDE x
d TXT "ok"
e BOGUS 1
)";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, SizeIs(4)) << Describe(parsed);
  EXPECT_THAT(parsed.errors[0].description, StartsWith("line 1: "));
  EXPECT_THAT(parsed.errors[1].description, StartsWith("line 3: "));
  EXPECT_THAT(parsed.errors[2].description, StartsWith("line 4: "));
  EXPECT_THAT(parsed.errors[3].description, StartsWith("line 6: "));
  EXPECT_THAT(parsed.rrsets, ElementsAre(Set("b.example.com.", "A", 3600, {"192.0.2.1"}),
                                         Set("d.example.com.", "TXT", 3600, {"\"ok\""})));
}

TEST(ParseZoneFileTest, AfterAnUnbalancedParenTheNextLinesStillParse) {
  const std::string text = "a A ) 192.0.2.1\nb A 192.0.2.2\n";
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
  EXPECT_THAT(parsed.rrsets, ElementsAre(Set("b.example.com.", "A", 3600, {"192.0.2.2"})));
}

TEST(ParseZoneFileTest, ErrorCountIsCapped) {
  std::string text;
  for (int i = 0; i < 150; ++i) absl::StrAppend(&text, "h", i, " A not-an-address\n");
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, SizeIs(kMaxZoneFileErrors + 1));
  EXPECT_THAT(parsed.errors.back().description, HasSubstr("too many errors; 50 more"));
  EXPECT_THAT(parsed.errors[99].description, StartsWith("line 100: "));
}

TEST(ParseZoneFileTest, SoaRules) {
  {
    ParsedZoneFile parsed = ParseZoneFile("www SOA ns1 h 1 2 3 4 5\n", kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
    EXPECT_THAT(parsed.errors[0].description,
                HasSubstr("line 1: an SOA record must be at the zone apex"));
    EXPECT_THAT(parsed.rrsets, IsEmpty());
  }
  {
    ParsedZoneFile parsed = ParseZoneFile(
        "@ SOA ns1 h 1 2 3 4 5\nwww A 192.0.2.1\n@ SOA ns2 h 2 2 3 4 5\n", kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
    EXPECT_THAT(parsed.errors[0].description, HasSubstr("line 3: more than one SOA record"));
  }
  {
    // A file without SOA is fine here; the caller decides.
    ParsedZoneFile parsed = ParseZoneFile("www A 192.0.2.1\n", kZone, kDefaultTtl);
    EXPECT_THAT(parsed.errors, IsEmpty());
  }
}

TEST(ParseZoneFileTest, CnameRules) {
  {
    ParsedZoneFile parsed =
        ParseZoneFile("www A 192.0.2.1\nwww CNAME other.example.\n", kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
    EXPECT_THAT(parsed.errors[0].description, HasSubstr("line 2: www.example.com. has a CNAME"));
    EXPECT_THAT(parsed.errors[0].description, HasSubstr("A records (line 1)"));
  }
  {
    ParsedZoneFile parsed =
        ParseZoneFile("www CNAME a.example.\nwww CNAME b.example.\n", kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
    EXPECT_THAT(parsed.errors[0].description, HasSubstr("more than one CNAME record"));
  }
  {
    ParsedZoneFile parsed = ParseZoneFile("@ CNAME a.example.\n", kZone, kDefaultTtl);
    ASSERT_THAT(parsed.errors, SizeIs(1)) << Describe(parsed);
    EXPECT_THAT(parsed.errors[0].description, HasSubstr("CNAME cannot be at the zone apex"));
  }
}

TEST(FormatZoneFileTest, Golden) {
  const std::vector<RRset> rrsets = {
      Set("www.example.com.", "A", 300, {"192.0.2.1"}),
      Set("example.com.", "NS", 86400, {"ns1.example.net.", "ns2.example.net."}),
      Set("example.com.", "SOA", 3600,
          {"ns1.example.net. hostmaster.example.com. 7 10800 3600 604800 3600"}),
      Set("_dmarc.example.com.", "TXT", 3600, {"\"v=DMARC1; p=none\""}),
  };
  std::vector<RRset> with_disabled = rrsets;
  with_disabled[0].records.push_back({"192.0.2.2", true});
  EXPECT_EQ(
      FormatZoneFile(kZone, with_disabled),
      "$ORIGIN example.com.\n"
      "@       3600 IN SOA ns1.example.net. hostmaster.example.com. 7 10800 3600 604800 3600\n"
      "@      86400 IN NS  ns1.example.net.\n"
      "@      86400 IN NS  ns2.example.net.\n"
      "www      300 IN A   192.0.2.1\n"
      "; disabled: www      300 IN A   192.0.2.2\n"
      "_dmarc  3600 IN TXT \"v=DMARC1; p=none\"\n");
}

TEST(FormatZoneFileTest, RoundTripsThroughParser) {
  const std::vector<RRset> rrsets = {
      Set("example.com.", "SOA", 3600,
          {"ns1.example.net. hostmaster.example.com. 2024010101 10800 3600 604800 3600"}),
      Set("example.com.", "NS", 86400, {"ns1.example.net.", "ns2.example.net."}),
      Set("example.com.", "MX", 3600, {"10 mail.example.com.", "20 mx.example.net.", "0 ."}),
      Set("example.com.", "A", 300, {"192.0.2.1"}),
      Set("example.com.", "CAA", 3600,
          {"0 issue \"letsencrypt.org\"", "0 iodef \"mailto:x@example.com\""}),
      Set("www.example.com.", "CNAME", 300, {"example.com."}),
      Set("*.dev.example.com.", "A", 60, {"192.0.2.7"}),
      Set("v6.example.com.", "AAAA", 300, {"2001:db8::1", "::ffff:192.0.2.1"}),
      Set("txt.example.com.", "TXT", 3600,
          {"\"semi;colon (paren) \\\"quote\\\" back\\\\slash\"", "\"a\" \"b\" \"\"",
           "\"caf\\195\\169 \\009tab\""}),
      Set("_sip._tcp.example.com.", "SRV", 3600, {"10 60 5060 sip.example.com.", "0 0 0 ."}),
      Set("sub.example.com.", "NS", 3600, {"ns1.sub.example.com."}),
      Set("sub.example.com.", "DS", 3600, {"1 8 2 " + std::string(64, 'e')}),
      Set("_443._tcp.www.example.com.", "TLSA", 3600, {"3 1 1 " + std::string(64, 'f')}),
      Set("host.example.com.", "SSHFP", 3600, {"4 2 " + std::string(64, '9')}),
      Set("n.example.com.", "NAPTR", 3600,
          {"100 10 \"u\" \"E2U+sip\" \"!^\\\\+1(.*)$!sip:\\\\1@example.com!\" ."}),
      Set("old.example.com.", "DNAME", 3600, {"new.example.net."}),
      Set("1.example.com.", "PTR", 3600, {"host.example.com."}),
      Set("lb.example.com.", "ALIAS", 3600, {"lb.provider.net."}),
      Set("spf.example.com.", "SPF", 3600, {"\"v=spf1 -all\""}),
  };
  std::vector<RRset> with_disabled = rrsets;
  with_disabled[3].records.push_back({"192.0.2.99", true});
  const std::string text = FormatZoneFile(kZone, with_disabled);
  ParsedZoneFile parsed = ParseZoneFile(text, kZone, 1);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed) << text;
  EXPECT_EQ(parsed.rrsets, rrsets) << text;
}

TEST(FormatZoneFileTest, ParseFormatParseIsStable) {
  const std::string text = R"($TTL 1h
@ SOA ns1 hostmaster ( 1 3h 1h 1w 1h )
  NS ns1
  NS ns2
ns1 A 192.0.2.1
ns2 A 192.0.2.2
$ORIGIN shop
@ MX 10 mail
mail 60 A 192.0.2.3
dkim TXT ( "v=DKIM1; " "p=abc" )
)";
  ParsedZoneFile first = ParseZoneFile(text, kZone, kDefaultTtl);
  ASSERT_THAT(first.errors, IsEmpty()) << Describe(first);
  const std::string formatted = FormatZoneFile(kZone, first.rrsets);
  ParsedZoneFile second = ParseZoneFile(formatted, kZone, kDefaultTtl);
  ASSERT_THAT(second.errors, IsEmpty()) << Describe(second) << formatted;
  EXPECT_EQ(second.rrsets, first.rrsets) << formatted;
  EXPECT_EQ(FormatZoneFile(kZone, second.rrsets), formatted);
}

TEST(FormatZoneFileTest, OrdersSoaThenApexNs) {
  const std::vector<RRset> rrsets = {
      Set("a.example.com.", "A", 60, {"192.0.2.1"}),
      Set("sub.example.com.", "NS", 60, {"ns.sub.example.com."}),
      Set("example.com.", "NS", 60, {"ns1.example.net."}),
      Set("example.com.", "SOA", 60, {"ns1.example.net. h.example.com. 1 2 3 4 5"}),
      Set("b.example.com.", "A", 60, {"192.0.2.2"}),
  };
  ParsedZoneFile parsed = ParseZoneFile(FormatZoneFile(kZone, rrsets), kZone, kDefaultTtl);
  ASSERT_THAT(parsed.errors, IsEmpty()) << Describe(parsed);
  std::vector<std::string> order;
  for (const RRset& r : parsed.rrsets) order.push_back(absl::StrCat(r.name, " ", r.type));
  EXPECT_THAT(order, ElementsAre("example.com. SOA", "example.com. NS", "a.example.com. A",
                                 "sub.example.com. NS", "b.example.com. A"));
}

TEST(FormatZoneFileTest, EmptyZoneHasOnlyOrigin) {
  EXPECT_EQ(FormatZoneFile(kZone, {}), "$ORIGIN example.com.\n");
  EXPECT_EQ(FormatZoneFile(kZone, {Set("x.example.com.", "A", 60, {})}), "$ORIGIN example.com.\n");
}

}  // namespace
}  // namespace dns
