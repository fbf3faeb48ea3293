// The normaliser's table: spellings of the same RRset that must compare
// equal, and real differences that must not.
#include "server/consistency/rrset_normalizer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace dns {
namespace {

RRset Set(std::string name, std::string type, uint32_t ttl, std::vector<std::string> contents,
          std::vector<bool> disabled = {}) {
  RRset r{std::move(name), std::move(type), ttl, {}};
  for (size_t i = 0; i < contents.size(); ++i) {
    r.records.push_back(Record{contents[i], i < disabled.size() && disabled[i]});
  }
  return r;
}

struct Case {
  const char* what;
  RRset truth;
  RRset server;
};

TEST(RRsetNormalizerTest, EquivalentSpellingsCompareEqual) {
  const std::vector<Case> cases = {
      {"owner case and trailing dot", Set("www.example.com.", "A", 300, {"192.0.2.1"}),
       Set("WWW.Example.COM", "a", 300, {"192.0.2.1"})},
      {"record order", Set("x.example.", "A", 60, {"192.0.2.1", "192.0.2.2"}),
       Set("x.example.", "A", 60, {"192.0.2.2", "192.0.2.1"})},
      {"IPv6 compression and case", Set("x.example.", "AAAA", 60, {"2001:db8::1"}),
       Set("x.example.", "AAAA", 60, {"2001:DB8:0:0:0:0:0:0001"})},
      {"CNAME target case and dot", Set("x.example.", "CNAME", 60, {"target.example.net."}),
       Set("x.example.", "CNAME", 60, {"Target.Example.NET"})},
      {"MX priority spacing and leading zero", Set("x.example.", "MX", 60, {"10 mail.example."}),
       Set("x.example.", "MX", 60, {"010   MAIL.example."})},
      {"SRV fields", Set("_sip._tcp.x.example.", "SRV", 60, {"10 5 5060 sip.example."}),
       Set("_sip._tcp.x.example.", "SRV", 60, {"10  5 5060 SIP.example"})},
      {"TXT quoting", Set("x.example.", "TXT", 60, {"\"hello world\""}),
       Set("x.example.", "TXT", 60, {"\"hello\\032world\""})},
      {"TXT split at 255 bytes",
       Set("x.example.", "TXT", 60, {"\"" + std::string(300, 'a') + "\""}),
       Set("x.example.", "TXT", 60,
           {"\"" + std::string(255, 'a') + "\" \"" + std::string(45, 'a') + "\""})},
      {"TXT split anywhere", Set("x.example.", "TXT", 60, {"\"v=spf1 -all\""}),
       Set("x.example.", "TXT", 60, {"\"v=spf1\" \" -all\""})},
      {"TXT without quotes", Set("x.example.", "TXT", 60, {"\"hello\""}),
       Set("x.example.", "TXT", 60, {"hello"})},
      {"SOA serial is a serial finding, not content",
       Set("example.", "SOA", 3600,
           {"ns1.example.net. hostmaster.example.net. 2026120301 10800 3600 604800 3600"}),
       Set("example.", "SOA", 3600,
           {"NS1.example.net. hostmaster.example.net. 2026120305 10800 3600 604800 3600"})},
      {"CAA tag case", Set("x.example.", "CAA", 60, {"0 issue \"letsencrypt.org\""}),
       Set("x.example.", "CAA", 60, {"0 ISSUE \"letsencrypt.org\""})},
      {"DS digest case and spaces", Set("x.example.", "DS", 60, {"12345 13 2 ABCDEF0123"}),
       Set("x.example.", "DS", 60, {"12345 13 2 abcdef 0123"})},
      {"duplicate record", Set("x.example.", "A", 60, {"192.0.2.1"}),
       Set("x.example.", "A", 60, {"192.0.2.1", "192.0.2.1"})},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(EquivalentRRsets(c.truth, c.server)) << c.what;
    EXPECT_TRUE(DiffRRsets({c.truth}, {c.server}).empty()) << c.what;
  }
}

TEST(RRsetNormalizerTest, RealDifferencesAreFound) {
  const std::vector<Case> cases = {
      {"other address", Set("x.example.", "A", 60, {"192.0.2.1"}),
       Set("x.example.", "A", 60, {"192.0.2.2"})},
      {"TTL", Set("x.example.", "A", 60, {"192.0.2.1"}), Set("x.example.", "A", 300, {"192.0.2.1"})},
      {"disabled flag", Set("x.example.", "A", 60, {"192.0.2.1"}),
       Set("x.example.", "A", 60, {"192.0.2.1"}, {true})},
      {"one record more", Set("x.example.", "A", 60, {"192.0.2.1"}),
       Set("x.example.", "A", 60, {"192.0.2.1", "192.0.2.3"})},
      {"MX priority", Set("x.example.", "MX", 60, {"10 mail.example."}),
       Set("x.example.", "MX", 60, {"20 mail.example."})},
      {"TXT text case", Set("x.example.", "TXT", 60, {"\"Hello\""}),
       Set("x.example.", "TXT", 60, {"\"hello\""})},
      {"SOA timers", Set("example.", "SOA", 3600, {"ns1.example. h.example. 1 10800 3600 604800 3600"}),
       Set("example.", "SOA", 3600, {"ns1.example. h.example. 1 10800 3600 604800 60"})},
      {"CNAME target", Set("x.example.", "CNAME", 60, {"a.example."}),
       Set("x.example.", "CNAME", 60, {"b.example."})},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(EquivalentRRsets(c.truth, c.server)) << c.what;
    std::vector<RRsetDifference> diff = DiffRRsets({c.truth}, {c.server});
    ASSERT_EQ(diff.size(), 1u) << c.what;
    EXPECT_EQ(diff[0].kind, FindingKind::kRRsetDifferent) << c.what;
    EXPECT_FALSE(diff[0].detail.empty()) << c.what;
  }
}

TEST(RRsetNormalizerTest, DiffNamesMissingAndExtraRRsetsWithBothSidesAsTheyWere) {
  const std::vector<RRset> truth = {Set("a.example.", "A", 60, {"192.0.2.1"}),
                                    Set("b.example.", "TXT", 60, {"\"x\""}),
                                    Set("c.example.", "A", 60, {"192.0.2.3"})};
  const std::vector<RRset> server = {Set("A.example", "A", 60, {"192.0.2.1"}),
                                     Set("c.example.", "A", 120, {"192.0.2.3"}),
                                     Set("d.example.", "MX", 60, {"10 Mail.example."})};
  std::vector<RRsetDifference> diff = DiffRRsets(truth, server);
  ASSERT_EQ(diff.size(), 3u);
  EXPECT_EQ(diff[0].kind, FindingKind::kRRsetMissing);
  EXPECT_EQ(diff[0].truth.name, "b.example.");
  EXPECT_TRUE(diff[0].server.records.empty());
  EXPECT_EQ(diff[1].kind, FindingKind::kRRsetDifferent);
  EXPECT_EQ(diff[1].truth.ttl, 60u);
  EXPECT_EQ(diff[1].server.ttl, 120u);
  EXPECT_EQ(diff[1].detail, "ttl 60 != 120");
  EXPECT_EQ(diff[2].kind, FindingKind::kRRsetExtra);
  EXPECT_EQ(diff[2].server.records.at(0).content, "10 Mail.example.");  // as the server has it
}

TEST(RRsetNormalizerTest, ContentOfUnknownTypesIsComparedWithWhitespaceCollapsed) {
  EXPECT_EQ(NormalizeContent("TYPE65400", "  \\# 2   abcd "), "\\# 2 abcd");
  EXPECT_EQ(NormalizeContent("TXT", "\"a\\\"b\""), "\"a\\\"b\"");
  EXPECT_EQ(NormalizeContent("A", "not-an-address"), "not-an-address");
}

}  // namespace
}  // namespace dns
