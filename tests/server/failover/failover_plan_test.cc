#include "server/failover/failover_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

FailoverSpec Spec(std::string from, std::string to) {
  FailoverSpec spec;
  spec.from_ip = std::move(from);
  spec.to_ip = std::move(to);
  spec.scope.account = "acct";
  return spec;
}

RRset A(const std::string& name, std::vector<std::string> contents, uint32_t ttl = 300) {
  RRset r{name, "A", ttl, {}};
  for (auto& c : contents) r.records.push_back(Record{c, false});
  return r;
}

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> out;
  for (const auto& v : ViolationsOf(status)) out.push_back(v.field);
  return out;
}

TEST(CanonicalFailoverSpecTest, AddressesAreCanonicalAndScopeZonesToo) {
  FailoverSpec raw = Spec("2001:DB8:0::1", "2001:db8::2");
  raw.scope = {};
  raw.scope.zones = {"Shop.Example", "shop.example.", "other.example"};
  absl::StatusOr<FailoverSpec> spec = CanonicalFailoverSpec(raw, ValidationLimits{});
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->from_ip, "2001:db8::1");
  EXPECT_THAT(spec->scope.zones, ElementsAre("shop.example.", "other.example."));
}

TEST(CanonicalFailoverSpecTest, BadRequestsNameTheirField) {
  struct Case {
    FailoverSpec spec;
    std::vector<std::string> fields;
  };
  FailoverSpec no_scope = Spec("192.0.2.1", "192.0.2.2");
  no_scope.scope = {};
  FailoverSpec two_scopes = Spec("192.0.2.1", "192.0.2.2");
  two_scopes.scope.all_zones = true;
  FailoverSpec bad_zone = Spec("192.0.2.1", "192.0.2.2");
  bad_zone.scope = {};
  bad_zone.scope.zones = {"ok.example", "bad..example"};
  FailoverSpec low_ttl = Spec("192.0.2.1", "192.0.2.2");
  low_ttl.ttl = 5;
  const std::vector<Case> cases = {
      {Spec("192.0.2.1", "192.0.2.1"), {"to_ip"}},
      {Spec("192.0.2.1", "2001:db8::1"), {"to_ip"}},
      {Spec("192.0.2.256", "192.0.2.1"), {"from_ip"}},
      {Spec("", ""), {"from_ip", "to_ip"}},
      {Spec("192.0.2.1", "host.example."), {"to_ip"}},
      {no_scope, {"scope"}},
      {two_scopes, {"scope"}},
      {bad_zone, {"scope.zones[1]"}},
      {low_ttl, {"ttl"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FailoverSpec> spec = CanonicalFailoverSpec(c.spec, ValidationLimits{});
    ASSERT_FALSE(spec.ok()) << c.spec.from_ip << " " << c.spec.to_ip;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Fields(spec.status()), c.fields) << spec.status();
  }
}

TEST(BuildFailoverPlanTest, MovesTheAddressKeepsTheRestAndCounts) {
  FailoverMatches matches;
  matches.fleet_records = 100;
  RRset both = A("www.a.example.", {"192.0.2.1", "192.0.2.9"});
  both.records[1].disabled = true;
  matches.zones = {
      {"a.example.", 7, {A("a.example.", {"192.0.2.1"}), both}},
      {"b.example.", 3, {}},
      // Already holding the replacement: it is not repeated.
      {"c.example.", 4, {A("c.example.", {"192.0.2.2", "192.0.2.1"})}},
  };
  FailoverSpec spec = Spec("192.0.2.1", "192.0.2.2");
  spec.ttl = 60;
  FailoverPlan plan = BuildFailoverPlan(spec, matches, 0.10);
  ASSERT_EQ(plan.zones.size(), 2u);
  EXPECT_EQ(plan.zones_in_scope, 3);
  EXPECT_EQ(plan.zones_changed, 2);
  EXPECT_EQ(plan.rrsets_changed, 3);
  EXPECT_EQ(plan.records_changed, 3);
  EXPECT_THAT(plan.unmatched_zones, ElementsAre("b.example."));
  const RRset& www = plan.zones[0].rrsets[1].after;
  EXPECT_EQ(www.ttl, 60u);
  ASSERT_EQ(www.records.size(), 2u);
  EXPECT_EQ(www.records[0].content, "192.0.2.2");
  EXPECT_TRUE(www.records[1].disabled);  // untouched records stay as they were
  EXPECT_EQ(plan.zones[1].rrsets[0].after.records.size(), 1u);
  EXPECT_DOUBLE_EQ(plan.fleet_share, 0.03);
  EXPECT_FALSE(plan.needs_force);
  EXPECT_TRUE(BuildFailoverPlan(spec, matches, 0.02).needs_force);
}

TEST(BuildFailoverPlanTest, TheChecksumFollowsThePlan) {
  FailoverMatches matches;
  matches.zones = {{"a.example.", 7, {A("a.example.", {"192.0.2.1"})}}};
  const FailoverSpec spec = Spec("192.0.2.1", "192.0.2.2");
  const std::string checksum = BuildFailoverPlan(spec, matches, 1).checksum;
  EXPECT_EQ(checksum.size(), 64u);
  EXPECT_EQ(BuildFailoverPlan(spec, matches, 1).checksum, checksum);
  FailoverMatches later = matches;
  later.zones[0].serial = 8;
  EXPECT_NE(BuildFailoverPlan(spec, later, 1).checksum, checksum);
  FailoverSpec other = spec;
  other.ttl = 60;
  EXPECT_NE(BuildFailoverPlan(other, matches, 1).checksum, checksum);
}

TEST(BuildFailoverPlanTest, AFailBackRestoresExactlyWhatTheFailoverReplaced) {
  // The failover merged .1 into an RRset that already held .2 and set 60 s.
  FailoverReversal reversal;
  reversal.id = "fo-1";
  reversal.changes[{"a.example.", "www.a.example.", "A"}] = {
      A("www.a.example.", {"192.0.2.1", "192.0.2.2"}, 3600), A("www.a.example.", {"192.0.2.2"}, 60)};
  FailoverMatches matches;
  matches.zones = {{"a.example.", 9,
                    {A("a.example.", {"192.0.2.2"}, 60),  // not from that failover
                     A("www.a.example.", {"192.0.2.2"}, 60)}}};
  FailoverPlan plan = BuildFailoverPlan(Spec("192.0.2.2", "192.0.2.1"), matches, 1, &reversal);
  ASSERT_EQ(plan.zones.size(), 1u);
  ASSERT_EQ(plan.zones[0].rrsets.size(), 2u);
  EXPECT_EQ(plan.zones[0].rrsets[0].after, A("a.example.", {"192.0.2.1"}, 60));
  EXPECT_EQ(plan.zones[0].rrsets[1].after,
            A("www.a.example.", {"192.0.2.1", "192.0.2.2"}, 3600));
}

TEST(DescribePlanDifferenceTest, SaysWhichZonesDiffer) {
  EXPECT_THAT(DescribePlanDifference({"a. 1 x", "b. 1 y"}, {"a. 2 z", "c. 1 w"}),
              HasSubstr("3 zones differ: a. changed (serial 1 -> 2); b. no longer changes; "
                        "c. now changes too"));
  EXPECT_THAT(DescribePlanDifference({"a. 1 x"}, {"a. 1 x"}), HasSubstr("addresses, TTL"));
  std::vector<std::string> many, none;
  for (int i = 0; i < 25; ++i) many.push_back("z" + std::to_string(i) + ". 1 x");
  EXPECT_THAT(DescribePlanDifference(many, none), HasSubstr("and 15 more"));
  EXPECT_THAT(ZoneDigests(FailoverPlan{}), IsEmpty());
}

}  // namespace
}  // namespace dns
