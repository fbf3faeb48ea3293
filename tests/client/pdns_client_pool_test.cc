#include "client/pdns_client_pool.h"

#include <memory>
#include <string>
#include <vector>

#include "tests/testing/fake_pdns_client.h"
#include "client/fan_out.h"
#include "gtest/gtest.h"

namespace dns::pdns {
namespace {

PdnsClientPool::Options FakeOptions(int* made) {
  PdnsClientPool::Options options;
  options.executor.threads = 2;
  options.factory = [made](const ServerConfig& config, const ClientOptions&,
                           Executor&) -> absl::StatusOr<std::shared_ptr<PdnsClient>> {
    ++*made;
    return std::make_shared<FakePdnsClient>(config.name);
  };
  return options;
}

TEST(PdnsClientPoolTest, AddsReplacesAndRemovesByName) {
  int made = 0;
  PdnsClientPool pool(FakeOptions(&made));
  ASSERT_TRUE(pool.Upsert({"ns2", "http://10.0.0.2:8081", "k2"}).ok());
  ASSERT_TRUE(pool.Upsert({"ns1", "http://10.0.0.1:8081", "k1"}).ok());
  EXPECT_EQ(made, 2);

  std::vector<std::shared_ptr<PdnsClient>> all = pool.List();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->server_name(), "ns1");
  EXPECT_EQ(all[1]->server_name(), "ns2");

  std::shared_ptr<PdnsClient> first = pool.Get("ns1");
  ASSERT_TRUE(pool.Upsert({"ns1", "http://10.0.0.1:8081", "k1"}).ok());
  EXPECT_EQ(pool.Get("ns1"), first);  // unchanged config: same client
  ASSERT_TRUE(pool.Upsert({"ns1", "http://10.0.0.1:8081", "rotated"}).ok());
  EXPECT_NE(pool.Get("ns1"), first);  // key rotation: new client
  EXPECT_EQ(made, 3);

  pool.Remove("ns2");
  EXPECT_EQ(pool.Get("ns2"), nullptr);
  EXPECT_EQ(pool.List().size(), 1u);

  std::vector<std::shared_ptr<PdnsClient>> chosen = pool.Select({"ns1", "gone"});
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_NE(chosen[0], nullptr);
  EXPECT_EQ(chosen[1], nullptr);
}

TEST(PdnsClientPoolTest, DefaultFactoryMakesHttpClientsAndChecksUrls) {
  PdnsClientPool pool;
  EXPECT_TRUE(pool.Upsert({"ns1", "http://127.0.0.1:8081", "key"}).ok());
  EXPECT_EQ(pool.Upsert({"ns2", "not a url", "key"}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pool.Get("ns2"), nullptr);
}

TEST(PdnsClientPoolTest, FansOutOverSelectedServers) {
  int made = 0;
  PdnsClientPool pool(FakeOptions(&made));
  ASSERT_TRUE(pool.Upsert({"ns1", "http://a", "k"}).ok());
  ASSERT_TRUE(pool.Upsert({"ns2", "http://b", "k"}).ok());
  CallContext ctx;
  auto outcomes = FanOut(pool.Select({"ns2", "missing", "ns1"}),
                         [&](PdnsClient& c) { return c.AsyncGetServerInfo(ctx); });
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].server, "ns2");
  EXPECT_TRUE(outcomes[0].result.ok());
  EXPECT_EQ(outcomes[1].result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(outcomes[2].server, "ns1");
  EXPECT_EQ(CountOk(outcomes), 2u);
}

}  // namespace
}  // namespace dns::pdns
