#include "server/health/status_machine.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr Observation kGood = Observation::kGood;
constexpr Observation kDegraded = Observation::kDegraded;
constexpr Observation kDown = Observation::kDown;

// Runs observations through the machine from `status`; returns the statuses
// after each.
std::vector<ServerStatus> RunMachine(ServerStatus status, std::vector<Observation> observations,
                              StatusPolicy policy = {}, bool maintenance = false) {
  HealthStreaks streaks;
  std::vector<ServerStatus> out;
  for (Observation o : observations) {
    StatusStep step = NextStatus(status, maintenance, streaks, o, policy);
    status = step.status;
    streaks = step.streaks;
    out.push_back(status);
  }
  return out;
}

constexpr ServerStatus H = ServerStatus::kHealthy;
constexpr ServerStatus D = ServerStatus::kDegraded;
constexpr ServerStatus U = ServerStatus::kUnavailable;
constexpr ServerStatus M = ServerStatus::kMaintenance;

TEST(StatusMachineTest, UnavailableOnlyAfterTheFailureThreshold) {
  EXPECT_THAT(RunMachine(H, {kDown, kDown, kDown, kDown}), ElementsAre(H, H, U, U));
  StatusPolicy one{1, 1};
  EXPECT_THAT(RunMachine(H, {kDown}, one), ElementsAre(U));
}

TEST(StatusMachineTest, HealthyAgainOnlyAfterTheRecoveryThreshold) {
  EXPECT_THAT(RunMachine(U, {kGood, kGood, kGood}), ElementsAre(U, H, H));
  StatusPolicy slow{3, 4};
  EXPECT_THAT(RunMachine(U, {kGood, kGood, kGood, kGood}, slow), ElementsAre(U, U, U, H));
}

TEST(StatusMachineTest, AFlappingServerDoesNotFlapItsStatus) {
  EXPECT_THAT(RunMachine(H, {kDown, kGood, kDown, kGood, kDown, kDown, kGood}),
              ElementsAre(H, H, H, H, H, H, H));
  EXPECT_THAT(RunMachine(U, {kGood, kDown, kGood, kDown, kGood, kDown}),
              ElementsAre(U, U, U, U, U, U));
}

TEST(StatusMachineTest, FailedChecksDegradeAfterTheThreshold) {
  EXPECT_THAT(RunMachine(H, {kDegraded, kDegraded, kDegraded, kGood, kGood}),
              ElementsAre(H, H, D, D, H));
  // Down rounds count as bad ones too: two down and one degraded degrade.
  EXPECT_THAT(RunMachine(H, {kDown, kDown, kDegraded}), ElementsAre(H, H, D));
}

TEST(StatusMachineTest, AnUnavailableServerThatAnswersAgainButFailsChecksIsDegraded) {
  EXPECT_THAT(RunMachine(U, {kDegraded, kDegraded, kGood, kGood}), ElementsAre(U, D, D, H));
  EXPECT_THAT(RunMachine(D, {kDown, kDown, kDown}), ElementsAre(D, D, U));
}

TEST(StatusMachineTest, MaintenanceIsKeptWhateverTheChecksSay) {
  EXPECT_THAT(RunMachine(M, {kDown, kDown, kDown, kGood}, {}, /*maintenance=*/true),
              ElementsAre(M, M, M, M));
}

TEST(StatusMachineTest, ANeverCheckedServerTakesTheFirstRoundsWord) {
  EXPECT_THAT(RunMachine(ServerStatus::kUnspecified, {kDown}), ElementsAre(U));
  EXPECT_THAT(RunMachine(ServerStatus::kUnspecified, {kGood}), ElementsAre(H));
  EXPECT_THAT(RunMachine(ServerStatus::kUnspecified, {kDegraded}), ElementsAre(D));
}

CheckResult Check(const std::string& name, bool passed, std::optional<double> value = {},
                  std::optional<double> threshold = {}) {
  CheckResult c;
  c.name = name;
  c.passed = passed;
  c.value = value;
  c.threshold = threshold;
  c.message = passed ? "ok" : "failed";
  return c;
}

TEST(ObserveTest, NoDnsAnswerIsDownAndAFailedApiWithDnsUpIsDegraded) {
  EXPECT_EQ(Observe({Check("dns_probe", false), Check("api", true)}), kDown);
  EXPECT_EQ(Observe({Check("dns_probe", true), Check("api", false)}), kDegraded);
  EXPECT_EQ(Observe({Check("dns_probe", true), Check("api", true)}), kGood);
  // Without a DNS address the API is all there is.
  EXPECT_EQ(Observe({Check("api", false)}), kDown);
  // A slow API answers: degraded, not down.
  EXPECT_EQ(Observe({Check("api", false, 6000, 5000)}), kDegraded);
}

