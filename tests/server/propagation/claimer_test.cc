// The claimer over the in-memory propagation record and a fake clock.
#include "server/propagation/claimer.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_propagation_store.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class ClaimerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Claimer> MakeClaimer(const std::string& owner, int capacity,
                                       std::vector<PropagationTask>* out,
                                       Claimer::Fleet fleet = {}) {
    ClaimerOptions options;
    options.owner = owner;
    options.capacity = capacity;
    options.per_server = 2;
    options.lease = absl::Seconds(4);
    options.renew_every = absl::Seconds(1);
    options.sweep_every = absl::Seconds(1);
    options.hold = hold_;
    return std::make_unique<Claimer>(
        store_, [out](PropagationTask t) { out->push_back(std::move(t)); }, options, clock_,
        std::move(fleet));
  }

  // A claimer that has claimed a.test.@ns1 at serial 1 for the write req-1.
  void FirstPush(std::vector<PropagationTask>* claimed, std::unique_ptr<Claimer>* claimer) {
    *claimer = MakeClaimer("replica-a", 8, claimed);
    (*claimer)->RunOnce();
    store_.Enqueue("a.test.", "ns1", 1);
    (*claimer)->Kick("a.test.", "req-1");
    (*claimer)->RunOnce();
    ASSERT_EQ(claimed->size(), 1u);
  }
  // What a worker does when its push succeeded.
  void Finish(Claimer& claimer, const PropagationTask& task) {
    ASSERT_TRUE(store_.MarkApplied(task, false)->current);
    claimer.Done(task);
  }
  // The second push of a.test. carried `serial` for the write `request_id`.
  static void ExpectSecondPush(const std::vector<PropagationTask>& claimed, uint32_t serial,
                               const std::string& request_id) {
    ASSERT_EQ(claimed.size(), 2u);
    EXPECT_EQ(claimed[1].desired_serial, serial);
    EXPECT_EQ(claimed[1].request_id, request_id);
  }

  absl::Duration hold_ = absl::ZeroDuration();
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakePropagationStore store_{clock_};
};

std::vector<std::string> Keys(const std::vector<PropagationTask>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks) out.push_back(t.zone + "@" + t.server);
  return out;
}

TEST_F(ClaimerTest, ClaimsAKickedZoneAtOnceWithItsRequestId) {
  std::vector<PropagationTask> claimed;
  auto claimer = MakeClaimer("replica-a", 8, &claimed);
  claimer->RunOnce();  // the first pass sweeps: nothing due yet
  store_.Enqueue("a.test.", "ns1", 5);
  store_.Enqueue("a.test.", "ns2", 5);
  store_.Enqueue("b.test.", "ns1", 7);
  claimer->Kick("a.test.", "req-1");
  claimer->RunOnce();  // kicked: no waiting for the sweep
  EXPECT_THAT(Keys(claimed), UnorderedElementsAre("a.test.@ns1", "a.test.@ns2"));
  EXPECT_EQ(claimed[0].request_id, "req-1");
  EXPECT_EQ(store_.row("a.test.", "ns1").owner, "replica-a");
  EXPECT_EQ(claimer->in_flight(), 2);
  // b.test. waits for the sweep.
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 2u);
  clock_->Advance(absl::Seconds(1));
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 3u);
}

TEST_F(ClaimerTest, NeverClaimsMoreThanItsWorkersCanStart) {
  std::vector<PropagationTask> claimed;
  auto claimer = MakeClaimer("replica-a", 3, &claimed);
  for (int i = 0; i < 5; ++i) store_.Enqueue("z" + std::to_string(i) + ".test.", "ns" + std::to_string(i), 1);
  claimer->Wake();
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 3u);
  clock_->Advance(absl::Seconds(2));
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 3u);  // no room
  claimer->Done(claimed[0]);
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 4u);
}

TEST_F(ClaimerTest, AServerTakesAtMostItsShareAndADownOneNone) {
  std::vector<PropagationTask> claimed;
  std::vector<std::string> down = {"dead"};
  auto claimer = MakeClaimer("replica-a", 16, &claimed, [&] {
    FleetLoad load;
    load.down = down;
    return load;
  });
  for (int i = 0; i < 4; ++i) {
    store_.Enqueue("z" + std::to_string(i) + ".test.", "slow", 1);
    store_.Enqueue("z" + std::to_string(i) + ".test.", "dead", 1);
    store_.Enqueue("z" + std::to_string(i) + ".test.", "live", 1);
  }
  claimer->Wake();
  claimer->RunOnce();
  int slow = 0, dead = 0, live = 0;
  for (const auto& t : claimed) {
    slow += t.server == "slow";
    dead += t.server == "dead";
    live += t.server == "live";
  }
  // Each server up to its share (2), a down one a single slot.
  EXPECT_EQ(dead, 1);
  EXPECT_EQ(live, 2);
  EXPECT_EQ(slow, 2);
  // A finished task frees a slot of its server only.
  claimer->Done(*std::find_if(claimed.begin(), claimed.end(),
                              [](const PropagationTask& t) { return t.server == "live"; }));
  clock_->Advance(absl::Seconds(1));
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 6u);
  EXPECT_EQ(claimed.back().server, "live");
}

