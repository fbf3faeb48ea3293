// Propagation to a real fleet: two SHARED_DB pdns_servers (gpgsql on the
// test database) and one API pdns_server (gsqlite3 on its own file), all
// started here, driven by a real dnsd through the gRPC API.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/pdns_server.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kKey[] = "fleet-key-7f3a9";

class PropagationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StartFleet({"--propagation_lease=3s", "--pdns_timeout=1s", "--pdns_breaker_failures=3",
                "--pdns_breaker_open=60s"});
  }

  // dnsd with `flags`, two SHARED_DB servers and one API server, registered.
  static void StartFleet(std::vector<std::string> flags) {
    flags.push_back("--log_level=debug");
    flags.push_back("--secret_key=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
    DnsdEnvironment::Get().Start(flags);
    for (int i = 0; i < 2; ++i) {
      PdnsServer::Options options;
      options.backend = PdnsServer::Options::Backend::kGpgsql;
      options.pg_port = DnsdEnvironment::Get().pg().port();
      options.pg_dbname = "dns";
      options.api_key = kKey;
      auto pdns = PdnsServer::Start(options);
      ASSERT_TRUE(pdns.ok()) << pdns.status();
      shared_.push_back(pdns->release());
    }
    PdnsServer::Options options;
    options.backend = PdnsServer::Options::Backend::kGsqlite3;
    options.sqlite_path = MakeTempDir("pdns-api-sqlite") + "/pdns.sqlite3";
    options.api_key = kKey;
    auto pdns = PdnsServer::Start(options);
    ASSERT_TRUE(pdns.ok()) << pdns.status();
    api_ = pdns->release();

    auto servers = v1::ServerService::NewStub(DnsdEnvironment::Get().channel());
    auto reg = [&](const std::string& name, PdnsServer* pdns, v1::ServerMode mode) {
      v1::RegisterServerRequest req;
      req.mutable_server()->set_name(name);
      req.mutable_server()->set_api_url(pdns->api_url());
      req.mutable_server()->set_api_key(kKey);
      req.mutable_server()->set_dns_address(pdns->dns_address());
      req.mutable_server()->set_mode(mode);
      v1::Server resp;
      auto status = servers->RegisterServer(Context().get(), req, &resp);
      ASSERT_TRUE(status.ok()) << status.error_message();
    };
    reg("shared-a", shared_[0], v1::SERVER_MODE_SHARED_DB);
    reg("shared-b", shared_[1], v1::SERVER_MODE_SHARED_DB);
    reg("api-1", api_, v1::SERVER_MODE_API);
  }

  static void TearDownTestSuite() {
    for (auto* s : shared_) delete s;
    shared_.clear();
    delete api_;
    api_ = nullptr;
    DnsdEnvironment::Get().Stop();
  }

  void SetUp() override {
    ASSERT_NE(api_, nullptr);
    zones_ = v1::ZoneService::NewStub(DnsdEnvironment::Get().channel());
    records_ = v1::RecordService::NewStub(DnsdEnvironment::Get().channel());
    servers_ = v1::ServerService::NewStub(DnsdEnvironment::Get().channel());
  }

  static google::protobuf::Duration Seconds(int s) {
    google::protobuf::Duration d;
    d.set_seconds(s);
    return d;
  }

  v1::Zone CreateZone(const std::string& name, int wait_s = 10) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(name);
    *req.mutable_propagation_timeout() = Seconds(wait_s);
    v1::Zone zone;
    auto status = zones_->CreateZone(Context().get(), req, &zone);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return zone;
  }

  v1::ChangeRRsetsResponse Replace(const std::string& zone, const std::string& name,
                                   const std::string& type, std::vector<std::string> contents,
                                   int wait_s = 10) {
    v1::ChangeRRsetsRequest req;
    req.set_zone(zone);
    auto* c = req.add_changes();
    c->set_changetype(contents.empty() ? v1::CHANGE_TYPE_DELETE : v1::CHANGE_TYPE_REPLACE);
    c->mutable_rrset()->set_name(name);
    c->mutable_rrset()->set_type(type);
    c->mutable_rrset()->set_ttl(120);
    for (auto& content : contents) c->mutable_rrset()->add_records()->set_content(content);
    *req.mutable_propagation_timeout() = Seconds(wait_s);
    v1::ChangeRRsetsResponse resp;
    auto status = records_->ChangeRRsets(Context().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }

  v1::Zone GetZone(const std::string& name, bool full = false) {
    v1::GetZoneRequest req;
    req.set_zone(name);
    if (full) req.set_view(v1::ZONE_VIEW_FULL);
    v1::Zone zone;
    auto status = zones_->GetZone(Context().get(), req, &zone);
    // A call written onto the connection of a dnsd the test just killed
    // fails with "broken pipe"; a client retries that.
    for (int i = 0; i < 5 && status.error_code() == grpc::StatusCode::UNAVAILABLE; ++i) {
      status = zones_->GetZone(Context().get(), req, &zone);
    }
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    return zone;
  }

  // The truth's RRsets as "name type ttl content|content" lines.
  static std::set<std::string> Canon(const v1::Zone& zone) {
    std::set<std::string> out;
    for (const auto& r : zone.rrsets()) {
      std::vector<std::string> contents;
      for (const auto& rec : r.records()) contents.push_back(rec.content());
      std::sort(contents.begin(), contents.end());
      out.insert(absl::StrCat(r.name(), " ", r.type(), " ", r.ttl(), " ",
                              absl::StrJoin(contents, "|")));
    }
    return out;
  }

  // The API server's RRsets in the same form (empty set + false if absent).
  static std::pair<bool, std::set<std::string>> ApiServerZone(const std::string& zone) {
    std::string body;
    auto code = api_->ApiRequest("GET", "/api/v1/servers/localhost/zones/" + zone, &body);
    if (!code.ok() || *code != 200) return {false, {}};
    std::set<std::string> out;
    const json zone_json = json::parse(body);
    for (const auto& r : zone_json["rrsets"]) {
      std::vector<std::string> contents;
      for (const auto& rec : r["records"]) contents.push_back(rec["content"].get<std::string>());
      std::sort(contents.begin(), contents.end());
      out.insert(absl::StrCat(r["name"].get<std::string>(), " ", r["type"].get<std::string>(),
                              " ", r["ttl"].get<int>(), " ", absl::StrJoin(contents, "|")));
    }
    return {true, out};
  }

  // Polls (no timing asserted) until every server is IN_SYNC at the zone's
  // serial.
  bool WaitAllInSync(const std::string& zone, int seconds = 60) {
    for (int i = 0; i < seconds * 10; ++i) {
      v1::Zone z = GetZone(zone);
      bool ok = z.propagation_size() == 3;
      for (const auto& p : z.propagation()) {
        ok = ok && p.state() == v1::PROPAGATION_STATE_IN_SYNC && p.applied_serial() == z.serial();
      }
      if (ok) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  static std::vector<PdnsServer*> shared_;
  static PdnsServer* api_;
  std::unique_ptr<v1::ZoneService::Stub> zones_;
  std::unique_ptr<v1::RecordService::Stub> records_;
  std::unique_ptr<v1::ServerService::Stub> servers_;
};

std::vector<PdnsServer*> PropagationTest::shared_;
PdnsServer* PropagationTest::api_ = nullptr;

// Leases as long as in production: nothing here may wait one out.
class DatabaseOutageTest : public PropagationTest {
 protected:
  static void SetUpTestSuite() { StartFleet({"--propagation_lease=120s", "--pdns_timeout=10s"}); }
};

TEST_F(DatabaseOutageTest, PushFinishedWhileTheDatabaseIsDownIsRecordedWhenItReturns) {
  const std::string zone = "outage.test.";
  CreateZone(zone);
  ASSERT_TRUE(WaitAllInSync(zone));
  // Hold the API server so that its push is in flight when the database goes.
  const std::string pid_of = absl::StrCat("pgrep -f -- 'config-di[r]=", api_->config_dir(), "'");
  ASSERT_TRUE(RunCommand(absl::StrCat("kill -STOP $(", pid_of, ")")).ok());
  Replace(zone, "o", "A", {"192.0.2.90"}, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  PostgresServer& pg = DnsdEnvironment::Get().pg();
  ASSERT_TRUE(pg.Stop().ok());
  // The push completes now; recording it has to wait for the database.
  ASSERT_TRUE(RunCommand(absl::StrCat("kill -CONT $(", pid_of, ")")).ok());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(pg.Restart().ok());
  // Well inside the 120 s lease the row would otherwise sit under.
  ASSERT_TRUE(WaitAllInSync(zone, 30));
  EXPECT_EQ(ApiServerZone(zone).second, Canon(GetZone(zone, true)));
}

TEST_F(PropagationTest, EveryServerGetsEveryChange) {
  const std::string zone = "fleet.test.";
  v1::Zone created = CreateZone(zone);
  ASSERT_EQ(created.propagation_size(), 3);
  for (const auto& p : created.propagation()) {
    EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC) << p.server() << " " << p.last_error();
  }
  v1::ChangeRRsetsResponse resp = Replace(zone, "www", "A", {"192.0.2.1", "192.0.2.2"});
  ASSERT_EQ(resp.propagation_size(), 3);
  for (const auto& p : resp.propagation()) {
    EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC) << p.server() << " " << p.last_error();
    EXPECT_EQ(p.applied_serial(), resp.serial());
  }
  Replace(zone, "@", "MX", {"10 mail.fleet.test."});
  Replace(zone, "txt", "TXT", {"\"hello\""});
  resp = Replace(zone, "www", "A", {"192.0.2.3"});

  for (PdnsServer* s : {shared_[0], shared_[1], api_}) {
    auto a = s->Dig("www.fleet.test", "A");
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, "192.0.2.3") << s->api_url();
    auto soa = s->Dig(zone, "SOA");
    ASSERT_TRUE(soa.ok());
    EXPECT_THAT(*soa, HasSubstr(absl::StrCat(" ", resp.serial(), " ")));  // the truth's serial
    auto mx = s->Dig(zone, "MX");
    EXPECT_EQ(*mx, "10 mail.fleet.test.");
  }
  auto [exists, theirs] = ApiServerZone(zone);
  ASSERT_TRUE(exists);
  EXPECT_EQ(theirs, Canon(GetZone(zone, true)));

  // DeleteRRset and DeleteZone reach every server too.
  Replace(zone, "txt", "TXT", {});
  EXPECT_EQ(*api_->Dig("txt.fleet.test", "TXT"), "");
  v1::DeleteZoneRequest del;
  del.set_zone(zone);
  *del.mutable_propagation_timeout() = Seconds(10);
  google::protobuf::Empty empty;
  ASSERT_TRUE(zones_->DeleteZone(Context().get(), del, &empty).ok());
  EXPECT_FALSE(ApiServerZone(zone).first);
}

