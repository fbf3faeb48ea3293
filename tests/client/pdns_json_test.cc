#include "client/pdns_json.h"

#include "client/pdns_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dns::pdns {
namespace {

using ::testing::HasSubstr;

TEST(ZoneIdTest, EscapesLikePowerDns) {
  EXPECT_EQ(ZoneIdFromName("example.com."), "example.com.");
  EXPECT_EQ(ZoneIdFromName("example.com"), "example.com.");
  EXPECT_EQ(ZoneIdFromName("_dmarc.example.com."), "=5Fdmarc.example.com.");
  EXPECT_EQ(ZoneIdFromName("0/26.2.0.192.in-addr.arpa."),
            "0=2F26.2.0.192.in-addr.arpa.");
  EXPECT_EQ(ZoneIdFromName("Ex-Ample.COM."), "Ex-Ample.COM.");
  EXPECT_EQ(ZoneIdFromName("a=b."), "a=3Db.");
}

TEST(UrlEncodeTest, KeepsNamesAndEscapesTheRest) {
  EXPECT_EQ(UrlEncode("example.com."), "example.com.");
  EXPECT_EQ(UrlEncode("_x.example."), "_x.example.");
  EXPECT_EQ(UrlEncode("a b&c=d"), "a%20b%26c%3Dd");
}

TEST(ZoneKindTest, RoundTrips) {
  for (ZoneKind kind : {ZoneKind::kNative, ZoneKind::kMaster, ZoneKind::kSlave}) {
    EXPECT_EQ(ParseZoneKind(ZoneKindName(kind)), kind);
  }
  EXPECT_EQ(ParseZoneKind("Producer"), ZoneKind::kNative);
  EXPECT_EQ(ParseZoneKind("master"), ZoneKind::kMaster);
}

TEST(EncodeTest, PatchPutsDeletesFirstAndKeepsOrderWithinGroups) {
  std::vector<RRsetChange> changes = {
      {ChangeType::kReplace, {"a.example.", "A", 60, {{"192.0.2.1", false}}}},
      {ChangeType::kDelete, {"b.example.", "TXT", 0, {}}},
      {ChangeType::kReplace, {"c.example.", "AAAA", 60, {{"2001:db8::1", true}}}},
      {ChangeType::kDelete, {"d.example.", "A", 0, {}}},
  };
  nlohmann::json body = nlohmann::json::parse(EncodePatchRRsets(changes));
  ASSERT_EQ(body["rrsets"].size(), 4u);
  EXPECT_EQ(body["rrsets"][0]["name"], "b.example.");
  EXPECT_EQ(body["rrsets"][1]["name"], "d.example.");
  EXPECT_EQ(body["rrsets"][2]["name"], "a.example.");
  EXPECT_EQ(body["rrsets"][3]["name"], "c.example.");
  EXPECT_EQ(body["rrsets"][0]["changetype"], "DELETE");
  EXPECT_FALSE(body["rrsets"][0].contains("records"));
  EXPECT_EQ(body["rrsets"][3]["changetype"], "REPLACE");
  EXPECT_EQ(body["rrsets"][3]["records"][0]["disabled"], true);
}

TEST(EncodeTest, CreateZoneNeverLetsPowerDnsEditTheSerial) {
  CreateZoneRequest request;
  request.name = "example.com";
  request.nameservers = {"ns1.example.net."};
  nlohmann::json body = nlohmann::json::parse(EncodeCreateZone(request));
  EXPECT_EQ(body["name"], "example.com.");
  EXPECT_EQ(body["kind"], "Native");
  EXPECT_EQ(body["soa_edit_api"], "");
  EXPECT_EQ(body["api_rectify"], false);
  EXPECT_EQ(body["nameservers"][0], "ns1.example.net.");
  EXPECT_TRUE(body["masters"].empty());
  EXPECT_TRUE(body["rrsets"].empty());
}

TEST(ParseTest, ZoneWithRRsets) {
  absl::StatusOr<ZoneInfo> zone = ParseZone(R"({
      "id": "=5Fx.example.", "name": "_x.example.", "kind": "Slave",
      "serial": 4294967295, "notified_serial": 3, "edited_serial": 4,
      "masters": ["192.0.2.1"], "account": "acme", "dnssec": false,
      "soa_edit_api": "", "api_rectify": true,
      "rrsets": [{"name": "_x.example.", "type": "TXT", "ttl": 60,
                  "records": [{"content": "\"v=1\"", "disabled": false}],
                  "comments": []}]})");
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->id, "=5Fx.example.");
  EXPECT_EQ(zone->kind, ZoneKind::kSlave);
  EXPECT_EQ(zone->serial, 4294967295u);
  EXPECT_EQ(zone->notified_serial, 3u);
  EXPECT_EQ(zone->account, "acme");
  EXPECT_TRUE(zone->api_rectify);
  ASSERT_EQ(zone->rrsets.size(), 1u);
  EXPECT_EQ(zone->rrsets[0],
            (RRset{"_x.example.", "TXT", 60, {{"\"v=1\"", false}}}));
}

