// The run-time core with a real dnsd and fleet: graceful shutdown with a
// PowerDNS server that never answers, bounded storage (request ids expire,
// the journal is pruned past its horizon), the metrics port, JSON logs.
#include <signal.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "tests/integration/fleet.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;

v1::ChangeRRsetsRequest ReplaceA(const std::string& zone, const std::string& name,
                                 const std::string& ip, int wait_s,
                                 const std::string& request_id = "") {
  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  req.set_request_id(request_id);
  auto* c = req.add_changes();
  c->set_changetype(v1::CHANGE_TYPE_REPLACE);
  c->mutable_rrset()->set_name(name);
  c->mutable_rrset()->set_type("A");
  c->mutable_rrset()->set_ttl(60);
  c->mutable_rrset()->add_records()->set_content(ip);
  if (wait_s > 0) *req.mutable_propagation_timeout() = Seconds(wait_s);
  return req;
}

void CreateZone(Fleet& fleet, const std::string& name) {
  auto zones = v1::ZoneService::NewStub(fleet.channel(0));
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(name);
  v1::Zone zone;
  auto status = zones->CreateZone(Context().get(), req, &zone);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

std::string ApiPid(Fleet& fleet) {
  return absl::StrCat("$(pgrep -f -- 'config-di[r]=", fleet.api().config_dir(), "')");
}

// SIGTERM while the API server is frozen (it accepts connections and never
// answers) and a write waits for it: the write is answered with where
// propagation stands (it committed: not UNAVAILABLE), the hung PowerDNS
// calls are abandoned, leased work is given back, and dnsd exits on its own
// well inside the Helm chart's 30 s grace period.
TEST(RuntimeTest, SigtermWithAServerThatNeverAnswers) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  ASSERT_GE(fleet.StartReplica({"--pdns_timeout=30s", "--shutdown_grace=15s"}), 0);
  ASSERT_NO_FATAL_FAILURE(fleet.Register());
  ASSERT_NO_FATAL_FAILURE(CreateZone(fleet, "term.test"));
  ASSERT_TRUE(RunCommand(absl::StrCat("kill -STOP ", ApiPid(fleet))).ok());

  grpc::Status status;
  v1::ChangeRRsetsResponse resp;
  std::thread waiting([&] {
    auto records = v1::RecordService::NewStub(fleet.channel(0));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    status = records->ChangeRRsets(&ctx, ReplaceA("term.test", "www", "192.0.2.3", 50), &resp);
  });
  // Until the push to the frozen server is in flight.
  bool leased = false;
  for (int i = 0; i < 100 && !leased; ++i) {
    auto owner = fleet.pg().Psql(
        "dns", "SELECT count(*) FROM dnsv1.zone_servers WHERE server = 'api-1' AND lease_owner IS NOT NULL");
    leased = owner.ok() && absl::StripAsciiWhitespace(*owner) == "1";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(leased);

  const absl::Time start = absl::Now();
  ASSERT_TRUE(fleet.replica(0).Stop().ok());  // SIGTERM; SIGKILL only after 10 s
  const absl::Duration took = absl::Now() - start;
  waiting.join();
  ASSERT_TRUE(RunCommand(absl::StrCat("kill -CONT ", ApiPid(fleet))).ok());

  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  bool api_pending = false;
  for (const auto& p : resp.propagation()) {
    if (p.server() == "api-1") api_pending = p.state() != v1::PROPAGATION_STATE_IN_SYNC;
  }
  EXPECT_TRUE(api_pending) << resp.DebugString();
  EXPECT_LT(took, absl::Seconds(10)) << "dnsd needed the SIGKILL";
  const std::string log = fleet.replica(0).ReadLog();
  EXPECT_THAT(log, HasSubstr("propagation stopped, leases given back"));
  EXPECT_THAT(log, HasSubstr("stopped"));
  auto owners = fleet.pg().Psql(
      "dns", "SELECT count(*) FROM dnsv1.zone_servers WHERE lease_owner IS NOT NULL");
  ASSERT_TRUE(owners.ok());
  EXPECT_EQ(absl::StripAsciiWhitespace(*owners), "0");
  std::printf("dnsd stopped %s after SIGTERM\n", absl::FormatDuration(took).c_str());
}

// A request id is remembered for --request_retention: a retry inside it is
// answered from the first call, one after it is a new request.
TEST(RuntimeTest, RequestIdsExpire) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  ASSERT_GE(fleet.StartReplica({"--request_retention=2s", "--housekeeping_interval=1s"}), 0);
  ASSERT_NO_FATAL_FAILURE(CreateZone(fleet, "expire.test"));
  auto records = v1::RecordService::NewStub(fleet.channel(0));
  v1::ChangeRRsetsResponse first, again, later;
  ASSERT_TRUE(records->ChangeRRsets(Context().get(),
                                    ReplaceA("expire.test", "www", "192.0.2.1", 0, "rid-expire"),
                                    &first).ok());
  ASSERT_TRUE(records->ChangeRRsets(Context().get(),
                                    ReplaceA("expire.test", "www", "192.0.2.1", 0, "rid-expire"),
                                    &again).ok());
  EXPECT_EQ(again.serial(), first.serial());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    auto n = fleet.pg().Psql("dns", "SELECT count(*) FROM dnsv1.requests");
    gone = n.ok() && absl::StripAsciiWhitespace(*n) == "0";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(gone);
  ASSERT_TRUE(records->ChangeRRsets(Context().get(),
                                    ReplaceA("expire.test", "www", "192.0.2.1", 0, "rid-expire"),
                                    &later).ok());
  EXPECT_GT(later.serial(), first.serial());
}

