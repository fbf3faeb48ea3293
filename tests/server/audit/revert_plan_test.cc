#include "server/audit/revert_plan.h"

#include "common/status_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::HasSubstr;

RRset A(const std::string& name, uint32_t ttl, std::vector<std::string> contents,
        bool disabled = false) {
  RRset r{name, "A", ttl, {}};
  for (auto& c : contents) r.records.push_back(Record{c, disabled});
  return r;
}

// www A replaced (192.0.2.1 -> .2 and .3), new A added, old A removed.
AuditEntry Entry() {
  AuditEntry e;
  e.id = 42;
  e.zone = "example.com.";
  e.origin.rpc = "ChangeRRsets";
  e.keys = {{"www.example.com.", "A"}, {"new.example.com.", "A"}, {"old.example.com.", "A"}};
  e.rrsets_before = {A("www.example.com.", 300, {"192.0.2.1"}),
                     A("old.example.com.", 60, {"192.0.2.9"})};
  e.rrsets_after = {A("www.example.com.", 600, {"192.0.2.2", "192.0.2.3"}),
                    A("new.example.com.", 300, {"192.0.2.5"})};
  return e;
}

TEST(RevertPlanTest, TheInverseReplacesWhatWasThereAndDeletesWhatWasNot) {
  // As stored now: records in another order, which is the same RRset.
  std::vector<RRset> now = {A("www.example.com.", 600, {"192.0.2.3", "192.0.2.2"}),
                            A("new.example.com.", 300, {"192.0.2.5"})};
  absl::StatusOr<std::vector<RRsetChange>> plan = PlanRevert(Entry(), now, false);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 3u);
  EXPECT_EQ((*plan)[0].type, ChangeType::kReplace);
  EXPECT_EQ((*plan)[0].rrset, A("www.example.com.", 300, {"192.0.2.1"}));
  EXPECT_EQ((*plan)[1].type, ChangeType::kDelete);
  EXPECT_EQ((*plan)[1].rrset.name, "new.example.com.");
  EXPECT_EQ((*plan)[2].type, ChangeType::kReplace);
  EXPECT_EQ((*plan)[2].rrset, A("old.example.com.", 60, {"192.0.2.9"}));
}

TEST(RevertPlanTest, AnyDifferenceSinceTheEntryIsAbortedNamingTheRRsetUnlessForced) {
  const std::vector<std::vector<RRset>> changed_since = {
      // TTL changed.
      {A("www.example.com.", 601, {"192.0.2.2", "192.0.2.3"}), A("new.example.com.", 300, {"192.0.2.5"})},
      // A record disabled.
      {A("www.example.com.", 600, {"192.0.2.2", "192.0.2.3"}, true),
       A("new.example.com.", 300, {"192.0.2.5"})},
      // Deleted since.
      {A("www.example.com.", 600, {"192.0.2.2", "192.0.2.3"})},
      // Re-created where the entry deleted it.
      {A("www.example.com.", 600, {"192.0.2.2", "192.0.2.3"}), A("new.example.com.", 300, {"192.0.2.5"}),
       A("old.example.com.", 60, {"192.0.2.9"})},
      // A record added.
      {A("www.example.com.", 600, {"192.0.2.2", "192.0.2.3", "192.0.2.4"}),
       A("new.example.com.", 300, {"192.0.2.5"})},
  };
  for (const auto& now : changed_since) {
    absl::StatusOr<std::vector<RRsetChange>> plan = PlanRevert(Entry(), now, false);
    ASSERT_FALSE(plan.ok());
    EXPECT_TRUE(absl::IsAborted(plan.status()));
    EXPECT_EQ(ReasonOf(plan.status()), "CHANGED_SINCE");
    EXPECT_THAT(plan.status().message(), HasSubstr("example.com. A"));
    EXPECT_TRUE(PlanRevert(Entry(), now, true).ok());
  }
}

TEST(RevertPlanTest, OnlyRRsetChangesNotRevertedYetAreRevertible) {
  AuditEntry created = Entry();
  created.keys.clear();
  created.origin.rpc = "CreateZone";
  absl::StatusOr<std::vector<RRsetChange>> plan = PlanRevert(created, {}, true);
  EXPECT_TRUE(absl::IsFailedPrecondition(plan.status()));
  EXPECT_EQ(ReasonOf(plan.status()), "NOT_REVERTIBLE");

  AuditEntry server = Entry();
  server.zone.clear();
  EXPECT_EQ(ReasonOf(PlanRevert(server, {}, true).status()), "NOT_REVERTIBLE");

  AuditEntry reverted = Entry();
  reverted.reverted_by = 43;
  plan = PlanRevert(reverted, reverted.rrsets_after, false);
  EXPECT_TRUE(absl::IsFailedPrecondition(plan.status()));
  EXPECT_EQ(ReasonOf(plan.status()), "ALREADY_REVERTED");
  EXPECT_THAT(plan.status().message(), HasSubstr("43"));
  EXPECT_TRUE(PlanRevert(reverted, reverted.rrsets_after, true).ok());
}

}  // namespace
}  // namespace dns
