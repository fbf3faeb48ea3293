// Propagation assembled from its parts over fakes of the project's own
// interfaces: an in-memory propagation record, registry and zone store, and
// in-memory PowerDNS servers (FakePdnsClient), some of them dead.
#include "server/propagation/propagator.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_dns_prober.h"
#include "tests/testing/fake_pdns_client.h"
#include "tests/testing/fake_propagation_store.h"
#include "tests/testing/fake_stores.h"

namespace dns {
namespace {

class PropagatorTest : public ::testing::Test {
 protected:
  PropagatorTest() {
    // The same fake for a server whoever asks (the shared pool, a probe).
    auto factory = [this](const pdns::ServerConfig& config, const pdns::ClientOptions&,
                          Executor&) -> absl::StatusOr<std::shared_ptr<pdns::PdnsClient>> {
      return std::shared_ptr<pdns::PdnsClient>(Fake(config.name));
    };
    pdns::PdnsClientPool::Options pool_options;
    pool_options.factory = factory;
    clients_ = std::make_unique<pdns::PdnsClientPool>(pool_options);
    options_.claimer.owner = "replica-a";
    options_.claimer.capacity = 8;
    options_.claimer.sweep_every = absl::Milliseconds(50);
    options_.workers.threads = 8;
    options_.workers.push_timeout = absl::Seconds(30);
    options_.workers.initial_backoff = absl::Milliseconds(10);
    options_.recovery.client_factory = factory;
    options_.recovery.probe_every = absl::Milliseconds(50);
  }
  ~PropagatorTest() override {
    if (propagator_) propagator_->Stop();
  }

  std::shared_ptr<pdns::FakePdnsClient> Fake(const std::string& name) {
    absl::MutexLock lock(&mu_);
    auto& fake = fakes_[name];
    if (!fake) fake = std::make_shared<pdns::FakePdnsClient>(name);
    return fake;
  }

  void AddServer(const std::string& name, ServerMode mode) {
    Server s;
    s.name = name;
    s.api_url = "http://" + name + ".invalid:8081";
    s.api_key = "k";
    s.dns_address = "192.0.2.53:53";
    s.mode = mode;
    servers_.Put(s);
  }

  void AddZone(const std::string& name) {
    Zone z;
    z.name = name;
    z.serial = 10;
    zones_.Put(z, {RRset{name, "SOA", 3600, {{"ns1.test. h.test. 10 1 2 3 4", false}}},
                   RRset{name, "NS", 3600, {{"ns1.test.", false}}}});
  }

