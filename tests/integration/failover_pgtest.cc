// FailoverService on a real fleet (PostgreSQL, two SHARED_DB and one API
// pdns_server, one dnsd): a few hundred zones planned and moved, confirmed
// over DNS on every server; stale plans and the fleet-share threshold
// refused; one operation per request id; fail-back restoring the exact
// prior RRsets; bad input; a dnsd killed mid-execute finishing after its
// restart; ProvisionDomain in one serial.
//
// Waits are bounded polls; nothing asserts how long something took.
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "dns/v1/audit_service.grpc.pb.h"
#include "dns/v1/failover_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "tests/integration/fleet.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;

// A low fleet share, so that a few zones already need force.
const std::vector<std::string> kFlags = {"--health_check_interval=0", "--log_level=info",
                                         "--failover_max_share=0.002"};

// Addresses of documentation ranges: the failed and the replacement host.
constexpr char kOld[] = "192.0.2.10";
constexpr char kNew[] = "198.51.100.20";
constexpr char kOther[] = "203.0.113.5";

v1::RRset Rrset(const std::string& name, const std::string& type, uint32_t ttl,
                std::vector<std::string> contents) {
  v1::RRset r;
  r.set_name(name);
  r.set_type(type);
  r.set_ttl_seconds(ttl);
  for (const auto& c : contents) r.add_records()->set_content(c);
  return r;
}

struct Streamed {
  std::vector<v1::FailoverProgress> messages;
  grpc::Status status;
  const v1::Failover& last() const {
    return messages.empty() ? v1::Failover::default_instance() : messages.back().failover();
  }
};

class FailoverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fleet_ = new Fleet();
    fleet_->StartServers();
    ASSERT_EQ(fleet_->StartReplica(kFlags), 0);
    fleet_->Register(0);
  }
  static void TearDownTestSuite() {
    delete fleet_;
    fleet_ = nullptr;
  }

  std::unique_ptr<v1::FailoverService::Stub> Failovers() {
    return v1::FailoverService::NewStub(fleet_->channel(0));
  }
  std::unique_ptr<v1::ZoneService::Stub> Zones() {
    return v1::ZoneService::NewStub(fleet_->channel(0));
  }

  // A hosting customer's zone: apex and www on `ip`, mail elsewhere.
  void CreateHostedZone(const std::string& zone, const std::string& ip,
                        const std::string& account) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(zone);
    req.mutable_zone()->set_account(account);
    *req.mutable_zone()->add_rrsets() = Rrset(zone, "A", 300, {ip});
    *req.mutable_zone()->add_rrsets() = Rrset("www." + zone, "A", 300, {ip});
    *req.mutable_zone()->add_rrsets() = Rrset("mail." + zone, "A", 300, {kOther});
    *req.mutable_zone()->add_rrsets() = Rrset(zone, "MX", 300, {"10 mail." + zone});
    v1::Zone created;
    grpc::Status status = Zones()->CreateZone(Context().get(), req, &created);
    ASSERT_TRUE(status.ok()) << zone << ": " << status.error_message();
  }

  static v1::ExecuteFailoverRequest ExecuteRequest(const std::string& from, const std::string& to,
                                                  const std::string& account) {
    v1::ExecuteFailoverRequest req;
    req.set_from_ip(from);
    req.set_to_ip(to);
    req.mutable_scope()->set_account(account);
    return req;
  }

  Streamed Execute(const v1::ExecuteFailoverRequest& req, int max_messages = 1 << 20) {
    auto stub = Failovers();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
    context.set_wait_for_ready(true);
    auto reader = stub->ExecuteFailover(&context, req);
    Streamed out;
    v1::FailoverProgress message;
    while (static_cast<int>(out.messages.size()) < max_messages && reader->Read(&message)) {
      out.messages.push_back(message);
    }
    if (static_cast<int>(out.messages.size()) >= max_messages) context.TryCancel();
    out.status = reader->Finish();
    return out;
  }

  v1::Failover GetFailover(const std::string& id) {
    v1::GetFailoverRequest req;
    req.set_id(id);
    v1::Failover op;
    grpc::Status status = Failovers()->GetFailover(Context().get(), req, &op);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return op;
  }

  std::string Contents(const std::string& zone, const std::string& name, const std::string& type) {
    v1::GetRRsetRequest req;
    req.set_zone(zone);
    req.set_name(name);
    req.set_type(type);
    v1::RRset rrset;
    auto records = v1::RecordService::NewStub(fleet_->channel(0));
    grpc::Status status = records->GetRRset(Context().get(), req, &rrset);
    if (!status.ok()) return "error: " + status.error_message();
    std::vector<std::string> contents;
    for (const auto& r : rrset.records()) contents.push_back(r.content());
    std::sort(contents.begin(), contents.end());
    return absl::StrCat(rrset.ttl(), " ", absl::StrJoin(contents, "|"));
  }

  // Every zone of the plan answers its committed serial on all three
  // servers, and its apex and www the new address.
  void ExpectServedEverywhere(const v1::Failover& op, const std::string& address) {
    for (const auto& z : op.plan().zones()) {
      ASSERT_NE(z.committed_serial(), 0u) << z.zone();
      EXPECT_TRUE(fleet_->ServedEverywhere(z.zone(), z.committed_serial())) << z.zone();
    }
    // The records themselves on a sample, over DNS, from each server.
    for (int i = 0; i < op.plan().zones_size(); i += std::max(1, op.plan().zones_size() / 10)) {
      const std::string& zone = op.plan().zones(i).zone();
      for (PdnsServer* s : {&fleet_->shared(0), &fleet_->shared(1), &fleet_->api()}) {
        EXPECT_EQ(*s->Dig("www." + zone, "A"), address) << zone;
        EXPECT_EQ(*s->Dig("mail." + zone, "A"), kOther) << zone;
      }
    }
  }

  static Fleet* fleet_;
};

