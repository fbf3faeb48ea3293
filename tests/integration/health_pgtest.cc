// grpc.health.v1 follows the database: NOT_SERVING while PostgreSQL is down,
// SERVING again once it is back; calls in between fail with UNAVAILABLE and
// nothing is half-written.
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/grpc_test_util.h"

namespace dns::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus Check(const std::string& service = "") {
  auto stub = grpc::health::v1::Health::NewStub(DnsdEnvironment::Get().channel());
  HealthCheckRequest req;
  req.set_service(service);
  HealthCheckResponse resp;
  auto status = stub->Check(Context().get(), req, &resp);
  if (!status.ok()) return HealthCheckResponse::UNKNOWN;
  return resp.status();
}

// Polls (the monitor runs every 200 ms here) up to 30 s; no timing asserted.
bool WaitFor(HealthCheckResponse::ServingStatus want) {
  for (int i = 0; i < 300; ++i) {
    if (Check() == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(HealthTest, FollowsTheDatabase) {
  DnsdEnvironment::Get().Start({"--health_interval=200ms", "--db_acquire_timeout=2s"});
  ASSERT_TRUE(WaitFor(HealthCheckResponse::SERVING));
  EXPECT_EQ(Check("dns.v1.ZoneService"), HealthCheckResponse::SERVING);

  auto zones = v1::ZoneService::NewStub(DnsdEnvironment::Get().channel());
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("health.test");
  v1::Zone zone;
  ASSERT_TRUE(zones->CreateZone(Context().get(), create, &zone).ok());

  ASSERT_TRUE(DnsdEnvironment::Get().pg().Stop().ok());
  EXPECT_TRUE(WaitFor(HealthCheckResponse::NOT_SERVING));
  v1::GetZoneRequest get;
  get.set_zone("health.test");
  auto status = zones->GetZone(Context().get(), get, &zone);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  create.mutable_zone()->set_name("while-down.test");
  EXPECT_EQ(zones->CreateZone(Context().get(), create, &zone).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  ASSERT_TRUE(DnsdEnvironment::Get().pg().Restart().ok());
  EXPECT_TRUE(WaitFor(HealthCheckResponse::SERVING));
  // Pooled connections broken by the restart are replaced, not reused.
  status = grpc::Status(grpc::StatusCode::UNKNOWN, "");
  for (int i = 0; i < 5 && !status.ok(); ++i) status = zones->GetZone(Context().get(), get, &zone);
  EXPECT_TRUE(status.ok()) << status.error_message();
  get.set_zone("while-down.test");
  EXPECT_EQ(zones->GetZone(Context().get(), get, &zone).error_code(),
            grpc::StatusCode::NOT_FOUND);
  DnsdEnvironment::Get().Stop();
}

}  // namespace
}  // namespace dns::testing
