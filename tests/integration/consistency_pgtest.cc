// Consistency on a real fleet: PostgreSQL with a streaming standby, two
// SHARED_DB pdns_servers on the primary, one on the standby, one API
// pdns_server, one dnsd sweeping every second. Drift is made behind the
// service's back (a PATCH straight to the API server, a zone deleted there,
// an extra zone created there, the standby's replay paused) and must be
// found by CheckConsistency and by the sweeps (events on WatchConsistency);
// a dry run changes nothing; an applied reconcile repairs, also when dnsd
// is killed right after it; extra zones go only with delete_extra.
//
// Waits are bounded polls; nothing asserts how long something took.
#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "tests/integration/fleet.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kFlags = {
    "--health_check_interval=0",       "--log_level=info",
    "--consistency_interval=1s",       "--consistency_content_interval=1s",
    "--consistency_grace=2s",          "--propagation_max_backoff=1s"};

constexpr int kZones = 24;

std::string ZoneName(int i) { return absl::StrFormat("c%02d.example.", i); }

template <typename Fn>
bool WaitFor(Fn fn, absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (fn()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return fn();
}

struct Checked {
  std::vector<v1::ConsistencyFinding> findings;
  v1::ConsistencySummary summary;
  int messages = 0;
  grpc::Status status;
};

class ConsistencyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fleet_ = new Fleet();
    fleet_->StartServers();
    auto standby = PostgresServer::StartStandby(fleet_->pg());
    ASSERT_TRUE(standby.ok()) << standby.status();
    standby_ = standby->release();
    auto pdns = Fleet::StartGpgsqlServer(standby_->port());
    ASSERT_TRUE(pdns.ok()) << pdns.status();
    standby_pdns_ = pdns->release();
    ASSERT_EQ(fleet_->StartReplica(kFlags), 0);
    fleet_->Register(0);
    fleet_->RegisterServer(0, "standby-1", *standby_pdns_, v1::SERVER_MODE_SHARED_DB);
    for (int i = 0; i < kZones; ++i) CreateZone(ZoneName(i));
    for (int i = 0; i < kZones; ++i) {
      ASSERT_TRUE(WaitFor([&] { return AllInSync(ZoneName(i)); })) << ZoneName(i);
    }
  }
  static void TearDownTestSuite() {
    delete standby_pdns_;
    delete fleet_;  // dnsd and the servers first, the primary last
    delete standby_;
    fleet_ = nullptr;
  }

  static std::unique_ptr<v1::ServerService::Stub> Servers() {
    return v1::ServerService::NewStub(fleet_->channel(0));
  }
  static std::unique_ptr<v1::ZoneService::Stub> Zones() {
    return v1::ZoneService::NewStub(fleet_->channel(0));
  }

  static void CreateZone(const std::string& zone) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(zone);
    req.mutable_zone()->set_account("acct-c");
    auto add = [&](const std::string& name, const std::string& type,
                   std::vector<std::string> contents) {
      v1::RRset* r = req.mutable_zone()->add_rrsets();
      r->set_name(name);
      r->set_type(type);
      r->set_ttl_seconds(300);
      for (const auto& c : contents) r->add_records()->set_content(c);
    };
    add(zone, "A", {"192.0.2.10"});
    add("www." + zone, "A", {"192.0.2.10", "192.0.2.11"});
    add(zone, "MX", {"10 mail." + zone, "20 mx2." + zone});
    add(zone, "TXT",
        {"\"v=spf1 -all\"", "\"" + std::string(255, 'k') + "\" \"" + std::string(45, 'k') + "\""});
    add("_sip._tcp." + zone, "SRV", {"10 5 5060 sip." + zone});
    add("v6." + zone, "AAAA", {"2001:db8::1"});
    v1::Zone created;
    auto st = Zones()->CreateZone(Context().get(), req, &created);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  static bool AllInSync(const std::string& zone) {
    v1::GetZoneRequest req;
    req.set_zone(zone);
    v1::Zone z;
    if (!Zones()->GetZone(Context().get(), req, &z).ok()) return false;
    if (z.propagation_size() != 4) return false;
    for (const auto& p : z.propagation()) {
      if (p.state() != v1::PROPAGATION_STATE_IN_SYNC) return false;
    }
    return true;
  }

  static Checked Check(v1::CheckConsistencyRequest req) {
    Checked out;
    auto context = Context();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    auto reader = Servers()->CheckConsistency(context.get(), req);
    v1::CheckConsistencyResponse message;
    while (reader->Read(&message)) {
      ++out.messages;
      for (const auto& f : message.findings()) out.findings.push_back(f);
      if (message.has_summary()) out.summary = message.summary();
    }
    out.status = reader->Finish();
    return out;
  }

  static Checked Check(const std::string& server, v1::ConsistencyDepth depth) {
    v1::CheckConsistencyRequest req;
    req.set_server(server);
    req.set_depth(depth);
    return Check(req);
  }

  static const v1::ConsistencyFinding* Find(const Checked& c, const std::string& zone,
                                            v1::FindingKind kind) {
    for (const auto& f : c.findings) {
      if (f.zone() == zone && f.kind() == kind) return &f;
    }
    return nullptr;
  }

  // Reads consistency events after `after` until `done` says so (or a
  // minute has passed); returns them.
  static std::vector<v1::ConsistencyEvent> EventsUntil(
      int64_t after, const std::function<bool(const std::vector<v1::ConsistencyEvent>&)>& done) {
    std::vector<v1::ConsistencyEvent> events;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchConsistencyRequest req;
    req.set_resume_after(after);
    req.mutable_heartbeat_interval()->set_seconds(1);
    auto reader = Servers()->WatchConsistency(&context, req);
    v1::ConsistencyEvent event;
    while (reader->Read(&event)) {
      if (event.type() == v1::CONSISTENCY_EVENT_TYPE_HEARTBEAT) {
        EXPECT_EQ(event.id(), 0);
        continue;
      }
      events.push_back(event);
      if (done(events)) {
        context.TryCancel();
        break;
      }
    }
    reader->Finish();
    return events;
  }

  static bool HasEvent(const std::vector<v1::ConsistencyEvent>& events,
                       v1::ConsistencyEventType type, const std::string& server,
                       const std::string& zone) {
    for (const auto& e : events) {
      if (e.type() == type && e.server() == server && e.zone() == zone) return true;
    }
    return false;
  }

  static int64_t LastEventId() {
    std::vector<v1::ConsistencyEvent> none;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    v1::WatchConsistencyRequest req;
    req.set_resume_after(0);
    req.mutable_heartbeat_interval()->set_seconds(1);
    auto reader = Servers()->WatchConsistency(&context, req);
    v1::ConsistencyEvent event;
    int64_t last = 0;
    while (reader->Read(&event)) {
      if (event.type() == v1::CONSISTENCY_EVENT_TYPE_HEARTBEAT) break;  // replay over
      last = event.id();
    }
    context.TryCancel();
    reader->Finish();
    return last;
  }

  static v1::ReconcileServerResponse Reconcile(const std::string& server, bool dry_run,
                                               bool delete_extra,
                                               const std::string& request_id = "",
                                               grpc::Status* status_out = nullptr) {
    v1::ReconcileServerRequest req;
    req.set_server(server);
    req.set_dry_run(dry_run);
    req.set_delete_extra(delete_extra);
    req.set_request_id(request_id);
    v1::ReconcileServerResponse resp;
    auto context = Context();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    grpc::Status st = Servers()->ReconcileServer(context.get(), req, &resp);
    if (status_out) {
      *status_out = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.error_message();
    }
    return resp;
  }

  static std::string ApiZoneBody(const std::string& zone) {
    std::string body;
    auto code = fleet_->api().ApiRequest("GET", "/api/v1/servers/localhost/zones/" + zone, &body);
    return code.ok() && *code == 200 ? body : "";
  }

  static Fleet* fleet_;
  static PostgresServer* standby_;
  static PdnsServer* standby_pdns_;
};

