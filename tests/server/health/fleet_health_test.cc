#include "server/health/fleet_health.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_dns_prober.h"
#include "tests/testing/fake_health_store.h"
#include "tests/testing/fake_pdns_client.h"
#include "tests/testing/fake_stores.h"

namespace dns {
namespace {

using ::testing::Contains;
using ::testing::Field;

class FleetHealthTest : public ::testing::Test {
 protected:
  FleetHealthTest() {
    for (const char* name : {"ns1", "ns2"}) {
      Server s;
      s.name = name;
      s.api_url = absl::StrCat("http://", name, ":8081");
      s.api_key = "key";
      s.mode = ServerMode::kSharedDb;
      s.dns_address = absl::StrCat("192.0.2.", name[2] - '0', ":53");
      s.status = ServerStatus::kHealthy;
      servers_.Put(s);
      HealthState state;
      state.status = ServerStatus::kHealthy;
      store_.AddServer(name, state);
      auto client = std::make_shared<pdns::FakePdnsClient>(name);
      client->SetVersion("4.7.4");
      client->SetStatistics({{"uptime", "10"}});
      fakes_[name] = client;
      prober_.SetSoaSerial(absl::StrCat("192.0.2.", name[2] - '0'), 53,
                           "health-probe.dns-v1.invalid.", 1);
    }
    pdns::PdnsClientPool::Options pool;
    pool.executor.threads = 2;
    pool.factory = [this](const pdns::ServerConfig& config, const pdns::ClientOptions&,
                          Executor&) -> absl::StatusOr<std::shared_ptr<pdns::PdnsClient>> {
      return std::shared_ptr<pdns::PdnsClient>(fakes_.at(config.name));
    };
    clients_ = std::make_unique<pdns::PdnsClientPool>(pool);
    checker_ = std::make_unique<HealthChecker>(store_, prober_, nullptr, HealthCheckOptions{},
                                               clock_);
    FleetHealthOptions options;
    options.interval = absl::Seconds(10);
    options.concurrency = 2;
    fleet_ = std::make_unique<FleetHealth>(servers_, store_, *checker_, *clients_, nullptr,
                                           options, clock_);
  }

  // One tick of the leader and the rounds it started.
  void TickAndWait() {
    ASSERT_TRUE(fleet_->Tick().ok());
    fleet_->WaitIdle();
  }

  void Kill(const std::string& name) {
    fakes_[name]->FailAll(absl::UnavailableError("connection refused"));
    prober_.SetAnswer(absl::StrCat("192.0.2.", name[2] - '0'), 53,
                      "health-probe.dns-v1.invalid.", "SOA", absl::UnavailableError("timeout"));
  }

  void Revive(const std::string& name) {
    fakes_[name]->FailAll(absl::OkStatus());
    prober_.SetSoaSerial(absl::StrCat("192.0.2.", name[2] - '0'), 53,
                         "health-probe.dns-v1.invalid.", 1);
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeServerStore servers_;
  FakeHealthStore store_;
  FakeDnsProber prober_;
  std::map<std::string, std::shared_ptr<pdns::FakePdnsClient>> fakes_;
  std::unique_ptr<pdns::PdnsClientPool> clients_;
  std::unique_ptr<HealthChecker> checker_;
  std::unique_ptr<FleetHealth> fleet_;
};

TEST_F(FleetHealthTest, EachServerIsCheckedOncePerInterval) {
  TickAndWait();
  EXPECT_EQ(store_.Samples().size(), 2u);
  TickAndWait();  // nothing due yet
  EXPECT_EQ(store_.Samples().size(), 2u);
  clock_->Advance(absl::Seconds(5));
  TickAndWait();
  EXPECT_EQ(store_.Samples().size(), 2u);
  clock_->Advance(absl::Seconds(7));  // past the interval and its jitter
  TickAndWait();
  EXPECT_EQ(store_.Samples().size(), 4u);
}

TEST_F(FleetHealthTest, AKilledServerIsUnavailableAfterTheThresholdAndHealthyAfterRecovery) {
  Kill("ns1");
  for (int round = 1; round <= 3; ++round) {
    TickAndWait();
    EXPECT_EQ(store_.State("ns1").status,
              round < 3 ? ServerStatus::kHealthy : ServerStatus::kUnavailable)
        << "round " << round;
    EXPECT_EQ(store_.State("ns2").status, ServerStatus::kHealthy);
    clock_->Advance(absl::Seconds(12));
  }
  EXPECT_THAT(store_.Events(),
              Contains(AllOf(Field(&HealthEvent::type, HealthEventType::kStatusChanged),
                             Field(&HealthEvent::server, "ns1"),
                             Field(&HealthEvent::to_status, ServerStatus::kUnavailable))));
  Revive("ns1");
  TickAndWait();
  EXPECT_EQ(store_.State("ns1").status, ServerStatus::kUnavailable);
  clock_->Advance(absl::Seconds(12));
  TickAndWait();
  EXPECT_EQ(store_.State("ns1").status, ServerStatus::kHealthy);
}

TEST_F(FleetHealthTest, CheckNowIsOneRoundCountedOnce) {
  absl::StatusOr<HealthReport> report = fleet_->CheckNow("ns1");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->status, ServerStatus::kHealthy);
  EXPECT_FALSE(report->checks.empty());
  EXPECT_EQ(store_.State("ns1").streaks.good, 1);
  EXPECT_EQ(store_.Samples().size(), 1u);
}

TEST_F(FleetHealthTest, CheckNowRefusesBadAndUnknownNames) {
  EXPECT_EQ(fleet_->CheckNow("Not A Name!").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fleet_->CheckNow("ns9").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FleetHealthTest, PropagationFailuresCountAtMostOncePerInterval) {
  for (int i = 0; i < 5; ++i) fleet_->ReportFailure("ns1", absl::UnavailableError("refused"));
  fleet_->WaitIdle();
  fleet_->Stop();  // the reports run on the monitor's threads: let them finish
  EXPECT_EQ(store_.State("ns1").streaks.bad, 1);
  EXPECT_EQ(store_.State("ns1").streaks.good, 0);
}

TEST_F(FleetHealthTest, MetricsQueriesAreValidated) {
  MetricsRequest backwards;
  backwards.server = "ns1";
  backwards.start = clock_->Now();
  backwards.end = clock_->Now() - absl::Hours(1);
  EXPECT_EQ(fleet_->QueryMetrics(backwards).status().code(),
            absl::StatusCode::kInvalidArgument);

  MetricsRequest tiny_step;
  tiny_step.server = "ns1";
  tiny_step.start = clock_->Now() - absl::Hours(24 * 30);
  tiny_step.end = clock_->Now();
  tiny_step.step = absl::Seconds(1);
  absl::Status too_many = fleet_->QueryMetrics(tiny_step).status();
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_many.message()), ::testing::HasSubstr("step"));

  MetricsRequest unknown;
  unknown.server = "ns1";
  unknown.metrics = {"cpu", "bogus"};
  EXPECT_EQ(fleet_->QueryMetrics(unknown).status().code(), absl::StatusCode::kInvalidArgument);

  MetricsRequest missing;
  missing.server = "ns9";
  EXPECT_EQ(fleet_->QueryMetrics(missing).status().code(), absl::StatusCode::kNotFound);

  // Defaults: the last hour in 360 buckets of 10 s.
  MetricsRequest defaults;
  defaults.server = "ns1";
  absl::StatusOr<MetricsAnswer> answer = fleet_->QueryMetrics(defaults);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->step, absl::Seconds(10));
}

}  // namespace
}  // namespace dns