Fleet* FailoverTest::fleet_ = nullptr;

TEST_F(FailoverTest, PlanChangesNothingAndExecuteIsConfirmedOnEveryServer) {
  const int kZones = 240;
  for (int i = 0; i < kZones; ++i) {
    CreateHostedZone(absl::StrFormat("hosted%03d.example.", i), kOld, "acct-big");
  }
  // In scope, nothing on the failed address.
  for (int i = 0; i < 10; ++i) {
    CreateHostedZone(absl::StrFormat("elsewhere%02d.example.", i), kOther, "acct-big");
  }

  v1::PlanFailoverRequest plan_req;
  plan_req.set_from_ip(kOld);
  plan_req.set_to_ip(kNew);
  plan_req.mutable_scope()->set_account("acct-big");
  plan_req.set_ttl(60);
  v1::FailoverPlan plan;
  grpc::Status status = Failovers()->PlanFailover(Context().get(), plan_req, &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.zones_in_scope(), kZones + 10);
  EXPECT_EQ(plan.zones_changed(), kZones);
  EXPECT_EQ(plan.zones_size(), kZones);
  EXPECT_EQ(plan.rrsets_changed(), 2 * kZones);
  EXPECT_EQ(plan.records_changed(), 2 * kZones);
  EXPECT_EQ(plan.unmatched_zones_size(), 10);
  EXPECT_EQ(plan.checksum().size(), 64u);
  EXPECT_TRUE(plan.needs_force());  // 2 of ~7 records per zone
  const auto& first = plan.zones(0);
  ASSERT_EQ(first.rrsets_size(), 2);
  EXPECT_EQ(first.rrsets(0).before().records(0).content(), kOld);
  EXPECT_EQ(first.rrsets(0).after().records(0).content(), kNew);
  EXPECT_EQ(first.rrsets(0).after().ttl(), 60u);
  // Nothing changed.
  EXPECT_EQ(Contents("hosted000.example.", "www.hosted000.example.", "A"),
            absl::StrCat("300 ", kOld));

  v1::ExecuteFailoverRequest req = ExecuteRequest(kOld, kNew, "acct-big");
  req.set_ttl(60);
  req.set_plan_checksum(plan.checksum());
  req.set_force(true);
  req.set_request_id("failover-big-1");
  Streamed run = Execute(req);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  ASSERT_GE(run.messages.size(), 3u);
  EXPECT_EQ(run.messages.front().stage(), v1::FAILOVER_PROGRESS_STAGE_PLANNED);
  EXPECT_EQ(run.messages[1].stage(), v1::FAILOVER_PROGRESS_STAGE_COMMITTED);
  EXPECT_EQ(run.messages.back().stage(), v1::FAILOVER_PROGRESS_STAGE_DONE);
  const v1::Failover done = run.last();
  EXPECT_EQ(done.state(), v1::FAILOVER_STATE_SUCCEEDED) << done.error();
  ASSERT_EQ(done.servers_size(), 3);
  for (const auto& s : done.servers()) {
    EXPECT_EQ(s.state(), v1::FAILOVER_SERVER_STATE_CONFIRMED) << s.server();
    EXPECT_EQ(s.zones_confirmed(), kZones) << s.server();
    EXPECT_EQ(s.zones_pushed(), kZones) << s.server();
  }
  EXPECT_TRUE(done.has_commit_duration());
  EXPECT_TRUE(done.has_total_duration());
  std::cout << "failover of " << kZones << " zones: commit "
            << done.commit_duration().seconds() * 1000 + done.commit_duration().nanos() / 1000000
            << " ms, confirmed everywhere "
            << done.total_duration().seconds() * 1000 + done.total_duration().nanos() / 1000000
            << " ms" << std::endl;

  const v1::Failover stored = GetFailover(done.id());
  EXPECT_EQ(stored.plan().zones_size(), kZones);
  EXPECT_EQ(stored.request_id(), "failover-big-1");
  ExpectServedEverywhere(stored, kNew);
  EXPECT_EQ(Contents("hosted007.example.", "www.hosted007.example.", "A"),
            absl::StrCat("60 ", kNew));
  EXPECT_EQ(Contents("hosted007.example.", "mail.hosted007.example.", "A"),
            absl::StrCat("300 ", kOther));
  EXPECT_EQ(Contents("elsewhere03.example.", "www.elsewhere03.example.", "A"),
            absl::StrCat("300 ", kOther));
  // One serial bump per zone: the committed serial follows the planned one.
  for (const auto& z : stored.plan().zones()) {
    EXPECT_EQ(z.committed_serial(), z.serial() + 1) << z.zone();
  }
  // One audit entry per zone, committed with it, with the RRsets both ways.
  v1::ListAuditEntriesRequest audit_req;
  audit_req.set_rpc("ExecuteFailover");
  audit_req.set_page_size(1000);
  v1::ListAuditEntriesResponse audited;
  ASSERT_TRUE(v1::AuditService::NewStub(fleet_->channel(0))
                  ->ListAuditEntries(Context().get(), audit_req, &audited)
                  .ok());
  EXPECT_EQ(audited.entries_size(), kZones);
  v1::GetAuditEntryRequest entry_req;
  entry_req.set_id(audited.entries(0).id());
  v1::AuditEntry entry;
  ASSERT_TRUE(
      v1::AuditService::NewStub(fleet_->channel(0))->GetAuditEntry(Context().get(), entry_req, &entry).ok());
  EXPECT_EQ(entry.target(), absl::StrCat("failover ", done.id()));
  EXPECT_EQ(entry.request_id(), "failover-big-1");
  EXPECT_EQ(entry.serial_after(), entry.serial_before() + 1);
  EXPECT_EQ(entry.changed_rrsets_size(), 2);
  ASSERT_EQ(entry.rrsets_before_size(), 2);
  ASSERT_EQ(entry.rrsets_after_size(), 2);
  EXPECT_EQ(entry.rrsets_before(0).records(0).content(), kOld);
  EXPECT_EQ(entry.rrsets_after(0).records(0).content(), kNew);
  EXPECT_EQ(entry.rrsets_after(0).ttl(), 60u);

  // The same request id again: the same operation, nothing new.
  Streamed again = Execute(req);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.last().id(), done.id());
  v1::ListFailoversRequest list_req;
  list_req.set_ip(kOld);
  v1::ListFailoversResponse list;
  ASSERT_TRUE(Failovers()->ListFailovers(Context().get(), list_req, &list).ok());
  int with_id = 0;
  for (const auto& f : list.failovers()) with_id += f.request_id() == "failover-big-1";
  EXPECT_EQ(with_id, 1);
  // The same id with another request is refused.
  v1::ExecuteFailoverRequest other = req;
  other.set_to_ip(kOther);
  Streamed reused = Execute(other);
  EXPECT_EQ(reused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(DetailsOf(reused.status).violations.count("request_id"));
}