Fleet* ConsistencyTest::fleet_ = nullptr;
PostgresServer* ConsistencyTest::standby_ = nullptr;
PdnsServer* ConsistencyTest::standby_pdns_ = nullptr;

TEST_F(ConsistencyTest, ASyncedFleetHasNoFindingsAtAnyDepth) {
  for (auto depth : {v1::CONSISTENCY_DEPTH_ZONES, v1::CONSISTENCY_DEPTH_SERIALS,
                     v1::CONSISTENCY_DEPTH_CONTENT}) {
    Checked c = Check("", depth);
    ASSERT_TRUE(c.status.ok()) << c.status.error_message();
    for (const auto& f : c.findings) ADD_FAILURE() << f.ShortDebugString();
    EXPECT_EQ(c.summary.zones_in_scope(), kZones);
    ASSERT_EQ(c.summary.servers_size(), 4);
    for (const auto& s : c.summary.servers()) {
      EXPECT_TRUE(s.complete()) << s.ShortDebugString();
      EXPECT_EQ(s.zones_checked(), kZones) << s.server();
      // CONTENT on a SHARED_DB server is SERIALS: the database is the content.
      if (s.mode() == v1::SERVER_MODE_SHARED_DB && depth == v1::CONSISTENCY_DEPTH_CONTENT) {
        EXPECT_EQ(s.depth(), v1::CONSISTENCY_DEPTH_SERIALS);
      } else {
        EXPECT_EQ(s.depth(), depth);
      }
    }
  }
  // GetServer counts zones by state on that server.
  v1::GetServerRequest get;
  get.set_name("api-1");
  v1::Server server;
  ASSERT_TRUE(Servers()->GetServer(Context().get(), get, &server).ok());
  EXPECT_EQ(server.propagation_counts().in_sync(), kZones);
  EXPECT_EQ(server.propagation_counts().pending(), 0);
}