HealthReport Report(std::vector<CheckResult> checks) {
  HealthReport r;
  r.server = "ns1";
  r.time = absl::FromUnixSeconds(1000);
  r.checks = std::move(checks);
  return r;
}

TEST(AssessTest, AStatusChangeIsOneEventWithFromToAndReason) {
  HealthState state;
  state.status = H;
  StatusPolicy one{1, 1};
  HealthTransition t = Assess(state, Report({Check("dns_probe", false), Check("api", true)}), one);
  EXPECT_EQ(t.state.status, U);
  ASSERT_EQ(t.events.size(), 2u);  // the status change and the check that failed
  EXPECT_EQ(t.events[0].type, HealthEventType::kStatusChanged);
  EXPECT_EQ(t.events[0].from_status, H);
  EXPECT_EQ(t.events[0].to_status, U);
  EXPECT_EQ(t.events[0].reason, "dns_probe: failed");
  EXPECT_EQ(t.events[1].type, HealthEventType::kCheckFailed);
  EXPECT_EQ(t.events[1].alert, "dns_probe");

  // The same failure again: no event at all.
  HealthTransition again =
      Assess(t.state, Report({Check("dns_probe", false), Check("api", true)}), one);
  EXPECT_THAT(again.events, IsEmpty());
  EXPECT_EQ(again.state.reason, "dns_probe: failed");
}

TEST(AssessTest, AnAlertIsRaisedOnceAndClearedOnce) {
  HealthState state;
  state.status = H;
  auto cpu = [](double v) { return Report({Check("dns_probe", true), Check("cpu", v <= 80, v, 80)}); };
  HealthTransition raised = Assess(state, cpu(95), {});
  ASSERT_EQ(raised.events.size(), 1u);
  EXPECT_EQ(raised.events[0].type, HealthEventType::kAlertRaised);
  EXPECT_EQ(raised.events[0].alert, "cpu");
  EXPECT_DOUBLE_EQ(raised.events[0].value, 95);
  EXPECT_DOUBLE_EQ(raised.events[0].threshold, 80);
  EXPECT_THAT(raised.state.active_alerts, ElementsAre("cpu"));

  HealthTransition still = Assess(raised.state, cpu(97), {});
  EXPECT_THAT(still.events, IsEmpty());

  HealthTransition cleared = Assess(still.state, cpu(20), {});
  ASSERT_EQ(cleared.events.size(), 1u);
  EXPECT_EQ(cleared.events[0].type, HealthEventType::kAlertCleared);
  EXPECT_THAT(cleared.state.active_alerts, IsEmpty());
}

TEST(AssessTest, AnAlertWhoseFigureWasNotReadStaysUp) {
  HealthState state;
  state.status = H;
  state.active_alerts = {"memory"};
  HealthTransition t = Assess(state, Report({Check("dns_probe", true), Check("statistics", false)}), {});
  EXPECT_THAT(t.state.active_alerts, ElementsAre("memory"));
  for (const auto& e : t.events) EXPECT_NE(e.type, HealthEventType::kAlertCleared);
}

TEST(AssessTest, ACheckThatDidNotRunKeepsItsFailingStateAndRaisesNothingNew) {
  HealthState state;
  state.status = H;
  HealthTransition failed = Assess(state, Report({Check("dns_probe", true), Check("zones", false)}), {});
  ASSERT_EQ(failed.events.size(), 1u);
  EXPECT_EQ(failed.events[0].type, HealthEventType::kCheckFailed);
  // The zone list is not fetched this round, then fails again.
  HealthTransition skipped = Assess(failed.state, Report({Check("dns_probe", true)}), {});
  EXPECT_THAT(skipped.state.failing_checks, ElementsAre("zones"));
  HealthTransition again =
      Assess(skipped.state, Report({Check("dns_probe", true), Check("zones", false)}), {});
  EXPECT_THAT(again.events, IsEmpty());
}

TEST(AssessTest, APropagationFailureCountsAsADegradedRound) {
  HealthState state;
  state.status = H;
  StatusPolicy two{2, 2};
  HealthTransition first = AssessFailure(state, "ns1", "propagation: refused", absl::Now(), two);
  EXPECT_EQ(first.state.status, H);
  HealthTransition second =
      AssessFailure(first.state, "ns1", "propagation: refused", absl::Now(), two);
  EXPECT_EQ(second.state.status, D);
  EXPECT_EQ(second.state.reason, "propagation: refused");
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(second.events[0].to_status, D);
}

TEST(AssessTest, TheReasonIsClearedWhenHealthy) {
  HealthState state;
  state.status = D;
  state.reason = "api: failed";
  StatusPolicy one{1, 1};
  HealthTransition t = Assess(state, Report({Check("dns_probe", true), Check("api", true)}), one);
  EXPECT_EQ(t.state.status, H);
  EXPECT_EQ(t.state.reason, "");
}

}  // namespace
}  // namespace dns