// ~3.8 KB of TXT: fifteen 255-octet strings.
std::string BigTxt(int seed) {
  std::string out;
  for (int i = 0; i < 15; ++i) {
    absl::StrAppend(&out, i ? " " : "", "\"", std::string(250, 'a' + (seed + i) % 26),
                    absl::StrFormat("%05d", seed), "\"");
  }
  return out;
}

// 650 such RRsets: 2.5 MB as one PATCH, over PowerDNS's default
// webserver-max-bodysize of 2 MB. It used to be refused with a bare 400,
// then the retry's write met the closed connection and SIGPIPE killed dnsd.
TEST_F(PropagationTest, ChangeOverTheServersBodyLimitArrivesWholeAndDnsdLives) {
  const std::string zone = "bigpush.test.";
  CreateZone(zone);
  ASSERT_TRUE(WaitAllInSync(zone));
  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  for (int i = 0; i < 650; ++i) {
    auto* c = req.add_changes();
    c->set_changetype(v1::CHANGE_TYPE_REPLACE);
    c->mutable_rrset()->set_name(absl::StrCat("t", i));
    c->mutable_rrset()->set_type("TXT");
    c->mutable_rrset()->set_ttl(300);
    c->mutable_rrset()->add_records()->set_content(BigTxt(i));
  }
  ASSERT_GT(req.ByteSizeLong(), 2u << 20);
  *req.mutable_propagation_timeout() = Seconds(30);
  v1::ChangeRRsetsResponse resp;
  auto status = records_->ChangeRRsets(Context().get(), req, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(WaitAllInSync(zone));
  EXPECT_TRUE(DnsdEnvironment::Get().dnsd().Running());
  auto [exists, theirs] = ApiServerZone(zone);
  ASSERT_TRUE(exists);
  EXPECT_EQ(theirs.size(), 652u);  // SOA, NS and the 650
  EXPECT_EQ(theirs, Canon(GetZone(zone, true)));
  EXPECT_THAT(*api_->Dig(zone, "SOA"), HasSubstr(absl::StrCat(" ", resp.serial(), " ")));
}

// The same size as a new zone: a single POST could never reach the server.
TEST_F(PropagationTest, ZoneOverTheServersBodyLimitIsCreatedOnIt) {
  const std::string zone = "bigimport.test.";
  std::string file = absl::StrCat("$ORIGIN ", zone, "\n$TTL 300\n",
                                  "@ IN NS ns1.example.net.\n@ IN NS ns2.example.net.\n");
  for (int i = 0; i < 650; ++i) absl::StrAppend(&file, "t", i, " IN TXT ", BigTxt(i), "\n");
  ASSERT_GT(file.size(), 2u << 20);
  v1::ImportZoneRequest req;
  req.mutable_zone()->set_name(zone);
  req.set_zone_file(file);
  *req.mutable_propagation_timeout() = Seconds(30);
  v1::Zone imported;
  auto status = zones_->ImportZone(Context().get(), req, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(WaitAllInSync(zone));
  EXPECT_TRUE(DnsdEnvironment::Get().dnsd().Running());
  auto [exists, theirs] = ApiServerZone(zone);
  ASSERT_TRUE(exists);
  EXPECT_EQ(theirs.size(), 652u);
  EXPECT_EQ(theirs, Canon(GetZone(zone, true)));
  EXPECT_THAT(*api_->Dig(zone, "SOA"), HasSubstr(absl::StrCat(" ", imported.serial(), " ")));
}

TEST_F(PropagationTest, ApiServerKilledMidStreamCatchesUp) {
  const std::string zone = "outage.test.";
  CreateZone(zone);
  ASSERT_TRUE(api_->Kill().ok());
  for (int i = 0; i < 15; ++i) {
    Replace(zone, absl::StrCat("h", i % 5), "A", {absl::StrCat("192.0.2.", i)}, /*wait_s=*/0);
  }
  Replace(zone, "h4", "A", {}, 0);
  v1::Zone during = GetZone(zone);
  bool api_behind = false;
  for (const auto& p : during.propagation()) {
    if (p.server() == "api-1") api_behind = p.state() != v1::PROPAGATION_STATE_IN_SYNC;
  }
  EXPECT_TRUE(api_behind);
  ASSERT_TRUE(api_->Restart().ok());
  ASSERT_TRUE(WaitAllInSync(zone));
  auto [exists, theirs] = ApiServerZone(zone);
  ASSERT_TRUE(exists);
  EXPECT_EQ(theirs, Canon(GetZone(zone, true)));
}

TEST_F(PropagationTest, DnsdKilledMidPropagationLosesNothing) {
  const std::string zone = "crash.test.";
  CreateZone(zone);
  ASSERT_TRUE(api_->Stop().ok());
  for (int i = 0; i < 10; ++i) Replace(zone, absl::StrCat("c", i), "A", {"192.0.2.9"}, 0);
  ASSERT_TRUE(DnsdEnvironment::Get().dnsd().Kill().ok());
  ASSERT_TRUE(api_->Restart().ok());
  ASSERT_TRUE(DnsdEnvironment::Get().dnsd().Restart().ok());
  zones_ = v1::ZoneService::NewStub(DnsdEnvironment::Get().channel());
  ASSERT_TRUE(WaitAllInSync(zone));
  auto [exists, theirs] = ApiServerZone(zone);
  ASSERT_TRUE(exists);
  EXPECT_EQ(theirs, Canon(GetZone(zone, true)));
}

TEST_F(PropagationTest, SlowServerOpensTheBreakerAndIsCaughtUpWhenBack) {
  const std::string zone = "slow.test.";
  CreateZone(zone);
  // A frozen process: connections are accepted by the kernel, never answered.
  const std::string pid_of = absl::StrCat("pgrep -f -- 'config-di[r]=", api_->config_dir(), "'");
  ASSERT_TRUE(RunCommand(absl::StrCat("kill -STOP $(", pid_of, ")")).ok());
  std::string last_error;
  bool breaker_open = false;
  for (int i = 0; i < 300 && !breaker_open; ++i) {
    if (i % 20 == 0) Replace(zone, absl::StrCat("s", i / 20), "A", {"192.0.2.5"}, 0);
    const v1::Zone now = GetZone(zone);
    for (const auto& p : now.propagation()) {
      if (p.server() != "api-1") continue;
      last_error = p.last_error();
      breaker_open = absl::StrContains(last_error, "circuit breaker is open");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(RunCommand(absl::StrCat("kill -CONT $(", pid_of, ")")).ok());
  EXPECT_TRUE(breaker_open) << last_error;
  // Back: caught up long before the 60 s breaker would let a call through.
  ASSERT_TRUE(WaitAllInSync(zone, 30));
  EXPECT_EQ(ApiServerZone(zone).second, Canon(GetZone(zone, true)));
}

TEST_F(PropagationTest, PowerDnsRejectionIsSurfacedWithItsMessage) {
  const std::string zone = "reject.test.";
  CreateZone(zone);
  // Someone put a CNAME on the API server by hand; our A at that name then
  // conflicts there, and PowerDNS says so with a 422.
  std::string body;
  auto code = api_->ApiRequest(
      "PATCH", "/api/v1/servers/localhost/zones/" + zone, &body,
      R"({"rrsets":[{"name":"x.reject.test.","type":"CNAME","ttl":60,"changetype":"REPLACE",)"
      R"("records":[{"content":"elsewhere.example.","disabled":false}]}]})");
  ASSERT_TRUE(code.ok());
  ASSERT_EQ(*code, 204) << body;
  v1::ChangeRRsetsResponse resp = Replace(zone, "x", "A", {"192.0.2.7"}, 5);
  bool surfaced = false;
  for (const auto& p : resp.propagation()) {
    if (p.server() == "api-1") {
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_ERROR);
      EXPECT_THAT(p.last_error(), HasSubstr("onflicts"));  // PowerDNS's own text
      EXPECT_GE(p.attempts(), 2) << "the write answers after the recovery loop's retry failed too";
      surfaced = true;
    } else {
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC);
    }
  }
  EXPECT_TRUE(surfaced);
  // SyncZone repairs the drift: the full push deletes what the truth lacks.
  v1::SyncZoneRequest sync;
  sync.set_zone(zone);
  sync.add_servers("api-1");
  *sync.mutable_timeout() = Seconds(10);
  v1::SyncZoneResponse synced;
  ASSERT_TRUE(zones_->SyncZone(Context().get(), sync, &synced).ok());
  ASSERT_EQ(synced.propagation_size(), 1);
  EXPECT_EQ(synced.propagation(0).state(), v1::PROPAGATION_STATE_IN_SYNC)
      << synced.propagation(0).last_error();
  EXPECT_EQ(ApiServerZone(zone).second, Canon(GetZone(zone, true)));
}

TEST_F(PropagationTest, WrongApiKeyIsAClearErrorAndRotationCatchesUp) {
  const std::string zone = "rekey.test.";
  CreateZone(zone);
  ASSERT_TRUE(WaitAllInSync(zone));
  const std::set<std::string> before = ApiServerZone(zone).second;
  auto set_key = [&](const std::string& key) {
    v1::UpdateServerRequest up;
    up.mutable_server()->set_name("api-1");
    up.mutable_server()->set_api_key(key);
    up.mutable_update_mask()->add_paths("api_key");
    v1::Server server;
    auto status = servers_->UpdateServer(Context().get(), up, &server);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return server;
  };
  // The key rotated on the PowerDNS side but not here yet.
  constexpr char kWrong[] = "stale-key-41c9e";
  v1::Server stale = set_key(kWrong);
  EXPECT_EQ(stale.status(), v1::SERVER_STATUS_UNAVAILABLE);
  EXPECT_THAT(stale.last_error(), HasSubstr("401"));
  EXPECT_THAT(stale.last_error(), ::testing::Not(HasSubstr(kWrong)));

  v1::ChangeRRsetsResponse resp = Replace(zone, "k", "A", {"192.0.2.61"}, 5);
  bool seen = false;
  for (const auto& p : resp.propagation()) {
    if (p.server() == "api-1") {
      seen = true;
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_ERROR);
      EXPECT_THAT(p.last_error(), HasSubstr("401"));
      EXPECT_THAT(p.last_error(), ::testing::Not(HasSubstr(kWrong)));
      EXPECT_LT(p.applied_serial(), resp.serial());
      EXPECT_GE(p.attempts(), 2) << "the write answers after the recovery loop's retry failed too";
    } else {
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC) << p.server();
    }
  }
  EXPECT_TRUE(seen);
  // The truth committed; the refused server kept exactly what it had.
  EXPECT_EQ(*shared_[0]->Dig("k.rekey.test", "A"), "192.0.2.61");
  EXPECT_EQ(ApiServerZone(zone).second, before);

  v1::Server fixed = set_key(kKey);
  EXPECT_EQ(fixed.status(), v1::SERVER_STATUS_HEALTHY) << fixed.last_error();
  ASSERT_TRUE(WaitAllInSync(zone, 30));
  EXPECT_EQ(ApiServerZone(zone).second, Canon(GetZone(zone, true)));
}