TEST_F(FailoverTest, StalePlanAndTheFleetShareAreRefusedAndChangeNothing) {
  for (int i = 0; i < 5; ++i) {
    CreateHostedZone(absl::StrFormat("stale%d.example.", i), "192.0.2.30", "acct-stale");
  }
  v1::PlanFailoverRequest plan_req;
  plan_req.set_from_ip("192.0.2.30");
  plan_req.set_to_ip("192.0.2.31");
  plan_req.mutable_scope()->set_account("acct-stale");
  v1::FailoverPlan plan;
  ASSERT_TRUE(Failovers()->PlanFailover(Context().get(), plan_req, &plan).ok());

  // A zone changes after the review.
  v1::ChangeRRsetsRequest change;
  change.set_zone("stale3.example.");
  auto* c = change.add_changes();
  c->set_changetype(v1::CHANGE_TYPE_REPLACE);
  *c->mutable_rrset() = Rrset("www.stale3.example.", "A", 300, {"192.0.2.30", kOther});
  v1::ChangeRRsetsResponse changed;
  ASSERT_TRUE(v1::RecordService::NewStub(fleet_->channel(0))
                  ->ChangeRRsets(Context().get(), change, &changed)
                  .ok());

  v1::ExecuteFailoverRequest req = ExecuteRequest("192.0.2.30", "192.0.2.31", "acct-stale");
  req.set_plan_checksum(plan.checksum());
  req.set_force(true);
  Streamed stale = Execute(req);
  EXPECT_EQ(stale.status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(DetailsOf(stale.status).reason, "STALE_PLAN");
  EXPECT_THAT(stale.status.error_message(), HasSubstr("stale3.example. changed"));
  EXPECT_TRUE(stale.messages.empty());
  EXPECT_EQ(Contents("stale1.example.", "www.stale1.example.", "A"), "300 192.0.2.30");

  // Above the fleet share without force.
  req.clear_plan_checksum();
  req.set_force(false);
  Streamed unforced = Execute(req);
  EXPECT_EQ(unforced.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(unforced.status).reason, "FORCE_REQUIRED");
  EXPECT_EQ(Contents("stale1.example.", "www.stale1.example.", "A"), "300 192.0.2.30");
}

TEST_F(FailoverTest, FailBackRestoresTheExactPriorRRsets) {
  // An RRset that already held the replacement next to the failed address,
  // and one on IPv6.
  CreateHostedZone("back1.example.", "192.0.2.40", "acct-back");
  v1::ChangeRRsetsRequest change;
  change.set_zone("back1.example.");
  auto* c = change.add_changes();
  c->set_changetype(v1::CHANGE_TYPE_REPLACE);
  *c->mutable_rrset() = Rrset("www.back1.example.", "A", 3600, {"192.0.2.40", "192.0.2.41"});
  c = change.add_changes();
  c->set_changetype(v1::CHANGE_TYPE_REPLACE);
  *c->mutable_rrset() = Rrset("v6.back1.example.", "AAAA", 900, {"2001:db8::40"});
  v1::ChangeRRsetsResponse changed;
  ASSERT_TRUE(v1::RecordService::NewStub(fleet_->channel(0))
                  ->ChangeRRsets(Context().get(), change, &changed)
                  .ok());
  const std::string www_before = Contents("back1.example.", "www.back1.example.", "A");
  const std::string apex_before = Contents("back1.example.", "back1.example.", "A");

  v1::ExecuteFailoverRequest out = ExecuteRequest("192.0.2.40", "192.0.2.41", "acct-back");
  out.set_ttl(60);
  out.set_force(true);
  Streamed there = Execute(out);
  ASSERT_TRUE(there.status.ok()) << there.status.error_message();
  EXPECT_EQ(Contents("back1.example.", "www.back1.example.", "A"), "60 192.0.2.41");

  v1::ExecuteFailoverRequest back = ExecuteRequest("192.0.2.41", "192.0.2.40", "acct-back");
  back.set_force(true);
  Streamed home = Execute(back);
  ASSERT_TRUE(home.status.ok()) << home.status.error_message();
  EXPECT_EQ(home.last().state(), v1::FAILOVER_STATE_SUCCEEDED);
  EXPECT_EQ(home.last().reverses(), there.last().id());
  EXPECT_EQ(Contents("back1.example.", "www.back1.example.", "A"), www_before);
  EXPECT_EQ(Contents("back1.example.", "back1.example.", "A"), apex_before);
  EXPECT_EQ(GetFailover(there.last().id()).reversed_by(), home.last().id());

  // IPv6 moves within its family.
  v1::ExecuteFailoverRequest v6 = ExecuteRequest("2001:DB8:0::40", "2001:db8::41", "acct-back");
  v6.set_force(true);
  Streamed moved = Execute(v6);
  ASSERT_TRUE(moved.status.ok()) << moved.status.error_message();
  EXPECT_EQ(moved.last().plan().rrsets_changed(), 1);
  EXPECT_EQ(Contents("back1.example.", "v6.back1.example.", "AAAA"), "900 2001:db8::41");
}

TEST_F(FailoverTest, NothingMatchedIsRecordedAsANoOp) {
  CreateHostedZone("quiet1.example.", kOther, "acct-quiet");
  v1::ExecuteFailoverRequest req = ExecuteRequest("192.0.2.99", "192.0.2.98", "acct-quiet");
  Streamed run = Execute(req);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.last().state(), v1::FAILOVER_STATE_SUCCEEDED);
  EXPECT_EQ(run.last().plan().zones_changed(), 0);
  EXPECT_EQ(GetFailover(run.last().id()).plan().unmatched_zones_size(), 1);
}

