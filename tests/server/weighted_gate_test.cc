#include "server/core/weighted_gate.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

TEST(WeightedGateTest, LightWorkPassesWithoutCounting) {
  WeightedGate gate(100, 10);
  auto heavy = gate.Acquire(100, absl::InfiniteFuture(), "things");
  ASSERT_TRUE(heavy.ok());
  auto light = gate.Acquire(9, absl::InfinitePast(), "things");
  EXPECT_TRUE(light.ok());
  EXPECT_EQ(gate.in_use(), 100);
}

TEST(WeightedGateTest, FullGateRefusesAtTheDeadlineAndReleasesOnDestruction) {
  WeightedGate gate(100, 10);
  {
    auto first = gate.Acquire(60, absl::InfinitePast(), "imports");
    ASSERT_TRUE(first.ok());
    auto second = gate.Acquire(50, absl::InfinitePast(), "imports");
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_NE(second.status().message().find("imports"), absl::string_view::npos);
    auto third = gate.Acquire(40, absl::InfinitePast(), "imports");
    EXPECT_TRUE(third.ok());
    EXPECT_EQ(gate.in_use(), 100);
  }
  EXPECT_EQ(gate.in_use(), 0);
}

TEST(WeightedGateTest, WorkHeavierThanTheGateRunsAlone) {
  WeightedGate gate(100, 10);
  auto huge = gate.Acquire(1000, absl::InfinitePast(), "things");
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(gate.in_use(), 100);
  EXPECT_FALSE(gate.Acquire(10, absl::InfinitePast(), "things").ok());
  WeightedGate::Ticket moved = *std::move(huge);
  moved = WeightedGate::Ticket();
  EXPECT_EQ(gate.in_use(), 0);
}

TEST(WeightedGateTest, NoCapacityMeansNoBound) {
  WeightedGate gate(0, 0);
  auto a = gate.Acquire(1 << 30, absl::InfinitePast(), "x");
  auto b = gate.Acquire(1 << 30, absl::InfinitePast(), "x");
  EXPECT_TRUE(a.ok() && b.ok());
}

}  // namespace
}  // namespace dns