TEST(ParseTest, ZoneListKeepsEveryZoneAndItsSummaryFields) {
  absl::StatusOr<std::vector<ZoneInfo>> zones = ParseZoneList(R"([
    {"id": "a.example.", "name": "a.example.", "kind": "Native", "serial": 7,
     "masters": [], "account": "x", "url": "/api/v1/servers/localhost/zones/a.example.",
     "catalog": "", "nested": {"deeper": [1, {"k": 2}]}},
    {"id": "b.example.", "name": "b.example.", "kind": "Slave", "serial": 4294967295,
     "masters": ["192.0.2.1"], "dnssec": true},
    7
  ])");
  ASSERT_TRUE(zones.ok()) << zones.status();
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[0].name, "a.example.");
  EXPECT_EQ((*zones)[0].serial, 7u);
  EXPECT_EQ((*zones)[0].account, "x");
  EXPECT_EQ((*zones)[1].kind, ZoneKind::kSlave);
  EXPECT_EQ((*zones)[1].serial, 4294967295u);
  EXPECT_EQ((*zones)[1].masters, std::vector<std::string>{"192.0.2.1"});
  EXPECT_TRUE((*zones)[1].dnssec);
  ASSERT_TRUE(ParseZoneList("[]").ok());
  EXPECT_TRUE(ParseZoneList("[]")->empty());
  EXPECT_EQ(ParseZoneList("[{\"name\": ").status().code(), absl::StatusCode::kInternal);
}

// Found by tests/fuzz/pdns_json_fuzzer: converting such a float to
// uint32_t is undefined behaviour (on x86 -1.5 came out as 4294967295).
TEST(ParseTest, FloatSerialsAndTtlsOutsideUint32ReadAsMissing) {
  absl::StatusOr<ZoneInfo> zone = ParseZone(R"({
      "name": "x.", "serial": 1e30, "notified_serial": -1.5,
      "edited_serial": 4294967297.5,
      "rrsets": [{"name": "x.", "type": "A", "ttl": 7.0, "records": []},
                 {"name": "y.", "type": "A", "ttl": -1e300, "records": []}]})");
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->serial, 0u);
  EXPECT_EQ(zone->notified_serial, 0u);
  EXPECT_EQ(zone->edited_serial, 0u);
  ASSERT_EQ(zone->rrsets.size(), 2u);
  EXPECT_EQ(zone->rrsets[0].ttl, 7u);
  EXPECT_EQ(zone->rrsets[1].ttl, 0u);
}

// Found by tests/fuzz/pdns_json_fuzzer: get<int64_t>() of 1e30 is undefined
// behaviour; a count that is no int64_t is no count.
TEST(ParseTest, FlushCountMustBeAnInt64) {
  absl::StatusOr<int64_t> count = ParseFlushCount(R"({"count": 5, "result": "Flushed cache."})");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 5);
  EXPECT_EQ(ParseFlushCount(R"({"count": 1e30})").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseFlushCount(R"({"count": 2.5})").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseFlushCount(R"({"count": 18446744073709551615})").status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ParseFlushCount(R"({"count": 9223372036854775807})").value_or(0),
            9223372036854775807);
}

TEST(ParseTest, MalformedBodiesAreInternalErrors) {
  EXPECT_EQ(ParseZone("not json").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseZoneList("{}").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseStatistics("{}").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ParseFlushCount("{}").status().code(), absl::StatusCode::kInternal);
}

TEST(ParseTest, Export) {
  EXPECT_EQ(ParseExport("a.\t60\tIN\tA\t192.0.2.1\n"), "a.\t60\tIN\tA\t192.0.2.1\n");
  EXPECT_EQ(ParseExport(R"({"zone": "a.\t60\tIN\tA\t192.0.2.1\n"})"),
            "a.\t60\tIN\tA\t192.0.2.1\n");
}

TEST(ParseTest, ErrorText) {
  EXPECT_EQ(ErrorTextFromBody(R"({"error": "Domain 'x.' already exists"})"),
            "Domain 'x.' already exists");
  EXPECT_EQ(ErrorTextFromBody("  Internal Server Error \n"), "Internal Server Error");
  EXPECT_EQ(ErrorTextFromBody(""), "");
  EXPECT_LE(ErrorTextFromBody(std::string(10000, 'x')).size(), 303u);
}

TEST(StatusFromHttpTest, MapsCodes) {
  EXPECT_TRUE(StatusFromHttp(200, "", "w").ok());
  EXPECT_TRUE(StatusFromHttp(204, "", "w").ok());
  EXPECT_EQ(StatusFromHttp(401, "", "w").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusFromHttp(403, "", "w").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusFromHttp(404, "", "w").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusFromHttp(409, "", "w").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusFromHttp(422, "", "w").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusFromHttp(429, "", "w").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromHttp(500, "", "w").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromHttp(502, "", "w").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromHttp(418, "", "w").code(), absl::StatusCode::kFailedPrecondition);
  absl::Status s = StatusFromHttp(422, R"({"error": "bad content"})",
                                  "pdns server ns1: PATCH /x");
  EXPECT_EQ(s.message(), "pdns server ns1: PATCH /x: HTTP 422: bad content");
  EXPECT_TRUE(IsServerFailure(500));
  EXPECT_FALSE(IsServerFailure(404));
}

}  // namespace
}  // namespace dns::pdns