TEST_F(FailoverTest, BadInputIsRefusedWithTheField) {
  CreateHostedZone("bad1.example.", kOld, "acct-bad");
  struct Case {
    std::string name;
    std::function<void(v1::PlanFailoverRequest&)> edit;
    grpc::StatusCode code;
    std::string field_or_reason;
  };
  const std::vector<Case> cases = {
      {"same address", [](auto& r) { r.set_to_ip(r.from_ip()); }, grpc::INVALID_ARGUMENT, "to_ip"},
      {"mixed families", [](auto& r) { r.set_to_ip("2001:db8::1"); }, grpc::INVALID_ARGUMENT,
       "to_ip"},
      {"bad from", [](auto& r) { r.set_from_ip("192.0.2.300"); }, grpc::INVALID_ARGUMENT,
       "from_ip"},
      {"missing to", [](auto& r) { r.clear_to_ip(); }, grpc::INVALID_ARGUMENT, "to_ip"},
      {"a name, not an address", [](auto& r) { r.set_to_ip("www.example.com"); },
       grpc::INVALID_ARGUMENT, "to_ip"},
      {"empty scope", [](auto& r) { r.clear_scope(); }, grpc::INVALID_ARGUMENT, "scope"},
      {"two scopes", [](auto& r) { r.mutable_scope()->set_customer_id("c1"); },
       grpc::INVALID_ARGUMENT, "scope"},
      {"bad zone name",
       [](auto& r) {
         r.mutable_scope()->clear_account();
         r.mutable_scope()->add_zones("bad..example");
       },
       grpc::INVALID_ARGUMENT, "scope.zones[0]"},
      {"unknown zone",
       [](auto& r) {
         r.mutable_scope()->clear_account();
         r.mutable_scope()->add_zones("bad1.example");
         r.mutable_scope()->add_zones("nope.example");
       },
       grpc::NOT_FOUND, "ZONE_NOT_FOUND"},
      {"unknown account", [](auto& r) { r.mutable_scope()->set_account("acct-nobody"); },
       grpc::NOT_FOUND, "ACCOUNT_NOT_FOUND"},
      {"ttl below the minimum", [](auto& r) { r.set_ttl(5); }, grpc::INVALID_ARGUMENT, "ttl"},
  };
  for (const Case& tc : cases) {
    v1::PlanFailoverRequest req;
    req.set_from_ip(kOld);
    req.set_to_ip(kNew);
    req.mutable_scope()->set_account("acct-bad");
    tc.edit(req);
    v1::FailoverPlan plan;
    grpc::Status status = Failovers()->PlanFailover(Context().get(), req, &plan);
    EXPECT_EQ(status.error_code(), tc.code) << tc.name << ": " << status.error_message();
    ErrorDetails details = DetailsOf(status);
    if (tc.code == grpc::INVALID_ARGUMENT) {
      EXPECT_TRUE(details.violations.count(tc.field_or_reason))
          << tc.name << ": " << status.error_message();
    } else {
      EXPECT_EQ(details.reason, tc.field_or_reason) << tc.name;
    }
    // Execute refuses the same, and nothing is recorded.
    v1::ExecuteFailoverRequest exec;
    exec.set_from_ip(req.from_ip());
    exec.set_to_ip(req.to_ip());
    *exec.mutable_scope() = req.scope();
    if (req.has_ttl()) exec.set_ttl(req.ttl());
    exec.set_force(true);
    Streamed run = Execute(exec);
    EXPECT_EQ(run.status.error_code(), tc.code) << tc.name;
    EXPECT_TRUE(run.messages.empty()) << tc.name;
  }
  EXPECT_EQ(Contents("bad1.example.", "www.bad1.example.", "A"), absl::StrCat("300 ", kOld));
  v1::GetFailoverRequest get;
  get.set_id("fo-missing");
  v1::Failover op;
  EXPECT_EQ(Failovers()->GetFailover(Context().get(), get, &op).error_code(), grpc::NOT_FOUND);
}

