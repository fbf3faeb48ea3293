#include "server/core/event_bridge.h"

#include "gtest/gtest.h"

namespace dns {
namespace {

TEST(EventBridgeTest, ProgressCrossesReplicasIntact) {
  Event e;
  e.type = EventType::kPropagationProgress;
  e.zone = "example.com.";
  e.server = "ns1";
  e.serial = 2026112905;
  e.progress.server = "ns1";
  e.progress.state = PropagationState::kError;
  e.progress.desired_serial = 2026112905;
  e.progress.applied_serial = 2026112904;
  e.progress.attempts = 2;
  e.progress.last_error = "pdns server ns1: \"quoted\" \xff";
  e.progress.update_time = absl::FromUnixMicros(1764400000123456);
  std::optional<std::string> line = EncodeEvent(e, "replica-a");
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->find('\n'), std::string::npos);

  // The sender ignores its own events.
  EXPECT_FALSE(DecodeEvent(*line, "replica-a").has_value());
  std::optional<Event> got = DecodeEvent(*line, "replica-b");
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->remote);
  EXPECT_EQ(got->type, EventType::kPropagationProgress);
  EXPECT_EQ(got->zone, "example.com.");
  EXPECT_EQ(got->server, "ns1");
  EXPECT_EQ(got->progress.state, PropagationState::kError);
  EXPECT_EQ(got->progress.applied_serial, 2026112904u);
  EXPECT_EQ(got->progress.attempts, 2);
  EXPECT_EQ(got->progress.update_time, e.progress.update_time);
  EXPECT_EQ(got->progress.last_error.substr(0, 20), "pdns server ns1: \"qu");

  // A remote event is not sent on again, local-only ones never go out.
  EXPECT_FALSE(EncodeEvent(*got, "replica-b").has_value());
  Event job;
  job.type = EventType::kJobRan;
  EXPECT_FALSE(EncodeEvent(job, "replica-a").has_value());
}

TEST(EventBridgeTest, MalformedLinesAreDropped) {
  for (const std::string line :
       {"", "{", "[]", R"({"t":"nonsense"})", R"({"t":"progress","z":"a."})",
        R"({"t":"progress","p":{"st":99}})", R"({"t":7})"}) {
    EXPECT_FALSE(DecodeEvent(line, "me").has_value()) << line;
  }
  std::optional<Event> commit = DecodeEvent(R"({"i":"other","t":"commit","z":"a.test."})", "me");
  ASSERT_TRUE(commit.has_value());
  EXPECT_EQ(commit->type, EventType::kZoneCommitted);
  EXPECT_EQ(commit->zone, "a.test.");
}

}  // namespace
}  // namespace dns