TEST_F(ConsistencyTest, DriftOnTheApiServerIsFoundDryRunChangesNothingApplyRepairs) {
  const std::string patched = ZoneName(1), gone = ZoneName(2), extra = "rogue-extra.example.";
  const int64_t before_events = LastEventId();
  // Behind the service's back: a changed and an added RRset, a deleted zone,
  // an extra zone.
  std::string body;
  auto code = fleet_->api().ApiRequest(
      "PATCH", "/api/v1/servers/localhost/zones/" + patched, &body,
      R"({"rrsets":[{"name":"www.)" + patched +
          R"(","type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":"10.9.9.9","disabled":false}]},)"
          R"({"name":"rogue.)" + patched +
          R"(","type":"TXT","ttl":60,"changetype":"REPLACE","records":[{"content":"\"x\"","disabled":false}]}]})");
  ASSERT_TRUE(code.ok() && *code == 204) << body;
  code = fleet_->api().ApiRequest("DELETE", "/api/v1/servers/localhost/zones/" + gone, &body);
  ASSERT_TRUE(code.ok() && *code == 204) << body;
  code = fleet_->api().ApiRequest(
      "POST", "/api/v1/servers/localhost/zones", &body,
      R"({"name":")" + extra + R"(","kind":"Native","nameservers":["ns1.example.net."]})");
  ASSERT_TRUE(code.ok() && *code == 201) << body;

  Checked c = Check("api-1", v1::CONSISTENCY_DEPTH_CONTENT);
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  const v1::ConsistencyFinding* different = nullptr;
  for (const auto& f : c.findings) {
    if (f.zone() == patched && f.kind() == v1::FINDING_KIND_RRSET_DIFFERENT) different = &f;
  }
  ASSERT_NE(different, nullptr);
  EXPECT_EQ(different->truth_rrset().name(), "www." + patched);
  EXPECT_EQ(different->truth_rrset().ttl(), 300u);
  EXPECT_EQ(different->server_rrset().ttl(), 60u);
  EXPECT_EQ(different->server_rrset().records(0).content(), "10.9.9.9");
  EXPECT_EQ(different->propagation_state(), v1::PROPAGATION_STATE_IN_SYNC);
  const v1::ConsistencyFinding* rogue = Find(c, patched, v1::FINDING_KIND_RRSET_EXTRA);
  ASSERT_NE(rogue, nullptr);
  EXPECT_EQ(rogue->server_rrset().name(), "rogue." + patched);
  const v1::ConsistencyFinding* missing = Find(c, gone, v1::FINDING_KIND_ZONE_MISSING);
  ASSERT_NE(missing, nullptr);
  EXPECT_GT(missing->truth_serial(), 0u);
  ASSERT_NE(Find(c, extra, v1::FINDING_KIND_ZONE_EXTRA), nullptr);
  EXPECT_EQ(c.findings.size(), 4u);
  EXPECT_EQ(c.summary.servers(0).zones_differing(), 3);
  // SERIALS does not see RRset content; it sees the zones.
  Checked serials = Check("api-1", v1::CONSISTENCY_DEPTH_SERIALS);
  EXPECT_EQ(serials.findings.size(), 2u);

  // The sweeps raise one event per drifted zone.
  std::vector<v1::ConsistencyEvent> events = EventsUntil(before_events, [&](const auto& e) {
    return HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "api-1", patched) &&
           HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "api-1", gone) &&
           HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "api-1", extra);
  });
  ASSERT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "api-1", patched));
  ASSERT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "api-1", gone));
  ASSERT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "api-1", extra));

  // A dry run lists the repairs and changes nothing on the server.
  const std::string patched_before = ApiZoneBody(patched);
  v1::ReconcileServerResponse plan = Reconcile("api-1", /*dry_run=*/true, false);
  EXPECT_TRUE(plan.dry_run());
  ASSERT_EQ(plan.actions_size(), 3);
  EXPECT_EQ(plan.actions_total(), 3);
  std::map<std::string, v1::ReconcileAction> by_zone;
  for (const auto& a : plan.actions()) by_zone[a.zone()] = a;
  EXPECT_EQ(by_zone[patched].type(), v1::RECONCILE_ACTION_TYPE_SYNC_ZONE);
  ASSERT_EQ(by_zone[patched].replace_rrsets_size(), 1);
  EXPECT_EQ(by_zone[patched].replace_rrsets(0).records_size(), 2);
  ASSERT_EQ(by_zone[patched].delete_rrsets_size(), 1);
  EXPECT_EQ(by_zone[patched].delete_rrsets(0).name(), "rogue." + patched);
  EXPECT_EQ(by_zone[gone].type(), v1::RECONCILE_ACTION_TYPE_CREATE_ZONE);
  EXPECT_EQ(by_zone[extra].type(), v1::RECONCILE_ACTION_TYPE_KEEP_EXTRA_ZONE);
  absl::SleepFor(absl::Seconds(2));  // time for anything (wrongly) pushed to land
  EXPECT_EQ(ApiZoneBody(patched), patched_before);
  EXPECT_EQ(ApiZoneBody(gone), "");
  EXPECT_NE(ApiZoneBody(extra), "");

  // Applied without delete_extra: repaired, the extra zone kept.
  v1::ReconcileServerResponse applied = Reconcile("api-1", false, false, "reconcile-1");
  EXPECT_FALSE(applied.dry_run());
  EXPECT_GT(applied.event_id(), 0);
  ASSERT_TRUE(WaitFor([&] {
    Checked now = Check("api-1", v1::CONSISTENCY_DEPTH_CONTENT);
    return now.status.ok() && now.findings.size() == 1 &&
           now.findings[0].kind() == v1::FINDING_KIND_ZONE_EXTRA;
  }));
  EXPECT_NE(ApiZoneBody(extra), "");
  // The same request id answers the first result, applies nothing new.
  v1::ReconcileServerResponse again = Reconcile("api-1", false, false, "reconcile-1");
  EXPECT_EQ(again.event_id(), applied.event_id());
  EXPECT_EQ(again.actions_size(), applied.actions_size());
  grpc::Status reused;
  Reconcile("api-1", false, true, "reconcile-1", &reused);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // With delete_extra the extra zone goes.
  Reconcile("api-1", false, true, "reconcile-2");
  ASSERT_TRUE(WaitFor([&] { return ApiZoneBody(extra).empty(); }));
  ASSERT_TRUE(WaitFor([&] {
    Checked now = Check("api-1", v1::CONSISTENCY_DEPTH_CONTENT);
    return now.status.ok() && now.findings.empty();
  }));
  events = EventsUntil(before_events, [&](const auto& e) {
    return HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "api-1", patched) &&
           HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "api-1", gone) &&
           HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "api-1", extra);
  });
  EXPECT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "api-1", patched));
  EXPECT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "api-1", extra));
  int found = 0, applied_events = 0;
  for (const auto& e : events) {
    if (e.type() == v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND && e.zone() == patched) ++found;
    if (e.type() == v1::CONSISTENCY_EVENT_TYPE_RECONCILE_APPLIED) {
      ++applied_events;
      EXPECT_EQ(e.server(), "api-1");
    }
  }
  EXPECT_EQ(found, 1) << "a drift is an event once, not every sweep";
  EXPECT_EQ(applied_events, 2);
}