TEST_F(FailoverTest, ServersInMaintenanceAreReportedNotWaitedFor) {
  CreateHostedZone("maint1.example.", "192.0.2.50", "acct-maint");
  auto servers = v1::ServerService::NewStub(fleet_->channel(0));
  auto maintenance = [&](bool on) {
    v1::UpdateServerRequest req;
    req.mutable_server()->set_name("api-1");
    req.mutable_server()->set_maintenance(on);
    req.mutable_update_mask()->add_paths("maintenance");
    v1::Server out;
    grpc::Status status = servers->UpdateServer(Context().get(), req, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  };
  maintenance(true);
  v1::ExecuteFailoverRequest req = ExecuteRequest("192.0.2.50", "192.0.2.51", "acct-maint");
  req.set_force(true);
  Streamed run = Execute(req);
  maintenance(false);
  ASSERT_TRUE(run.status.ok()) << run.status.error_message();
  EXPECT_EQ(run.last().state(), v1::FAILOVER_STATE_SUCCEEDED);
  for (const auto& s : run.last().servers()) {
    EXPECT_EQ(s.state(), s.server() == "api-1" ? v1::FAILOVER_SERVER_STATE_SKIPPED
                                               : v1::FAILOVER_SERVER_STATE_CONFIRMED)
        << s.server();
  }
  // Caught up once it is back.
  const v1::Failover stored = GetFailover(run.last().id());
  ASSERT_EQ(stored.plan().zones_size(), 1);
  const uint32_t serial = stored.plan().zones(0).committed_serial();
  bool served = false;
  for (int i = 0; i < 300 && !served; ++i) {
    served = Fleet::ServesSerial(fleet_->api(), "maint1.example.", serial);
    if (!served) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(served);
}

TEST_F(FailoverTest, KilledDuringExecuteCompletesAfterRestart) {
  const int kZones = 300;
  for (int i = 0; i < kZones; ++i) {
    CreateHostedZone(absl::StrFormat("killed%03d.example.", i), "192.0.2.60", "acct-kill");
  }
  v1::ExecuteFailoverRequest req = ExecuteRequest("192.0.2.60", "192.0.2.61", "acct-kill");
  req.set_force(true);
  req.set_request_id("failover-killed-1");
  // The first message comes once the operation is recorded; the driver is
  // committing or propagating when the kill lands.
  Streamed started = Execute(req, 1);
  ASSERT_EQ(started.messages.size(), 1u);
  const std::string id = started.last().id();
  ASSERT_TRUE(fleet_->replica(0).Kill().ok());
  ASSERT_TRUE(fleet_->replica(0).Restart().ok());

  // Reattaching with the same request id follows it to the end (a client
  // retries a call its old connection lost, as it would any UNAVAILABLE).
  Streamed resumed = Execute(req);
  for (int i = 0; i < 3 && resumed.status.error_code() == grpc::UNAVAILABLE; ++i) {
    resumed = Execute(req);
  }
  ASSERT_TRUE(resumed.status.ok()) << resumed.status.error_message() << "\n"
                                   << fleet_->replica(0).LogTail();
  EXPECT_EQ(resumed.last().id(), id);
  EXPECT_EQ(resumed.last().state(), v1::FAILOVER_STATE_SUCCEEDED) << resumed.last().error();
  const v1::Failover op = GetFailover(id);
  ASSERT_EQ(op.plan().zones_size(), kZones);
  // All or nothing: every zone moved, once.
  for (const auto& z : op.plan().zones()) {
    EXPECT_EQ(z.committed_serial(), z.serial() + 1) << z.zone();
  }
  for (int i = 0; i < kZones; i += 37) {
    const std::string zone = absl::StrFormat("killed%03d.example.", i);
    EXPECT_EQ(Contents(zone, "www." + zone, "A"), "300 192.0.2.61");
  }
  ExpectServedEverywhere(op, "192.0.2.61");
}

TEST_F(FailoverTest, ProvisionDomainCreatesTheZoneUnderOneSerial) {
  v1::ProvisionDomainRequest req;
  req.set_domain("Shop-Provisioned.Example");
  req.set_account("acct-prov");
  req.set_customer_id("4711");
  req.set_hosting_service_id("svc-9");
  req.set_ip("192.0.2.70");
  req.set_ipv6("2001:db8::70");
  *req.add_rrsets() = Rrset("@", "MX", 3600, {"10 mail.shop-provisioned.example."});
  *req.add_rrsets() = Rrset("mail", "A", 3600, {kOther});
  req.set_request_id("provision-1");
  *req.mutable_propagation_timeout() = Seconds(20);
  auto stub = Failovers();
  v1::Zone zone;
  grpc::Status status = stub->ProvisionDomain(Context().get(), req, &zone);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(zone.name(), "shop-provisioned.example.");
  EXPECT_EQ(zone.customer_id(), "4711");
  ASSERT_EQ(zone.propagation_size(), 3);
  for (const auto& p : zone.propagation()) {
    EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC) << p.server();
  }
  const std::string name = "shop-provisioned.example.";
  EXPECT_EQ(Contents(name, name, "A"), "3600 192.0.2.70");
  EXPECT_EQ(Contents(name, "www." + name, "AAAA"), "3600 2001:db8::70");
  EXPECT_EQ(Contents(name, name, "MX"), "3600 10 mail.shop-provisioned.example.");
  EXPECT_TRUE(fleet_->ServedEverywhere(name, zone.serial()));
  EXPECT_EQ(*fleet_->api().Dig("www." + name, "A"), "192.0.2.70");

  // A retry returns the same zone; nothing moves.
  v1::Zone again;
  status = stub->ProvisionDomain(Context().get(), req, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.serial(), zone.serial());

  // Bad input names the request's fields; validate_only writes nothing.
  v1::ProvisionDomainRequest bad = req;
  bad.clear_request_id();
  bad.set_domain("other-provisioned.example");
  bad.set_ip("192.0.2.700");
  *bad.add_rrsets() = Rrset("www", "A", 3600, {kOther});
  status = stub->ProvisionDomain(Context().get(), bad, &again);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  ErrorDetails details = DetailsOf(status);
  EXPECT_TRUE(details.violations.count("ip")) << status.error_message();
  EXPECT_TRUE(details.violations.count("rrsets[2]")) << status.error_message();
  bad.set_ip("192.0.2.71");
  bad.mutable_rrsets()->RemoveLast();
  *bad.mutable_rrsets(0) = Rrset("@", "MX", 10, {"10 mail"});
  status = stub->ProvisionDomain(Context().get(), bad, &again);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_TRUE(DetailsOf(status).violations.count("rrsets[0].ttl")) << status.error_message();
  bad.mutable_rrsets(0)->set_ttl_seconds(3600);
  bad.set_validate_only(true);
  status = stub->ProvisionDomain(Context().get(), bad, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::GetZoneRequest get;
  get.set_zone("other-provisioned.example");
  v1::Zone missing;
  EXPECT_EQ(Zones()->GetZone(Context().get(), get, &missing).error_code(), grpc::NOT_FOUND);
  bad.set_domain(name);
  status = stub->ProvisionDomain(Context().get(), bad, &again);
  EXPECT_EQ(status.error_code(), grpc::ALREADY_EXISTS);
}

}  // namespace
}  // namespace dns::testing
