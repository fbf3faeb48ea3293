#include "server/health/health_checker.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/health/status_machine.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_dns_prober.h"
#include "tests/testing/fake_health_store.h"
#include "tests/testing/fake_pdns_client.h"

namespace dns {
namespace {

using ::testing::HasSubstr;

const CheckResult* Find(const HealthReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

pdns::Statistics Stats(double uptime, double cpu_msec, double queries) {
  return {{"uptime", absl::StrCat(uptime)},
          {"user-msec", absl::StrCat(cpu_msec)},
          {"sys-msec", "0"},
          {"udp-queries", absl::StrCat(queries)},
          {"tcp-queries", "0"},
          {"servfail-packets", "0"},
          {"packetcache-hit", "30"},
          {"packetcache-miss", "10"},
          {"real-memory-usage", "104857600"},
          {"latency", "120"},
          {"fd-usage", "42"}};
}

class HealthCheckerTest : public ::testing::Test {
 protected:
  HealthCheckerTest() {
    server_.name = "ns1";
    server_.mode = ServerMode::kApi;
    server_.dns_address = "192.0.2.1:5300";
    client_.SetVersion("4.7.4");
    client_.SetStatistics(Stats(100, 1000, 500));
    pdns::ZoneInfo zone;
    zone.name = "example.com.";
    zone.serial = 7;
    client_.PutZone(zone);
    store_.AddServer("ns1");
    store_.SetProbeTarget("ns1", ProbeTarget{"example.com.", 7});
    prober_.SetSoaSerial("192.0.2.1", 5300, "example.com.", 7);
  }

  HealthChecker Checker(HealthCheckOptions options = {}) {
    return HealthChecker(
        store_, prober_,
        [this](const std::string&) -> absl::StatusOr<std::optional<absl::Duration>> {
          return lag_;
        },
        options, clock_);
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeHealthStore store_;
  FakeDnsProber prober_;
  pdns::FakePdnsClient client_{"ns1"};
  Server server_;
  std::optional<absl::Duration> lag_;
};

TEST_F(HealthCheckerTest, AHealthyServerPassesEveryCheckWithItsFigures) {
  lag_ = absl::Seconds(3);
  HealthChecker checker = Checker();
  HealthReport r = checker.Run(server_, client_);
  EXPECT_EQ(r.version, "4.7.4");
  for (const auto& c : r.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.message;
  ASSERT_TRUE(Find(r, "dns_probe"));
  EXPECT_THAT(Find(r, "dns_probe")->message, HasSubstr("serial 7"));
  ASSERT_TRUE(Find(r, "api") && Find(r, "api")->value);
  EXPECT_EQ(Find(r, "api")->threshold, 5000);
  EXPECT_EQ(Find(r, "memory")->value, 104857600);
  EXPECT_EQ(Find(r, "latency")->value, 120);
  EXPECT_EQ(Find(r, "fd_usage")->value, 42);
  EXPECT_EQ(Find(r, "uptime")->value, 100);
  EXPECT_DOUBLE_EQ(*Find(r, "packet_cache_hit_rate")->value, 0.75);
  EXPECT_EQ(Find(r, "zones")->value, 1);
  EXPECT_EQ(Find(r, "zones_out_of_sync")->value, 0);
  EXPECT_EQ(Find(r, "propagation_lag")->value, 3);
  // Rates need a second round.
  EXPECT_FALSE(Find(r, "cpu"));
  EXPECT_EQ(Observe(r.checks), Observation::kGood);
}

TEST_F(HealthCheckerTest, CpuAndQueryRatesComeFromTheCountersSinceTheLastRound) {
  HealthChecker checker = Checker();
  checker.Run(server_, client_);
  clock_->Advance(absl::Seconds(10));
  // 2,000 ms of CPU in 10 s: 20 % of a core; 1,000 queries: 100 per second.
  client_.SetStatistics(Stats(110, 3000, 1500));
  HealthReport r = checker.Run(server_, client_);
  ASSERT_TRUE(Find(r, "cpu"));
  EXPECT_DOUBLE_EQ(*Find(r, "cpu")->value, 20);
  EXPECT_TRUE(Find(r, "cpu")->passed);
  EXPECT_DOUBLE_EQ(*Find(r, "query_rate")->value, 100);

  clock_->Advance(absl::Seconds(10));
  client_.SetStatistics(Stats(120, 12000, 1500));  // 9 s of CPU in 10 s
  r = checker.Run(server_, client_);
  EXPECT_DOUBLE_EQ(*Find(r, "cpu")->value, 90);
  EXPECT_FALSE(Find(r, "cpu")->passed);
  EXPECT_EQ(Find(r, "cpu")->threshold, 80);
}

TEST_F(HealthCheckerTest, ARestartedServerHasNoRatesUntilTheNextRound) {
  HealthChecker checker = Checker();
  checker.Run(server_, client_);
  clock_->Advance(absl::Seconds(10));
  client_.SetStatistics(Stats(5, 10, 3));  // uptime went back
  HealthReport r = checker.Run(server_, client_);
  EXPECT_FALSE(Find(r, "cpu"));
  EXPECT_FALSE(Find(r, "query_rate"));
}

TEST_F(HealthCheckerTest, AServerBehindTheTruthsSerialFailsTheProbe) {
  prober_.SetSoaSerial("192.0.2.1", 5300, "example.com.", 6);
  HealthChecker checker = Checker();
  HealthReport r = checker.Run(server_, client_);
  ASSERT_TRUE(Find(r, "dns_probe"));
  EXPECT_FALSE(Find(r, "dns_probe")->passed);
  EXPECT_THAT(Find(r, "dns_probe")->message, HasSubstr("serial 6, the truth's is 7"));
  EXPECT_EQ(Observe(r.checks), Observation::kDegraded);
}

TEST_F(HealthCheckerTest, WithNoZoneInSyncAnyDnsAnswerShowsTheServerServes) {
  store_.SetProbeTarget("ns1", std::nullopt);
  prober_.SetDefault(RcodeStatus(5, "rcode=REFUSED"));
  HealthChecker checker = Checker();
  HealthReport r = checker.Run(server_, client_);
  ASSERT_TRUE(Find(r, "dns_probe"));
  EXPECT_TRUE(Find(r, "dns_probe")->passed) << Find(r, "dns_probe")->message;

  prober_.SetDefault(absl::UnavailableError("timeout"));
  r = checker.Run(server_, client_);
  EXPECT_FALSE(Find(r, "dns_probe")->passed);
}

TEST_F(HealthCheckerTest, ADeadServerIsDown) {
  client_.FailAll(absl::UnavailableError("connection refused"));
  prober_.SetSoaSerial("192.0.2.1", 5300, "example.com.", 0);
  prober_.SetAnswer("192.0.2.1", 5300, "example.com.", "SOA",
                    absl::UnavailableError("no answer"));
  HealthChecker checker = Checker();
  HealthReport r = checker.Run(server_, client_);
  EXPECT_FALSE(Find(r, "api")->passed);
  EXPECT_FALSE(Find(r, "statistics")->passed);
  EXPECT_FALSE(Find(r, "zones")->passed);
  EXPECT_FALSE(Find(r, "dns_probe")->passed);
  EXPECT_EQ(Observe(r.checks), Observation::kDown);
}

TEST_F(HealthCheckerTest, AStalledApiEndsTheRoundAtItsTimeout) {
  client_.SetLatency(absl::Hours(1));
  HealthCheckOptions options;
  options.timeout = absl::Milliseconds(20);
  HealthChecker checker = Checker(options);
  HealthReport r = checker.Run(server_, client_);
  EXPECT_FALSE(Find(r, "api")->passed);
  EXPECT_THAT(Find(r, "api")->message, HasSubstr("no answer within"));
  EXPECT_FALSE(Find(r, "statistics")->passed);
  // DNS still answers: the server serves, its API does not.
  EXPECT_TRUE(Find(r, "dns_probe")->passed);
  EXPECT_EQ(Observe(r.checks), Observation::kDegraded);
  client_.Abort();
}

TEST_F(HealthCheckerTest, MemoryIsJudgedAgainstTheConfiguredLimit) {
  HealthCheckOptions options;
  options.memory_limit_bytes = 100 << 20;  // 90 % of it is below the 100 MiB used
  HealthChecker checker = Checker(options);
  HealthReport r = checker.Run(server_, client_);
  ASSERT_TRUE(Find(r, "memory"));
  EXPECT_FALSE(Find(r, "memory")->passed);
  EXPECT_DOUBLE_EQ(*Find(r, "memory")->threshold, (100 << 20) * 0.9);

  // Without a limit there is no memory alert.
  HealthChecker unlimited = Checker();
  r = unlimited.Run(server_, client_);
  EXPECT_TRUE(Find(r, "memory")->passed);
  EXPECT_FALSE(Find(r, "memory")->threshold);
}

TEST_F(HealthCheckerTest, ZonesOutOfSyncRaiseTheirAlert) {
  store_.SetOutOfSync(3);
  HealthChecker checker = Checker();
  HealthReport r = checker.Run(server_, client_);
  ASSERT_TRUE(Find(r, "zones_out_of_sync"));
  EXPECT_EQ(Find(r, "zones_out_of_sync")->value, 3);
  EXPECT_FALSE(Find(r, "zones_out_of_sync")->passed);
}

TEST_F(HealthCheckerTest, AnApiServersZoneListIsFetchedAtMostOncePerInterval) {
  HealthCheckOptions options;
  options.zone_check_every = absl::Seconds(60);
  HealthChecker checker = Checker(options);
  EXPECT_TRUE(Find(checker.Run(server_, client_), "zones"));
  clock_->Advance(absl::Seconds(10));
  HealthReport between = checker.Run(server_, client_);
  EXPECT_FALSE(Find(between, "zones"));
  EXPECT_FALSE(Find(between, "zones_out_of_sync"));
  clock_->Advance(absl::Seconds(50));
  EXPECT_TRUE(Find(checker.Run(server_, client_), "zones"));
  EXPECT_EQ(client_.CallsOf("ListZones").size(), 2u);

  // A failed list is asked for again at the next round.
  client_.FailNext("ListZones", absl::UnavailableError("refused"));
  clock_->Advance(absl::Seconds(60));
  EXPECT_FALSE(Find(checker.Run(server_, client_), "zones")->passed);
  clock_->Advance(absl::Seconds(10));
  EXPECT_TRUE(Find(checker.Run(server_, client_), "zones")->passed);
}

TEST_F(HealthCheckerTest, ASharedDbServerIsNotAskedForItsZoneList) {
  server_.mode = ServerMode::kSharedDb;
  HealthChecker checker = Checker();
  HealthReport r = checker.Run(server_, client_);
  EXPECT_FALSE(Find(r, "zones"));
  EXPECT_TRUE(client_.CallsOf("ListZones").empty());
  ASSERT_TRUE(Find(r, "zones_out_of_sync"));
}

}  // namespace
}  // namespace dns