  void Make() {
    propagator_ = std::make_unique<Propagator>(store_, zones_, servers_, *clients_, prober_,
                                               hub_, timers_, options_);
  }
  void Start() {
    if (!propagator_) Make();
    propagator_->Start();
  }

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<pdns::FakePdnsClient>> fakes_;
  std::shared_ptr<Clock> clock_ = RealClock();
  FakePropagationStore store_{clock_};
  FakeZoneStore zones_;
  FakeServerStore servers_;
  FakeDnsProber prober_;
  EventHub hub_;
  TimerQueue timers_;
  std::unique_ptr<pdns::PdnsClientPool> clients_;
  PropagatorOptions options_;
  std::unique_ptr<Propagator> propagator_;
};

TEST_F(PropagatorTest, ACommitReachesEveryServerAndTheWaitFollowsIt) {
  AddServer("api-1", ServerMode::kApi);
  AddServer("shared-1", ServerMode::kSharedDb);
  prober_.SetSoaSerial("192.0.2.53", 53, "a.test.", 10);
  AddZone("a.test.");
  Make();
  store_.Enqueue("a.test.", "api-1", 10, /*full_sync=*/true);
  store_.Enqueue("a.test.", "shared-1", 10);
  // Kicked before the first sweep, so the kick's claim (and request id)
  // is the one that runs.
  propagator_->Kick("a.test.", "req-7", false);
  Start();
  std::vector<ServerPropagation> states =
      propagator_->Wait("a.test.", 10, false, absl::Now(), absl::Now() + absl::Seconds(30));
  ASSERT_EQ(states.size(), 2u);
  for (const auto& p : states) EXPECT_EQ(p.state, PropagationState::kInSync) << p.server;
  ASSERT_TRUE(Fake("api-1")->FindZone("a.test.").has_value());
  EXPECT_EQ(Fake("api-1")->CallsOf("CreateZone")[0].request_id, "req-7");
  EXPECT_EQ(Fake("shared-1")->CallsOf("FlushCache").size(), 1u);
}

TEST_F(PropagatorTest, DeadServersDoNotHoldUpTheLiveOnes) {
  AddServer("live", ServerMode::kApi);
  for (int i = 0; i < 3; ++i) {
    const std::string dead = absl::StrCat("dead-", i);
    AddServer(dead, ServerMode::kApi);
    // Down the worst way: every call hangs, then fails.
    Fake(dead)->SetLatency(absl::Seconds(20));
    Fake(dead)->FailAll(absl::UnavailableError("connection timed out"));
  }
  Start();
  for (int z = 0; z < 20; ++z) {
    const std::string zone = absl::StrCat("z", z, ".test.");
    AddZone(zone);
    for (const std::string server : {"live", "dead-0", "dead-1", "dead-2"}) {
      store_.Enqueue(zone, server, 10, true);
    }
    propagator_->Kick(zone, "", false);
  }
  // Every zone reaches the live server while the dead ones hang: they can
  // hold no more than their share of the workers.
  ASSERT_TRUE(store_.WaitFor([&] {
    for (int z = 0; z < 20; ++z) {
      if (store_.row(absl::StrCat("z", z, ".test."), "live").state != "IN_SYNC") return false;
    }
    return true;
  }, absl::Seconds(15)));
  EXPECT_EQ(Fake("live")->ZoneNames().size(), 20u);
}

TEST_F(PropagatorTest, AServerThatComesBackIsCaughtUpAtOnce) {
  AddServer("api-1", ServerMode::kApi);
  AddZone("a.test.");
  Fake("api-1")->FailAll(absl::UnavailableError("connection refused"));
  options_.workers.max_backoff = absl::Minutes(10);
  options_.workers.initial_backoff = absl::Minutes(10);  // only the prober can bring it back soon
  Start();
  store_.Enqueue("a.test.", "api-1", 10, true);
  propagator_->Kick("a.test.", "", false);
  ASSERT_TRUE(store_.WaitFor([&] { return store_.row("a.test.", "api-1").state == "ERROR"; }));
  Fake("api-1")->FailAll(absl::OkStatus());
  ASSERT_TRUE(store_.WaitFor([&] { return store_.row("a.test.", "api-1").state == "IN_SYNC"; }));
}

TEST_F(PropagatorTest, StopGivesLeasedWorkBackAndAbandonsHungCalls) {
  AddServer("hung", ServerMode::kApi);
  AddZone("a.test.");
  Fake("hung")->SetLatency(absl::Seconds(30));
  Start();
  store_.Enqueue("a.test.", "hung", 10, true);
  propagator_->Kick("a.test.", "", false);
  ASSERT_TRUE(store_.WaitFor([&] { return store_.row("a.test.", "hung").owner == "replica-a"; }));
  int released = 0;
  auto sub = hub_.Subscribe("", [&](const Event& e) {
    if (e.type == EventType::kWorkReleased) ++released;
  });
  propagator_->Stop();
  FakePropagationStore::Row row = store_.row("a.test.", "hung");
  EXPECT_EQ(row.owner, "");
  EXPECT_EQ(row.lease_until, absl::InfinitePast());
  EXPECT_EQ(row.attempts, 0);  // an interrupted push is not a failed attempt
  EXPECT_EQ(released, 1);
}

}  // namespace
}  // namespace dns