TEST_F(ClaimerTest, RenewsItsLeasesWhileWorkIsInProgress) {
  std::vector<PropagationTask> claimed;
  auto claimer = MakeClaimer("replica-a", 4, &claimed);
  store_.Enqueue("a.test.", "ns1", 1);
  claimer->Kick("a.test.");
  claimer->RunOnce();
  ASSERT_EQ(claimed.size(), 1u);
  const absl::Time first_lease = store_.row("a.test.", "ns1").lease_until;
  clock_->Advance(absl::Seconds(3));
  claimer->RunOnce();
  EXPECT_GE(store_.renewals(), 1);
  EXPECT_GT(store_.row("a.test.", "ns1").lease_until, first_lease);
  // Nothing in progress: nothing to renew.
  claimer->Done(claimed[0]);
  const int renewals = store_.renewals();
  clock_->Advance(absl::Seconds(3));
  claimer->RunOnce();
  EXPECT_EQ(store_.renewals(), renewals);
}

TEST_F(ClaimerTest, TwoReplicasNeverClaimTheSameRowAtOnce) {
  std::vector<PropagationTask> a_claimed, b_claimed;
  auto a = MakeClaimer("replica-a", 4, &a_claimed);
  auto b = MakeClaimer("replica-b", 4, &b_claimed);
  store_.Enqueue("a.test.", "ns1", 1);
  a->Kick("a.test.");
  b->Kick("a.test.");
  a->RunOnce();
  b->RunOnce();
  EXPECT_EQ(a_claimed.size() + b_claimed.size(), 1u);
  // A's lease runs out (A was killed): B takes the row over, with a new
  // fencing token.
  clock_->Advance(absl::Seconds(5));
  b->Wake();
  b->RunOnce();
  ASSERT_EQ(b_claimed.size(), 1u);
  EXPECT_GT(b_claimed[0].claim, a_claimed[0].claim);
  EXPECT_EQ(store_.row("a.test.", "ns1").owner, "replica-b");
}

TEST_F(ClaimerTest, ALateResultUnderALostClaimIsDiscarded) {
  std::vector<PropagationTask> a_claimed, b_claimed;
  auto a = MakeClaimer("replica-a", 4, &a_claimed);
  auto b = MakeClaimer("replica-b", 4, &b_claimed);
  store_.Enqueue("a.test.", "ns1", 1);
  a->Kick("a.test.");
  a->RunOnce();
  ASSERT_EQ(a_claimed.size(), 1u);
  // A's worker pauses past its lease; B takes over and fails its push.
  clock_->Advance(absl::Seconds(5));
  b->Wake();
  b->RunOnce();
  ASSERT_EQ(b_claimed.size(), 1u);
  ASSERT_TRUE(store_.MarkFailed(b_claimed[0], "refused", absl::Seconds(1), false)->current);
  // A resumes and reports success: discarded, B's outcome stands.
  absl::StatusOr<Recorded> late = store_.MarkApplied(a_claimed[0], false);
  ASSERT_TRUE(late.ok());
  EXPECT_FALSE(late->current);
  EXPECT_EQ(store_.row("a.test.", "ns1").state, "ERROR");
}

// Coalescing: a zone pushed less than a hold ago is not claimed again before
// the hold ends, so the writes of a busy zone meanwhile go out in one push.
// The kick that found it held comes back by itself when the hold ends, with
// the request id of the first write it held.
TEST_F(ClaimerTest, AKickDuringTheHoldWaitsForItsEnd) {
  hold_ = absl::Milliseconds(500);
  std::vector<PropagationTask> claimed;
  std::unique_ptr<Claimer> claimer;
  ASSERT_NO_FATAL_FAILURE(FirstPush(&claimed, &claimer));
  ASSERT_NO_FATAL_FAILURE(Finish(*claimer, claimed[0]));
  store_.Enqueue("a.test.", "ns1", 2);
  claimer->Kick("a.test.", "req-2");
  store_.Enqueue("a.test.", "ns1", 3);
  claimer->Kick("a.test.", "req-3");
  const int claims = store_.claims();
  clock_->Advance(absl::Milliseconds(200));
  claimer->RunOnce();
  EXPECT_EQ(claimed.size(), 1u) << "held back";
  EXPECT_EQ(store_.claims(), claims) << "a held kick costs no query";
  clock_->Advance(absl::Milliseconds(300));
  claimer->RunOnce();
  ExpectSecondPush(claimed, 3, "req-2");  // both writes in one push
}