TEST_F(ConsistencyTest, APausedStandbyShowsAsSerialBehindAndCatchesUp) {
  const std::string zone = ZoneName(5);
  const int64_t before_events = LastEventId();
  ASSERT_TRUE(standby_->PauseReplay().ok());
  v1::ChangeRRsetsRequest change;
  change.set_zone(zone);
  auto* c = change.add_changes();
  c->set_changetype(v1::CHANGE_TYPE_REPLACE);
  c->mutable_rrset()->set_name("new." + zone);
  c->mutable_rrset()->set_type("A");
  c->mutable_rrset()->set_ttl_seconds(60);
  c->mutable_rrset()->add_records()->set_content("192.0.2.77");
  v1::ChangeRRsetsResponse changed;
  auto st = v1::RecordService::NewStub(fleet_->channel(0))
                ->ChangeRRsets(Context().get(), change, &changed);
  ASSERT_TRUE(st.ok()) << st.error_message();
  // The primary's servers take it; the standby's cannot while paused.
  ASSERT_TRUE(WaitFor([&] {
    return Fleet::ServesSerial(fleet_->shared(0), zone, changed.serial()) &&
           Fleet::ServesSerial(fleet_->api(), zone, changed.serial());
  }));
  EXPECT_FALSE(Fleet::ServesSerial(*standby_pdns_, zone, changed.serial()));

  Checked check = Check("standby-1", v1::CONSISTENCY_DEPTH_SERIALS);
  ASSERT_TRUE(check.status.ok()) << check.status.error_message();
  const v1::ConsistencyFinding* behind = Find(check, zone, v1::FINDING_KIND_SERIAL_BEHIND);
  ASSERT_NE(behind, nullptr);
  EXPECT_EQ(behind->truth_serial(), changed.serial());
  EXPECT_LT(behind->server_serial(), changed.serial());
  EXPECT_NE(behind->propagation_state(), v1::PROPAGATION_STATE_IN_SYNC);
  EXPECT_EQ(check.findings.size(), 1u);
  // The zone is there, only behind: nothing at depth ZONES.
  Checked zones_only = Check("standby-1", v1::CONSISTENCY_DEPTH_ZONES);
  ASSERT_TRUE(zones_only.status.ok());
  EXPECT_TRUE(zones_only.findings.empty());

  // Per-server views: the zone is not in sync on the standby's server only.
  v1::ListZonesRequest list;
  list.set_server("standby-1");
  list.add_propagation_states(v1::PROPAGATION_STATE_PENDING);
  list.add_propagation_states(v1::PROPAGATION_STATE_ERROR);
  list.add_propagation_states(v1::PROPAGATION_STATE_SKIPPED);
  v1::ListZonesResponse listed;
  ASSERT_TRUE(Zones()->ListZones(Context().get(), list, &listed).ok());
  ASSERT_EQ(listed.zones_size(), 1);
  EXPECT_EQ(listed.zones(0).name(), zone);
  ASSERT_EQ(listed.zones(0).propagation_size(), 1);
  EXPECT_EQ(listed.zones(0).propagation(0).server(), "standby-1");
  EXPECT_EQ(listed.zones(0).propagation(0).desired_serial(), changed.serial());
  list.set_server("shared-a");
  ASSERT_TRUE(Zones()->ListZones(Context().get(), list, &listed).ok());
  EXPECT_EQ(listed.zones_size(), 0);
  v1::GetServerRequest get;
  get.set_name("standby-1");
  v1::Server server;
  ASSERT_TRUE(Servers()->GetServer(Context().get(), get, &server).ok());
  EXPECT_GE(server.propagation_counts().pending() + server.propagation_counts().error(), 1);

  // Past the grace, the sweep calls it drift.
  std::vector<v1::ConsistencyEvent> events = EventsUntil(before_events, [&](const auto& e) {
    return HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "standby-1", zone);
  });
  ASSERT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND, "standby-1", zone));

  ASSERT_TRUE(standby_->ResumeReplay().ok());
  ASSERT_TRUE(WaitFor([&] { return AllInSync(zone); }));
  EXPECT_TRUE(Fleet::ServesSerial(*standby_pdns_, zone, changed.serial()));
  events = EventsUntil(before_events, [&](const auto& e) {
    return HasEvent(e, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "standby-1", zone);
  });
  EXPECT_TRUE(HasEvent(events, v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED, "standby-1", zone));
}

