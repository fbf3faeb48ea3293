#include "server/health/health_feed.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/status_details.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_health_store.h"

namespace dns {
namespace {

// No resume_after: only events that come after subscribing.
constexpr std::optional<int64_t> kLive = std::nullopt;

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

HealthEvent Event(const std::string& server, HealthEventType type = HealthEventType::kAlertRaised) {
  HealthEvent e;
  e.server = server;
  e.type = type;
  e.time = absl::FromUnixSeconds(1000);
  e.alert = "cpu";
  return e;
}

// Everything queued for a subscriber, in order, each marked sent.
std::vector<int64_t> Drain(HealthSubscriber& s) {
  std::vector<int64_t> ids;
  while (std::optional<HealthEvent> e = s.Next()) {
    ids.push_back(e->id);
    s.Sent(e->id);
  }
  return ids;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

class HealthFeedTest : public ::testing::Test {
 protected:
  HealthFeed::Options Small() {
    HealthFeed::Options o;
    o.ring = 4;
    o.page = 3;
    o.subscriber_capacity = 100;
    return o;
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeHealthStore store_;
  EventHub hub_;
  TimerQueue timers_{clock_};
};

TEST_F(HealthFeedTest, NewEventsReachTheSubscribersWhoseFilterMatches) {
  HealthFeed feed(store_, hub_, timers_, Small());
  ASSERT_TRUE(feed.Start().ok());
  HealthFilter ns1;
  ns1.servers = {"ns1"};
  HealthFilter status;
  status.types = {HealthEventType::kStatusChanged};
  int woken = 0;
  auto a = feed.Subscribe(ns1, kLive, [&] { ++woken; });
  auto b = feed.Subscribe(status, kLive, [] {});
  auto all = feed.Subscribe({}, kLive, [] {});
  ASSERT_TRUE(a.ok() && b.ok() && all.ok());

  const int64_t e1 = store_.AddEvent(Event("ns1"));
  const int64_t e2 = store_.AddEvent(Event("ns2", HealthEventType::kStatusChanged));
  const int64_t e3 = store_.AddEvent(Event("ns1", HealthEventType::kStatusChanged));
  feed.Poll();
  EXPECT_THAT(Drain(**a), ElementsAre(e1, e3));
  EXPECT_THAT(Drain(**b), ElementsAre(e2, e3));
  EXPECT_THAT(Drain(**all), ElementsAre(e1, e2, e3));
  EXPECT_GE(woken, 2);  // once at subscribing, once for the poll
}

TEST_F(HealthFeedTest, EventsStoredBeforeTheFeedStartedAreNotNew) {
  store_.AddEvent(Event("ns1"));
  store_.AddEvent(Event("ns1"));
  HealthFeed feed(store_, hub_, timers_, Small());
  ASSERT_TRUE(feed.Start().ok());
  auto s = feed.Subscribe({}, kLive, [] {});
  ASSERT_TRUE(s.ok());
  feed.Poll();
  EXPECT_THAT(Drain(**s), IsEmpty());
  const int64_t fresh = store_.AddEvent(Event("ns1"));
  feed.Poll();
  EXPECT_THAT(Drain(**s), ElementsAre(fresh));
}

TEST_F(HealthFeedTest, ResumeReplaysFromTheStoreAndTheRingThenGoesLiveWithoutGapOrDuplicate) {
  HealthFeed feed(store_, hub_, timers_, Small());  // ring of 4, pages of 3
  ASSERT_TRUE(feed.Start().ok());
  for (int i = 0; i < 10; ++i) store_.AddEvent(Event("ns1"));
  feed.Poll();  // ids 1..10 seen; the ring holds 7..10
  for (int64_t after : {0, 1, 2, 5, 6, 7, 9, 10}) {
    SCOPED_TRACE(after);
    auto s = feed.Subscribe({}, after, [] {});
    ASSERT_TRUE(s.ok()) << s.status();
    const int64_t next = store_.AddEvent(Event("ns1"));
    feed.Poll();
    std::vector<int64_t> want = Range(after + 1, next);  // 0: from the first
    EXPECT_THAT(Drain(**s), ElementsAreArray(want));
    feed.Unsubscribe(*s);
  }
}

TEST_F(HealthFeedTest, EventsCommittedWhileAResumeReadsTheStoreAreDeliveredOnce) {
  HealthFeed feed(store_, hub_, timers_, Small());
  ASSERT_TRUE(feed.Start().ok());
  for (int i = 0; i < 8; ++i) store_.AddEvent(Event("ns1"));
  feed.Poll();
  // Stored but not yet polled when the subscriber arrives.
  store_.AddEvent(Event("ns1"));
  store_.AddEvent(Event("ns1"));
  auto s = feed.Subscribe({}, 2, [] {});
  ASSERT_TRUE(s.ok());
  feed.Poll();
  EXPECT_THAT(Drain(**s), ElementsAreArray(Range(3, 10)));
}

TEST_F(HealthFeedTest, AResumeOlderThanTheKeptEventsIsOutOfRangeWithTheOldestId) {
  for (int i = 0; i < 6; ++i) store_.AddEvent(Event("ns1"));
  store_.DropEventsBefore(4);  // 4..6 kept
  HealthFeed feed(store_, hub_, timers_, Small());
  ASSERT_TRUE(feed.Start().ok());
  auto lost = feed.Subscribe({}, 2, [] {});
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ReasonOf(lost.status()), "EVENTS_COMPACTED");
  EXPECT_THAT(MetadataOf(lost.status()),
              ElementsAre(std::make_pair(std::string("oldest_id"), std::string("4"))));
  // Right before the oldest kept: nothing is missing.
  auto fine = feed.Subscribe({}, 3, [] {});
  ASSERT_TRUE(fine.ok());
  EXPECT_THAT(Drain(**fine), ElementsAre(4, 5, 6));
  // 0 asks for whatever is kept: a client with no state has nothing stale.
  auto everything = feed.Subscribe({}, 0, [] {});
  ASSERT_TRUE(everything.ok()) << everything.status();
  EXPECT_THAT(Drain(**everything), ElementsAre(4, 5, 6));
}

TEST_F(HealthFeedTest, ASlowSubscriberOverflowsAndKnowsTheLastIdItWasSent) {
  HealthFeed::Options o = Small();
  o.subscriber_capacity = 3;
  HealthFeed feed(store_, hub_, timers_, o);
  ASSERT_TRUE(feed.Start().ok());
  auto slow = feed.Subscribe({}, kLive, [] {});
  auto fast = feed.Subscribe({}, kLive, [] {});
  ASSERT_TRUE(slow.ok() && fast.ok());
  const int64_t first = store_.AddEvent(Event("ns1"));
  feed.Poll();
  std::optional<HealthEvent> got = (*slow)->Next();
  ASSERT_TRUE(got);
  (*slow)->Sent(got->id);
  // Two rounds of two events: the fast one keeps up, the slow one reads
  // nothing more and passes its bound of three.
  for (int round = 0; round < 2; ++round) {
    store_.AddEvent(Event("ns1"));
    store_.AddEvent(Event("ns1"));
    feed.Poll();
    Drain(**fast);
  }
  EXPECT_TRUE((*slow)->overflowed());
  EXPECT_EQ((*slow)->last_sent(), first);
  EXPECT_FALSE((*slow)->Next());  // it ends; it resumes from its last id
  EXPECT_FALSE((*fast)->overflowed());
  EXPECT_EQ((*fast)->last_sent(), feed.last_id());
}

TEST_F(HealthFeedTest, AClientFarBehindCatchesUpOverSeveralStreams) {
  HealthFeed::Options o = Small();  // ring 4, pages of 3
  o.subscriber_capacity = 2;
  o.max_replay = 5;
  HealthFeed feed(store_, hub_, timers_, o);
  ASSERT_TRUE(feed.Start().ok());
  for (int i = 0; i < 20; ++i) store_.AddEvent(Event("ns1"));
  feed.Poll();
  std::vector<int64_t> seen;
  int64_t cursor = 1;
  for (int stream = 0; stream < 10 && cursor < 20; ++stream) {
    auto s = feed.Subscribe({}, cursor, [] {});
    ASSERT_TRUE(s.ok()) << s.status();
    // The replay is not held to the live bound of 2 ...
    for (int64_t id : Drain(**s)) seen.push_back(id);
    // ... but ends after max_replay (more than the bound) unless caught up.
    if ((*s)->overflowed()) {
      EXPECT_GT((*s)->last_sent(), cursor);
    }
    cursor = (*s)->last_sent();
    feed.Unsubscribe(*s);
  }
  EXPECT_THAT(seen, ElementsAreArray(Range(2, 20)));
}

TEST_F(HealthFeedTest, WithoutTheStoreAtStartNothingOldIsDeliveredAndSubscribersWait) {
  for (int i = 0; i < 3; ++i) store_.AddEvent(Event("ns1"));
  store_.FailAll(absl::UnavailableError("database down"));
  HealthFeed feed(store_, hub_, timers_, Small());
  EXPECT_FALSE(feed.Start().ok());
  auto refused = feed.Subscribe({}, kLive, [] {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  store_.FailAll(absl::OkStatus());
  feed.Poll();  // learns where the events stand
  auto s = feed.Subscribe({}, kLive, [] {});
  ASSERT_TRUE(s.ok());
  const int64_t fresh = store_.AddEvent(Event("ns1"));
  feed.Poll();
  EXPECT_THAT(Drain(**s), ElementsAre(fresh));
}

TEST_F(HealthFeedTest, StoppingWakesSubscribersAndRefusesNewOnes) {
  HealthFeed feed(store_, hub_, timers_, Small());
  ASSERT_TRUE(feed.Start().ok());
  int woken = 0;
  auto s = feed.Subscribe({}, kLive, [&] { ++woken; });
  ASSERT_TRUE(s.ok());
  const int before = woken;
  feed.Stop();
  EXPECT_GT(woken, before);
  EXPECT_TRUE(feed.stopped());
  EXPECT_EQ(feed.Subscribe({}, kLive, [] {}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dns
