#include "client/fan_out.h"

#include <httplib.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/executor.h"
#include "tests/testing/fake_pdns_client.h"
#include "client/pdns_client.h"
#include "gtest/gtest.h"
#include "tests/client/test_peer.h"

namespace dns::pdns {
namespace {

using ::dns::testing::TestPeer;

TEST(FanOutTest, TakesAboutTheSlowestServerNotTheSum) {
  auto slow_peer = [] {
    return std::make_unique<TestPeer>([](httplib::Server& s) {
      s.Get("/api/v1/servers/localhost",
            [](const httplib::Request&, httplib::Response& res) {
              std::this_thread::sleep_for(std::chrono::milliseconds(300));
              res.set_content(R"({"id":"localhost","version":"4.7.3"})",
                              "application/json");
            });
    });
  };
  std::vector<std::unique_ptr<TestPeer>> peers;
  for (int i = 0; i < 3; ++i) peers.push_back(slow_peer());

  Executor executor(Executor::Options{.threads = 8, .max_queued = 64});
  std::vector<std::shared_ptr<PdnsClient>> clients;
  for (int i = 0; i < 3; ++i) {
    auto client = MakeHttpPdnsClient(
        {absl::StrCat("ns", i + 1), peers[i]->url(), "key"}, ClientOptions{},
        executor);
    ASSERT_TRUE(client.ok()) << client.status();
    clients.push_back(*client);
  }

  CallContext ctx;
  ctx.request_id = "fan";
  const absl::Time start = absl::Now();
  auto outcomes = FanOut(
      clients, [&](PdnsClient& c) { return c.AsyncGetServerInfo(ctx); });
  const absl::Duration took = absl::Now() - start;

  ASSERT_EQ(outcomes.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(outcomes[i].server, absl::StrCat("ns", i + 1));
    ASSERT_TRUE(outcomes[i].result.ok()) << outcomes[i].result.status();
    EXPECT_EQ(outcomes[i].result->version, "4.7.3");
  }
  // Sequential would be >= 900 ms.
  EXPECT_LT(took, absl::Milliseconds(800));
  EXPECT_GE(took, absl::Milliseconds(300));
}

TEST(FanOutTest, SlowServerMissesTheDeadlineOthersDoNot) {
  auto fast = std::make_shared<FakePdnsClient>("fast");
  auto slow = std::make_shared<FakePdnsClient>("slow");
  slow->SetLatency(absl::Seconds(2));
  std::vector<std::shared_ptr<PdnsClient>> clients = {fast, slow};
  CallContext ctx;
  const absl::Time start = absl::Now();
  auto outcomes = FanOut(
      clients, [&](PdnsClient& c) { return c.AsyncFlushCache(ctx, "example.com."); },
      absl::Now() + absl::Milliseconds(200));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_TRUE(outcomes[0].result.ok());
  EXPECT_EQ(outcomes[1].server, "slow");
  EXPECT_EQ(outcomes[1].result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(CountOk(outcomes), 1u);
}

TEST(FanOutTest, StatusOnlyCalls) {
  auto a = std::make_shared<FakePdnsClient>("a");
  auto b = std::make_shared<FakePdnsClient>("b");
  b->FailNext("PatchRRsets", absl::UnavailableError("down"));
  ZoneInfo zone;
  zone.name = "example.com.";
  a->PutZone(zone);
  b->PutZone(zone);
  std::vector<std::shared_ptr<PdnsClient>> clients = {a, b};
  std::vector<RRsetChange> changes = {
      {ChangeType::kReplace, {"www.example.com.", "A", 60, {{"192.0.2.7", false}}}}};
  auto outcomes = FanOut(clients, [&](PdnsClient& c) {
    return c.AsyncPatchRRsets(CallContext{}, "example.com.", changes);
  });
  EXPECT_TRUE(outcomes[0].result.ok());
  EXPECT_EQ(outcomes[1].result.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace dns::pdns