TEST_F(ConsistencyTest, AReconcileInterruptedByAKillFinishesAfterTheRestart) {
  // Eight zones lost by the API server behind the service's back.
  for (int i = 10; i < 18; ++i) {
    auto code = fleet_->api().ApiRequest("DELETE",
                                         "/api/v1/servers/localhost/zones/" + ZoneName(i));
    ASSERT_TRUE(code.ok() && *code == 204);
  }
  v1::ReconcileServerResponse applied = Reconcile("api-1", false, false, "reconcile-kill");
  ASSERT_EQ(applied.actions_total(), 8);
  ASSERT_TRUE(fleet_->replica(0).Kill().ok());
  ASSERT_TRUE(fleet_->replica(0).Restart().ok());
  ASSERT_TRUE(WaitFor([&] {
    for (int i = 10; i < 18; ++i) {
      if (ApiZoneBody(ZoneName(i)).empty()) return false;
    }
    return true;
  }));
  ASSERT_TRUE(WaitFor([&] {
    Checked now = Check("api-1", v1::CONSISTENCY_DEPTH_CONTENT);
    return now.status.ok() && now.findings.empty();
  }));
  // The retry after the restart answers the stored result.
  v1::ReconcileServerResponse again = Reconcile("api-1", false, false, "reconcile-kill");
  EXPECT_EQ(again.event_id(), applied.event_id());
}