TEST_F(PropagationTest, MaintenanceSkipsThenCatchesUp) {
  const std::string zone = "maint.test.";
  CreateZone(zone);
  v1::UpdateServerRequest up;
  up.mutable_server()->set_name("api-1");
  up.mutable_server()->set_maintenance(true);
  up.mutable_update_mask()->add_paths("maintenance");
  v1::Server server;
  ASSERT_TRUE(servers_->UpdateServer(Context().get(), up, &server).ok());
  EXPECT_EQ(server.status(), v1::SERVER_STATUS_MAINTENANCE);
  v1::ChangeRRsetsResponse resp = Replace(zone, "m", "A", {"192.0.2.44"}, 3);
  for (const auto& p : resp.propagation()) {
    if (p.server() == "api-1") {
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_SKIPPED);
    } else {
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC);
    }
  }
  EXPECT_EQ(*api_->Dig("m.maint.test", "A"), "");
  up.mutable_server()->set_maintenance(false);
  ASSERT_TRUE(servers_->UpdateServer(Context().get(), up, &server).ok());
  ASSERT_TRUE(WaitAllInSync(zone));
  EXPECT_EQ(*api_->Dig("m.maint.test", "A"), "192.0.2.44");
}

TEST_F(PropagationTest, ImportAdoptsAZoneFromAServer) {
  std::string body;
  auto code = api_->ApiRequest(
      "POST", "/api/v1/servers/localhost/zones", &body,
      R"({"name":"legacy.test.","kind":"Native","nameservers":["ns1.legacy.test."],)"
      R"("rrsets":[{"name":"www.legacy.test.","type":"A","ttl":300,"changetype":"REPLACE",)"
      R"("records":[{"content":"192.0.2.80","disabled":false}]}]})");
  ASSERT_TRUE(code.ok());
  ASSERT_EQ(*code, 201) << body;
  v1::ImportZoneRequest req;
  req.mutable_zone()->set_name("legacy.test");
  req.set_from_server("api-1");
  *req.mutable_propagation_timeout() = Seconds(10);
  v1::Zone zone;
  auto status = zones_->ImportZone(Context().get(), req, &zone);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(zone.nameservers(0), "ns1.legacy.test.");
  // Now in the truth, so the shared-db servers serve it as well.
  EXPECT_EQ(*shared_[0]->Dig("www.legacy.test", "A"), "192.0.2.80");
  ASSERT_TRUE(WaitAllInSync("legacy.test."));
  EXPECT_EQ(ApiServerZone("legacy.test.").second, Canon(GetZone("legacy.test.", true)));

  req.set_from_server("no-such-server");
  req.mutable_zone()->set_name("other.test");
  EXPECT_EQ(zones_->ImportZone(Context().get(), req, &zone).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PropagationTest, ApiKeyNeverLeaks) {
  std::string log = DnsdEnvironment::Get().dnsd().ReadLog();
  EXPECT_THAT(log, ::testing::Not(HasSubstr(kKey)));
  auto sealed = DnsdEnvironment::Get().pg().Psql("dns", "SELECT api_key_sealed FROM dnsv1.servers");
  ASSERT_TRUE(sealed.ok());
  EXPECT_THAT(*sealed, ::testing::Not(HasSubstr(kKey)));
  EXPECT_THAT(*sealed, HasSubstr("aesgcm:"));
  v1::ListServersRequest req;
  v1::ListServersResponse resp;
  ASSERT_TRUE(servers_->ListServers(Context().get(), req, &resp).ok());
  EXPECT_EQ(resp.servers_size(), 3);
  EXPECT_THAT(resp.SerializeAsString(), ::testing::Not(HasSubstr(kKey)));
}

}  // namespace
}  // namespace dns::testing
