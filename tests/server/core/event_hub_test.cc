#include "server/core/event_hub.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::ElementsAre;

Event Progress(const std::string& zone) {
  Event e;
  e.type = EventType::kPropagationProgress;
  e.zone = zone;
  return e;
}

TEST(EventHubTest, ZoneSubscribersGetTheirZoneAndWhatConcernsEveryZone) {
  EventHub hub;
  std::vector<std::string> a, all;
  auto sub_a = hub.Subscribe("a.test.", [&](const Event& e) { a.push_back(e.zone); });
  auto sub_all = hub.Subscribe("", [&](const Event& e) { all.push_back(e.zone); });
  hub.Publish(Progress("a.test."));
  hub.Publish(Progress("b.test."));
  Event shutdown;
  shutdown.type = EventType::kShutdown;
  hub.Publish(shutdown);
  EXPECT_THAT(a, ElementsAre("a.test.", ""));
  EXPECT_THAT(all, ElementsAre("a.test.", "b.test.", ""));
  EXPECT_EQ(hub.subscribers(), 2);
}

TEST(EventHubTest, EndedSubscriptionsGetNothing) {
  EventHub hub;
  int calls = 0;
  {
    auto sub = hub.Subscribe("a.test.", [&](const Event&) { ++calls; });
    hub.Publish(Progress("a.test."));
  }
  hub.Publish(Progress("a.test."));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(hub.subscribers(), 0);
}

TEST(EventHubTest, AHandlerMayEndItsOwnSubscription) {
  EventHub hub;
  int calls = 0;
  EventHub::Subscription sub;
  sub = hub.Subscribe("a.test.", [&](const Event&) {
    ++calls;
    sub.Cancel();
  });
  hub.Publish(Progress("a.test."));
  hub.Publish(Progress("a.test."));
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace dns