TEST_F(ConsistencyTest, DeleteZoneReportsEachServersOutcome) {
  CreateZone("doomed.example.");
  ASSERT_TRUE(WaitFor([&] { return AllInSync("doomed.example."); }));
  v1::DeleteZoneRequest req;
  req.set_zone("doomed.example.");
  *req.mutable_propagation_timeout() = Seconds(30);
  google::protobuf::Empty empty;
  auto context = Context();
  auto st = Zones()->DeleteZone(context.get(), req, &empty);
  ASSERT_TRUE(st.ok()) << st.error_message();
  auto trailer = context->GetServerTrailingMetadata();
  auto it = trailer.find("dns-propagation-bin");
  ASSERT_NE(it, trailer.end());
  v1::PropagationReport report;
  ASSERT_TRUE(report.ParseFromString(std::string(it->second.data(), it->second.size())));
  EXPECT_EQ(report.zone(), "doomed.example.");
  ASSERT_EQ(report.servers_size(), 4);
  for (const auto& s : report.servers()) {
    EXPECT_EQ(s.state(), v1::PROPAGATION_STATE_IN_SYNC) << s.ShortDebugString();
  }
  EXPECT_EQ(ApiZoneBody("doomed.example."), "");
}

TEST_F(ConsistencyTest, BadInputIsRefusedWithTheField) {
  struct Bad {
    v1::CheckConsistencyRequest req;
    const char* field;
  };
  std::vector<Bad> bad(5);
  bad[0].req.set_server("Not A Name");
  bad[0].field = "server";
  bad[1].req.set_depth(static_cast<v1::ConsistencyDepth>(42));
  bad[1].field = "depth";
  bad[2].req.set_batch_size(5000);
  bad[2].field = "batch_size";
  bad[3].req.add_zones("bad..zone");
  bad[3].field = "zones[0]";
  bad[4].req.set_name_prefix(std::string("a\x01", 2));
  bad[4].field = "name_prefix";
  for (const Bad& b : bad) {
    Checked c = Check(b.req);
    EXPECT_EQ(c.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << b.field;
    EXPECT_EQ(DetailsOf(c.status).violations.count(b.field), 1u) << b.field;
  }
  Checked unknown = Check("no-such-server", v1::CONSISTENCY_DEPTH_SERIALS);
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::Status st;
  Reconcile("", true, false, "", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(DetailsOf(st).violations.count("server"), 1u);
  Reconcile("no-such-server", true, false, "", &st);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ListZonesRequest list;
  list.add_propagation_states(v1::PROPAGATION_STATE_ERROR);
  v1::ListZonesResponse listed;
  st = Zones()->ListZones(Context().get(), list, &listed);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(DetailsOf(st).violations.count("propagation_states"), 1u);
  list.set_server("no-such-server");
  st = Zones()->ListZones(Context().get(), list, &listed);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  list.set_server("api-1");
  list.set_propagation_states(0, static_cast<v1::PropagationState>(9));
  st = Zones()->ListZones(Context().get(), list, &listed);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext context;
  v1::WatchConsistencyRequest watch;
  watch.add_kinds(static_cast<v1::FindingKind>(77));
  auto reader = Servers()->WatchConsistency(&context, watch);
  v1::ConsistencyEvent event;
  EXPECT_FALSE(reader->Read(&event));
  st = reader->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(DetailsOf(st).violations.count("kinds[0]"), 1u);
}

}  // namespace
}  // namespace dns::testing