// A write whose caller waits for propagation is not held back.
TEST_F(ClaimerTest, AnUrgentKickIgnoresTheHold) {
  hold_ = absl::Seconds(5);
  std::vector<PropagationTask> claimed;
  std::unique_ptr<Claimer> claimer;
  ASSERT_NO_FATAL_FAILURE(FirstPush(&claimed, &claimer));
  ASSERT_NO_FATAL_FAILURE(Finish(*claimer, claimed[0]));
  store_.Enqueue("a.test.", "ns1", 2);
  claimer->Kick("a.test.", "req-waits", /*urgent=*/true);
  claimer->RunOnce();
  ExpectSecondPush(claimed, 2, "req-waits");
}

// A kick for a zone whose rows are all leased here (a push in progress to
// every server) would find nothing to claim: it is kept and replayed when
// the push ends.
TEST_F(ClaimerTest, AKickDuringAPushIsReplayedWhenItEnds) {
  std::vector<PropagationTask> claimed;
  std::unique_ptr<Claimer> claimer;
  ASSERT_NO_FATAL_FAILURE(FirstPush(&claimed, &claimer));
  store_.Enqueue("a.test.", "ns1", 2);
  claimer->Kick("a.test.", "req-2", /*urgent=*/true);
  EXPECT_EQ(claimer->kicked(), 0u) << "nothing to claim while leased";
  const int claims = store_.claims();
  claimer->RunOnce();
  EXPECT_EQ(store_.claims(), claims);
  ASSERT_NO_FATAL_FAILURE(Finish(*claimer, claimed[0]));
  EXPECT_EQ(claimer->kicked(), 1u);
  claimer->RunOnce();
  ExpectSecondPush(claimed, 2, "req-2");
}

// A server whose client bound dropped (it answered "overloaded") gets no
// more tasks than that bound; its other rows stay unclaimed in the database.
TEST_F(ClaimerTest, AServerGetsNoMoreTasksThanItsClientTakes) {
  std::vector<PropagationTask> claimed;
  auto claimer = MakeClaimer("replica-a", 16, &claimed, [] {
    FleetLoad load;
    load.servers = 2;
    load.limits = {{"busy", 1}, {"fine", 8}};
    return load;
  });
  for (int i = 0; i < 4; ++i) {
    store_.Enqueue("z" + std::to_string(i) + ".test.", "busy", 1);
    store_.Enqueue("z" + std::to_string(i) + ".test.", "fine", 1);
  }
  claimer->Wake();
  claimer->RunOnce();
  int busy = 0, fine = 0;
  for (const auto& t : claimed) {
    busy += t.server == "busy";
    fine += t.server == "fine";
  }
  EXPECT_EQ(busy, 1);
  EXPECT_EQ(fine, 2) << "the share (per_server) still bounds the others";
  EXPECT_EQ(store_.row("z1.test.", "busy").owner, "");
}

// A server held to one call at a time gets its next row as soon as its call
// ends, not one row per sweep (found after a frozen server thawed: 300 rows
// took two minutes at one push a second).
TEST_F(ClaimerTest, AServerAtItsBoundGetsItsNextRowWhenASlotFrees) {
  std::vector<PropagationTask> claimed;
  auto claimer = MakeClaimer("replica-a", 16, &claimed, [] {
    FleetLoad load;
    load.limits = {{"slow", 1}};
    return load;
  });
  for (int i = 0; i < 3; ++i) store_.Enqueue("z" + std::to_string(i) + ".test.", "slow", 1);
  claimer->Wake();
  claimer->RunOnce();
  ASSERT_EQ(claimed.size(), 1u);
  for (size_t n = 2; n <= 3; ++n) {
    ASSERT_NO_FATAL_FAILURE(Finish(*claimer, claimed.back()));
    claimer->RunOnce();  // same instant: no sweep would be due
    ASSERT_EQ(claimed.size(), n);
  }
}

// The same when the server had no room left at the sweep (its bound fell
// below its calls in flight): the slot that frees brings the next row.
TEST_F(ClaimerTest, AServerWithoutRoomAtTheSweepGetsItsRowWhenASlotFrees) {
  std::vector<PropagationTask> claimed;
  int limit = 2;
  auto claimer = MakeClaimer("replica-a", 16, &claimed, [&] {
    FleetLoad load;
    load.limits = {{"slow", limit}};
    return load;
  });
  for (int i = 0; i < 4; ++i) store_.Enqueue("z" + std::to_string(i) + ".test.", "slow", 1);
  claimer->Wake();
  claimer->RunOnce();
  ASSERT_EQ(claimed.size(), 2u);
  limit = 1;  // an overloaded answer halved it
  ASSERT_NO_FATAL_FAILURE(Finish(*claimer, claimed[0]));
  claimer->RunOnce();  // one still in flight: no room
  ASSERT_EQ(claimed.size(), 2u);
  ASSERT_NO_FATAL_FAILURE(Finish(*claimer, claimed[1]));
  claimer->RunOnce();  // same instant
  EXPECT_EQ(claimed.size(), 3u);
}

}  // namespace
}  // namespace dns
