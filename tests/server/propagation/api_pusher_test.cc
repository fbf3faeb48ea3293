#include "server/propagation/api_pusher.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_pdns_client.h"
#include "tests/testing/fake_propagation_store.h"
#include "tests/testing/fake_stores.h"

namespace dns {
namespace {

using ::testing::ElementsAre;

class ApiPusherTest : public ::testing::Test {
 protected:
  ApiPusherTest() {
    Zone z;
    z.name = "a.test.";
    zones_.Put(z, {RRset{"a.test.", "SOA", 3600, {{"ns1.test. h.test. 12 1 2 3 4", false}}},
                   RRset{"a.test.", "NS", 3600, {{"ns1.test.", false}}},
                   RRset{"www.a.test.", "A", 60, {{"192.0.2.1", false}}}});
  }

  PropagationTask Task(uint32_t applied, bool full = false) {
    return PropagationTask{"a.test.", "api-1", 12, applied, false, full, 0, 1, "req-1"};
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakePropagationStore store_{clock_};
  FakeZoneStore zones_;
  WeightedGate gate_{0, 0};
  ApiPusher pusher_{store_, zones_, gate_};
  pdns::FakePdnsClient server_{"api-1"};
  pdns::CallContext ctx_;
};

TEST_F(ApiPusherTest, ANewZoneIsCreatedWhole) {
  bool full = false;
  ASSERT_TRUE(pusher_.Push(server_, Task(0), ctx_, &full).ok());
  EXPECT_TRUE(full);
  ASSERT_TRUE(server_.FindZone("a.test.").has_value());
  EXPECT_EQ(server_.FindZone("a.test.")->rrsets.size(), 3u);
}

TEST_F(ApiPusherTest, KnownChangesGoAsOnePatchWithTheSoa) {
  bool full = false;
  ASSERT_TRUE(pusher_.Push(server_, Task(0), ctx_, &full).ok());
  server_.ClearCalls();
  store_.SetChanged("a.test.", std::vector<RRsetKey>{{"www.a.test.", "A"}, {"old.a.test.", "A"}});
  ASSERT_TRUE(pusher_.Push(server_, Task(11), ctx_, &full).ok());
  EXPECT_FALSE(full);
  auto patches = server_.CallsOf("PatchRRsets");
  ASSERT_EQ(patches.size(), 1u);
  std::vector<std::string> sent;
  for (const auto& c : patches[0].changes) {
    sent.push_back((c.type == ChangeType::kDelete ? "DELETE " : "REPLACE ") + c.rrset.name + " " +
                   c.rrset.type);
  }
  EXPECT_THAT(sent, ElementsAre("REPLACE www.a.test. A", "DELETE old.a.test. A",
                                "REPLACE a.test. SOA"));
  EXPECT_EQ(patches[0].request_id, "");  // the context's (none here)
  EXPECT_TRUE(server_.CallsOf("GetZone").empty());  // first try: no read-back
}

// A PATCH that timed out lands after the retry that followed it: the
// read-back after the retry sees the older serial and sends the whole zone.
TEST_F(ApiPusherTest, AnOlderRequestLandingLateIsOverwrittenWithTheTruth) {
  bool full = false;
  ASSERT_TRUE(pusher_.Push(server_, Task(0), ctx_, &full).ok());
  auto write = [&](uint32_t serial, const std::string& ip) {
    Zone z;
    z.name = "a.test.";
    z.serial = serial;
    zones_.Put(z, {RRset{"a.test.", "SOA", 3600, {{absl::StrCat("ns1.test. h.test. ", serial, " 1 2 3 4"), false}}},
                   RRset{"a.test.", "NS", 3600, {{"ns1.test.", false}}},
                   RRset{"www.a.test.", "A", 60, {{ip, false}}}});
    store_.SetChanged("a.test.", std::vector<RRsetKey>{{"www.a.test.", "A"}});
  };
  write(13, "192.0.2.13");
  server_.OvertakeNext("PatchRRsets");
  PropagationTask task = Task(12);
  EXPECT_EQ(pusher_.Push(server_, task, ctx_, &full).code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server_.FindZone("a.test.")->serial, 12u);

  write(14, "192.0.2.14");
  task.attempts = 1;
  server_.ClearCalls();
  ASSERT_TRUE(pusher_.Push(server_, task, ctx_, &full).ok());
  EXPECT_TRUE(full);
  const pdns::ZoneInfo now = *server_.FindZone("a.test.");
  EXPECT_EQ(now.serial, 14u);
  bool www_is_new = false;
  for (const RRset& r : now.rrsets) {
    if (r.name == "www.a.test.") www_is_new = r.records.at(0).content == "192.0.2.14";
  }
  EXPECT_TRUE(www_is_new);
  EXPECT_EQ(server_.CallsOf("GetZone").size(), 3u);  // read-back, full sync, read-back

  // A retry nothing overtook reads back once and is done.
  write(15, "192.0.2.15");
  server_.ClearCalls();
  ASSERT_TRUE(pusher_.Push(server_, task, ctx_, &full).ok());
  EXPECT_FALSE(full);
  EXPECT_EQ(server_.CallsOf("GetZone").size(), 1u);
  EXPECT_EQ(server_.FindZone("a.test.")->serial, 15u);
}

TEST_F(ApiPusherTest, AServerThatLostTheZoneGetsItWhole) {
  store_.SetChanged("a.test.", std::vector<RRsetKey>{{"www.a.test.", "A"}});
  bool full = false;
  ASSERT_TRUE(pusher_.Push(server_, Task(11), ctx_, &full).ok());
  EXPECT_TRUE(full);
  EXPECT_EQ(server_.CallsOf("CreateZone").size(), 1u);
}

TEST_F(ApiPusherTest, ADeletedZoneIsDeletedAndAMissingOneIsFine) {
  PropagationTask task = Task(12);
  task.zone_deleted = true;
  bool full = false;
  EXPECT_TRUE(pusher_.Push(server_, task, ctx_, &full).ok());  // not there: fine
  ASSERT_TRUE(pusher_.Push(server_, Task(0), ctx_, &full).ok());
  EXPECT_TRUE(pusher_.Push(server_, task, ctx_, &full).ok());
  EXPECT_FALSE(server_.FindZone("a.test.").has_value());
}

TEST_F(ApiPusherTest, ServerErrorsComeBackAsTheyAre) {
  server_.FailNext("CreateZone", absl::InvalidArgumentError("422 record rejected"));
  bool full = false;
  absl::Status st = pusher_.Push(server_, Task(0), ctx_, &full);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace dns
