// The reconcile plan (findings folded into one action per zone) and the
// sweeps' rule for what counts as drift.
#include "gtest/gtest.h"
#include "server/consistency/consistency_sweeper.h"
#include "server/consistency/reconciler.h"

namespace dns {
namespace {

Finding Make(const std::string& zone, FindingKind kind, uint32_t truth = 5, uint32_t theirs = 5) {
  Finding f;
  f.server = "ns1";
  f.zone = zone;
  f.kind = kind;
  f.truth_serial = truth;
  f.server_serial = theirs;
  f.propagation = PropagationState::kInSync;
  return f;
}

TEST(ReconcilePlanTest, OneActionPerZoneInZoneOrder) {
  ReconcilePlan plan(/*delete_extra=*/false, 100);
  Finding diff = Make("b.example.", FindingKind::kRRsetDifferent);
  diff.truth_rrset = RRset{"www.b.example.", "A", 60, {{"192.0.2.1", false}}};
  diff.server_rrset = RRset{"www.b.example.", "A", 60, {{"192.0.2.9", false}}};
  Finding extra_rrset = Make("b.example.", FindingKind::kRRsetExtra);
  extra_rrset.server_rrset = RRset{"rogue.b.example.", "TXT", 60, {{"\"x\"", false}}};
  ASSERT_TRUE(plan.Add(diff).ok());
  ASSERT_TRUE(plan.Add(extra_rrset).ok());
  ASSERT_TRUE(plan.Add(Make("a.example.", FindingKind::kZoneMissing, 7, 0)).ok());
  ASSERT_TRUE(plan.Add(Make("c.example.", FindingKind::kSerialBehind, 9, 7)).ok());
  ASSERT_TRUE(plan.Add(Make("z.example.", FindingKind::kZoneExtra, 0, 3)).ok());
  // A zone that could not be read is left alone.
  ASSERT_TRUE(plan.Add(Make("d.example.", FindingKind::kCheckFailed)).ok());

  std::vector<ReconcileAction> listed = plan.Listed();
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed[0].zone, "a.example.");
  EXPECT_EQ(listed[0].type, ReconcileActionType::kCreateZone);
  EXPECT_EQ(listed[1].zone, "b.example.");
  EXPECT_EQ(listed[1].type, ReconcileActionType::kSyncZone);
  ASSERT_EQ(listed[1].replace.size(), 1u);
  EXPECT_EQ(listed[1].replace[0].records[0].content, "192.0.2.1");  // the truth's
  ASSERT_EQ(listed[1].remove.size(), 1u);
  EXPECT_EQ(listed[1].remove[0].name, "rogue.b.example.");
  EXPECT_TRUE(listed[1].remove[0].records.empty());
  EXPECT_EQ(listed[2].type, ReconcileActionType::kSyncZone);
  EXPECT_EQ(listed[3].type, ReconcileActionType::kKeepExtraZone);
  EXPECT_EQ(plan.total(), 4);
  EXPECT_EQ(plan.SyncZones(), (std::vector<std::string>{"a.example.", "b.example.", "c.example."}));
  EXPECT_TRUE(plan.DeleteZones().empty());  // not without delete_extra
}

TEST(ReconcilePlanTest, ExtraZonesAreDeletedOnlyWithDeleteExtra) {
  ReconcilePlan plan(/*delete_extra=*/true, 100);
  ASSERT_TRUE(plan.Add(Make("z.example.", FindingKind::kZoneExtra, 0, 3)).ok());
  EXPECT_EQ(plan.DeleteZones(), std::vector<std::string>{"z.example."});
  EXPECT_EQ(plan.Listed().at(0).type, ReconcileActionType::kDeleteZone);
}

TEST(ReconcilePlanTest, AnUnreadableServerIsAnErrorNotAnEmptyPlan) {
  ReconcilePlan plan(false, 100);
  Finding f = Make("", FindingKind::kCheckFailed);
  f.detail = "zone list: connection refused";
  absl::Status st = plan.Add(f);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("connection refused"), std::string::npos);
}

TEST(ReconcilePlanTest, TheListingIsBoundedButEveryActionIsApplied) {
  ReconcilePlan plan(false, 2);
  for (int i = 0; i < 5; ++i) {
    Finding f = Make("z" + std::to_string(i) + ".example.", FindingKind::kRRsetMissing);
    f.truth_rrset = RRset{"z.example.", "A", 60, {{"192.0.2.1", false}}};
    ASSERT_TRUE(plan.Add(f).ok());
  }
  EXPECT_EQ(plan.Listed().size(), 2u);
  EXPECT_EQ(plan.total(), 5);
  EXPECT_EQ(plan.SyncZones().size(), 5u);
}

TEST(DriftRuleTest, OnlySettledZonesDrift) {
  const absl::Time now = absl::FromUnixSeconds(1000000);
  const absl::Duration grace = absl::Seconds(30);
  Finding settled = Make("a.example.", FindingKind::kSerialBehind, 9, 7);
  Finding on_its_way = Make("b.example.", FindingKind::kSerialBehind, 9, 7);
  on_its_way.propagation = PropagationState::kPending;
  on_its_way.pending_since = now - absl::Seconds(5);
  Finding queued_long = Make("b2.example.", FindingKind::kSerialBehind, 9, 7);
  queued_long.propagation = PropagationState::kPending;  // a backlog, not drift
  queued_long.pending_since = now - absl::Hours(1);
  Finding failing_briefly = Make("b3.example.", FindingKind::kSerialBehind, 9, 7);
  failing_briefly.propagation = PropagationState::kError;
  failing_briefly.pending_since = now - absl::Seconds(5);
  Finding stuck = Make("c.example.", FindingKind::kSerialBehind, 9, 7);
  stuck.propagation = PropagationState::kError;
  stuck.pending_since = now - absl::Minutes(5);
  Finding unreadable = Make("d.example.", FindingKind::kCheckFailed);
  Finding extra = Make("e.example.", FindingKind::kZoneExtra, 0, 4);
  extra.propagation = PropagationState::kPending;
  // Two findings of one zone: one drift, named by the first.
  Finding rrset = Make("a.example.", FindingKind::kRRsetDifferent);

  std::vector<Drift> drifts = ConsistencySweeper::DriftsOf(
      {settled, on_its_way, queued_long, failing_briefly, stuck, unreadable, extra, rrset}, now,
      grace);
  ASSERT_EQ(drifts.size(), 3u);
  EXPECT_EQ(drifts[0].zone, "a.example.");
  EXPECT_EQ(drifts[0].kind, FindingKind::kSerialBehind);
  EXPECT_EQ(drifts[1].zone, "c.example.");
  EXPECT_EQ(drifts[2].zone, "e.example.");
}

}  // namespace
}  // namespace dns