// A server away longer than --journal_horizon no longer pins the journal:
// the entries go, and when it is back it gets the whole zone and ends equal.
TEST(RuntimeTest, TheJournalIsPrunedPastItsHorizonAndALateServerGetsAFullSync) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  ASSERT_GE(fleet.StartReplica({"--journal_horizon=2s", "--housekeeping_interval=1s"}), 0);
  ASSERT_NO_FATAL_FAILURE(fleet.Register());
  ASSERT_NO_FATAL_FAILURE(CreateZone(fleet, "horizon.test"));
  auto servers = v1::ServerService::NewStub(fleet.channel(0));
  auto maintenance = [&](bool on) {
    v1::UpdateServerRequest req;
    req.mutable_server()->set_name("api-1");
    req.mutable_server()->set_maintenance(on);
    req.mutable_update_mask()->add_paths("maintenance");
    v1::Server resp;
    auto status = servers->UpdateServer(Context().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
  };
  ASSERT_NO_FATAL_FAILURE(maintenance(true));
  auto records = v1::RecordService::NewStub(fleet.channel(0));
  for (int i = 0; i < 5; ++i) {
    v1::ChangeRRsetsResponse resp;
    ASSERT_TRUE(records->ChangeRRsets(
        Context().get(), ReplaceA("horizon.test", absl::StrCat("h", i), "192.0.2.4", 0), &resp).ok());
  }
  bool pruned = false;
  for (int i = 0; i < 100 && !pruned; ++i) {
    auto n = fleet.pg().Psql(
        "dns", "SELECT count(*) FROM dnsv1.zone_changes WHERE zone = 'horizon.test.'");
    pruned = n.ok() && absl::StripAsciiWhitespace(*n) == "0";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(pruned) << "the journal still holds entries past the horizon";
  ASSERT_NO_FATAL_FAILURE(maintenance(false));
  auto zones = v1::ZoneService::NewStub(fleet.channel(0));
  v1::Zone full;
  bool equal = false;
  for (int i = 0; i < 150 && !equal; ++i) {
    v1::GetZoneRequest req;
    req.set_zone("horizon.test");
    req.set_view(v1::ZONE_VIEW_FULL);
    ASSERT_TRUE(zones->GetZone(Context().get(), req, &full).ok());
    equal = fleet.ApiServerZone("horizon.test.") == Fleet::Canon(full);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(equal);
  EXPECT_THAT(fleet.replica(0).ReadLog(), HasSubstr("zone=horizon.test. server=api-1"));
  EXPECT_THAT(fleet.replica(0).ReadLog(), HasSubstr("full_sync=true"));
}

// /metrics in the Prometheus text format (checked with promtool), /healthz,
// /readyz, and every log line valid JSON under --log_format=json.
TEST(RuntimeTest, MetricsHealthAndJsonLogs) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  ASSERT_GE(fleet.StartReplica({"--log_format=json"}), 0);
  ASSERT_NO_FATAL_FAILURE(fleet.Register());
  ASSERT_NO_FATAL_FAILURE(CreateZone(fleet, "metrics.test"));
  auto records = v1::RecordService::NewStub(fleet.channel(0));
  v1::ChangeRRsetsResponse resp;
  ASSERT_TRUE(records->ChangeRRsets(Context().get(), ReplaceA("metrics.test", "www", "192.0.2.8", 10),
                                    &resp).ok());
  // An error too.
  (void)records->ChangeRRsets(Context().get(), ReplaceA("missing.test", "www", "192.0.2.8", 0), &resp);

  EXPECT_EQ(fleet.Http(0, "/healthz"), "ok\n");
  EXPECT_EQ(fleet.Http(0, "/readyz"), "ready\n");
  const std::string metrics = fleet.Http(0, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("grpc_server_started_total{grpc_method=\"ChangeRRsets\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_code=\"NotFound\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_server_handling_seconds_bucket"));
  EXPECT_THAT(metrics, HasSubstr("dnsd_pdns_requests_total{"));
  EXPECT_THAT(metrics, HasSubstr("dnsd_pdns_circuit_state{server=\"api-1\"} 0"));
  EXPECT_THAT(metrics, HasSubstr("dnsd_propagation_pending{server=\"api-1\"}"));
  EXPECT_THAT(metrics, HasSubstr("dnsd_db_pool_connections_in_use{pool=\"main\"}"));
  EXPECT_THAT(metrics, HasSubstr("dnsd_leader"));
  const std::string file = MakeTempDir("metrics") + "/metrics.txt";
  std::ofstream(file) << metrics;
  auto checked = RunCommand(absl::StrCat("promtool check metrics < ", file, " 2>&1"));
  EXPECT_TRUE(checked.ok()) << checked.status();

  int lines = 0;
  for (absl::string_view line : absl::StrSplit(fleet.replica(0).ReadLog(), '\n', absl::SkipEmpty())) {
    ++lines;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object() && j.contains("msg") && j.contains("level") && j.contains("time"))
        << line;
  }
  EXPECT_GT(lines, 10);
  EXPECT_THAT(fleet.replica(0).ReadLog(), HasSubstr(R"("msg":"rpc")"));
  EXPECT_THAT(fleet.replica(0).ReadLog(), HasSubstr(R"("msg":"pdns_call")"));
  EXPECT_THAT(fleet.replica(0).ReadLog(), HasSubstr(R"("msg":"schema up to date")"));
}

}  // namespace
}  // namespace dns::testing
