#include "tests/testing/fake_pdns_client.h"

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns::pdns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSoa[] =
    "ns1.example.com. hostmaster.example.com. 2024010101 10800 3600 604800 3600";

CreateZoneRequest ExampleZone() {
  CreateZoneRequest request;
  request.name = "example.com.";
  request.rrsets = {
      {"example.com.", "SOA", 3600, {{kSoa, false}}},
      {"example.com.", "NS", 3600, {{"ns1.example.net.", false}}},
  };
  return request;
}

TEST(FakePdnsClientTest, BehavesLikePowerDns) {
  FakePdnsClient fake("ns1");
  CallContext ctx;
  ctx.request_id = "r1";

  absl::StatusOr<ZoneInfo> created = fake.CreateZone(ctx, ExampleZone());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->serial, 2024010101u);
  EXPECT_EQ(fake.CreateZone(ctx, ExampleZone()).status().code(),
            absl::StatusCode::kAlreadyExists);

  ASSERT_TRUE(fake.PatchRRsets(
                      ctx, "example.com.",
                      {{ChangeType::kReplace,
                        {"www.example.com.", "A", 300, {{"192.0.2.1", false}}}},
                       {ChangeType::kReplace,
                        {"example.com.",
                         "SOA",
                         3600,
                         {{"ns1.example.com. hostmaster.example.com. 2024010102 "
                           "10800 3600 604800 3600",
                           false}}}}})
                  .ok());
  absl::StatusOr<ZoneInfo> zone = fake.GetZone(ctx, "example.com");
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ(zone->serial, 2024010102u);
  EXPECT_EQ(zone->rrsets.size(), 3u);

  ASSERT_TRUE(fake.PatchRRsets(ctx, "example.com.",
                               {{ChangeType::kDelete, {"www.example.com.", "A", 0, {}}}})
                  .ok());
  EXPECT_EQ(fake.FindZone("example.com.")->rrsets.size(), 2u);

  absl::Status out_of_zone = fake.PatchRRsets(
      ctx, "example.com.",
      {{ChangeType::kReplace, {"www.other.org.", "A", 300, {{"192.0.2.1", false}}}}});
  EXPECT_EQ(out_of_zone.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out_of_zone.message(), HasSubstr("out of zone"));

  absl::StatusOr<std::vector<ZoneInfo>> zones = fake.ListZones(ctx);
  ASSERT_TRUE(zones.ok());
  ASSERT_EQ(zones->size(), 1u);
  EXPECT_TRUE((*zones)[0].rrsets.empty());

  EXPECT_THAT(*fake.ExportZone(ctx, "example.com."), HasSubstr("SOA"));
  EXPECT_TRUE(fake.DeleteZone(ctx, "example.com.").ok());
  EXPECT_EQ(fake.DeleteZone(ctx, "example.com.").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fake.GetZone(ctx, "example.com.").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(FakePdnsClientTest, RecordsCalls) {
  FakePdnsClient fake("ns1");
  CallContext ctx;
  ctx.request_id = "abc";
  ZoneInfo existing;
  existing.name = "example.com";
  fake.PutZone(existing);
  ASSERT_TRUE(fake.FlushCache(ctx, "example.com.").ok());
  ASSERT_TRUE(fake.NotifyZone(ctx, "example.com.").ok());
  std::vector<FakePdnsClient::RecordedCall> calls = fake.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].method, "FlushCache");
  EXPECT_EQ(calls[0].zone, "example.com.");
  EXPECT_EQ(calls[0].request_id, "abc");
  EXPECT_EQ(fake.CallsOf("NotifyZone").size(), 1u);
  EXPECT_THAT(fake.ZoneNames(), ElementsAre("example.com."));
  fake.ClearCalls();
  EXPECT_TRUE(fake.calls().empty());
}

TEST(FakePdnsClientTest, InjectsFailures) {
  FakePdnsClient fake("ns1");
  CallContext ctx;
  fake.FailNext("GetServerInfo", absl::UnavailableError("down"), 2);
  EXPECT_EQ(fake.GetServerInfo(ctx).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake.GetServerInfo(ctx).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake.GetServerInfo(ctx)->version, "4.7.3");

  fake.FailAll(absl::UnavailableError("dead"));
  EXPECT_FALSE(fake.ListZones(ctx).ok());
  EXPECT_FALSE(fake.CreateZone(ctx, ExampleZone()).ok());
  EXPECT_FALSE(fake.FindZone("example.com.").has_value());  // untouched
  fake.FailAll(absl::OkStatus());
  EXPECT_TRUE(fake.ListZones(ctx).ok());
}

TEST(FakePdnsClientTest, LatencyDelaysTheAnswer) {
  FakePdnsClient fake("ns1");
  fake.SetLatency(absl::Milliseconds(100));
  const absl::Time start = absl::Now();
  auto future = fake.AsyncGetServerInfo(CallContext{});
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(50));  // returned at once
  EXPECT_TRUE(future.get().ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
}

}  // namespace
}  // namespace dns::pdns
