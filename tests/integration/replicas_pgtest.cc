// Two dnsd replicas on one database with a real fleet: commits reach the
// other replica through LISTEN/NOTIFY, leases of a killed replica are taken
// over, and the periodic jobs move to the survivor.
#include <atomic>
#include <map>
#include <mutex>
#include <random>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "tests/integration/fleet.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool AllInSyncAt(const v1::Zone& zone, uint32_t serial, int servers = 3) {
  if (zone.propagation_size() != servers) return false;
  for (const auto& p : zone.propagation()) {
    if (p.state() != v1::PROPAGATION_STATE_IN_SYNC || p.applied_serial() < serial) return false;
  }
  return true;
}

v1::Zone GetZone(std::shared_ptr<grpc::Channel> channel, const std::string& name,
                 bool full = false) {
  auto zones = v1::ZoneService::NewStub(channel);
  v1::GetZoneRequest req;
  req.set_zone(name);
  if (full) req.set_view(v1::ZONE_VIEW_FULL);
  v1::Zone zone;
  auto status = zones->GetZone(Context().get(), req, &zone);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return zone;
}

v1::ChangeRRsetsRequest ReplaceA(const std::string& zone, const std::string& name,
                                 const std::string& ip, int wait_s) {
  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  auto* c = req.add_changes();
  c->set_changetype(v1::CHANGE_TYPE_REPLACE);
  c->mutable_rrset()->set_name(name);
  c->mutable_rrset()->set_type("A");
  c->mutable_rrset()->set_ttl(60);
  c->mutable_rrset()->add_records()->set_content(ip);
  if (wait_s > 0) *req.mutable_propagation_timeout() = Seconds(wait_s);
  return req;
}

// A replica that pushes nothing itself: every push is the other's, known
// only from its notifications (both sweep once a minute, far longer than
// the call waits), and the waiting caller learns of the progress the same
// way.
TEST(ReplicasTest, TheOtherReplicaPushesAndTheWaitingCallerHearsOfIt) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  const int a = fleet.StartReplica({"--propagation_workers=0", "--propagation_sweep=60s"});
  const int b = fleet.StartReplica({"--propagation_sweep=60s"});
  ASSERT_GE(b, 0);
  ASSERT_NO_FATAL_FAILURE(fleet.Register(a));

  auto zones = v1::ZoneService::NewStub(fleet.channel(a));
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("notified.test");
  *create.mutable_propagation_timeout() = Seconds(20);
  v1::Zone created;
  auto status = zones->CreateZone(Context().get(), create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(AllInSyncAt(created, created.serial())) << created.DebugString();

  auto records = v1::RecordService::NewStub(fleet.channel(a));
  v1::ChangeRRsetsResponse changed;
  status = records->ChangeRRsets(Context().get(), ReplaceA("notified.test", "www", "192.0.2.7", 20),
                                 &changed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(changed.propagation_size(), 3);
  for (const auto& p : changed.propagation()) {
    EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC) << p.server() << " " << p.last_error();
    EXPECT_EQ(p.applied_serial(), changed.serial());
  }
  EXPECT_TRUE(fleet.ServedEverywhere("notified.test.", changed.serial()));
  // A claimed nothing: every push in the log is B's.
  EXPECT_THAT(fleet.replica(a).ReadLog(), Not(HasSubstr(" propagation request_id=")));
  EXPECT_THAT(fleet.replica(b).ReadLog(), HasSubstr(" propagation request_id="));
}

// Writers on both replicas, one replica killed (-9) and restarted: every
// acknowledged write ends on every server, writes acknowledged by the
// survivor are confirmed everywhere within the wait, and no server is shown
// IN_SYNC at a serial it does not serve.
TEST(ReplicasTest, AKilledReplicaLosesNothing) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  const int a = fleet.StartReplica({});
  const int b = fleet.StartReplica({});
  ASSERT_GE(b, 0);
  ASSERT_NO_FATAL_FAILURE(fleet.Register(b));
  constexpr int kZones = 6;
  auto zones_b = v1::ZoneService::NewStub(fleet.channel(b));
  for (int z = 0; z < kZones; ++z) {
    v1::CreateZoneRequest create;
    create.mutable_zone()->set_name(absl::StrCat("kill", z, ".test"));
    v1::Zone created;
    ASSERT_TRUE(zones_b->CreateZone(Context().get(), create, &created).ok());
  }

  // Each write sets its own name: every acknowledged one must survive.
  std::mutex mu;
  std::map<std::string, std::set<std::string>> acknowledged;  // zone -> names
  std::atomic<bool> a_dead{false};
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0};
  auto writer = [&](int w) {
    std::mt19937 rng(w);
    for (int n = 0; !stop; ++n) {
      const std::string zone = absl::StrCat("kill", rng() % kZones, ".test.");
      const std::string name = absl::StrCat("w", w, "-", n);
      const std::string request_id = absl::StrCat("req-", w, "-", n);
      v1::ChangeRRsetsRequest req = ReplaceA(zone, name, "192.0.2.9", 0);
      req.set_request_id(request_id);
      // Alternate replicas; a call to the dead one is retried on the other
      // with the same request id, as a client behind a load balancer would.
      bool done = false;
      for (int attempt = 0; attempt < 4 && !done; ++attempt) {
        const int via = (a_dead || (n + attempt) % 2 == 1) ? b : a;
        auto stub = v1::RecordService::NewStub(fleet.channel(via));
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        v1::ChangeRRsetsResponse resp;
        done = stub->ChangeRRsets(&ctx, req, &resp).ok();
      }
      if (!done) {
        ++failed;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu);
      acknowledged[zone].insert(name + "." + zone);
    }
  };
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) writers.emplace_back(writer, w);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  ASSERT_TRUE(fleet.replica(a).Kill().ok());
  a_dead = true;

  // Writes acknowledged by the survivor right after the kill are confirmed
  // on every server within the wait, leases of the dead one or not.
  auto records_b = v1::RecordService::NewStub(fleet.channel(b));
  absl::Duration slowest;
  for (int z = 0; z < kZones; ++z) {
    const absl::Time start = absl::Now();
    v1::ChangeRRsetsResponse resp;
    auto status = records_b->ChangeRRsets(
        Context().get(), ReplaceA(absl::StrCat("kill", z, ".test."), "after-kill", "192.0.2.10", 15),
        &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
    slowest = std::max(slowest, absl::Now() - start);
    for (const auto& p : resp.propagation()) {
      EXPECT_EQ(p.state(), v1::PROPAGATION_STATE_IN_SYNC)
          << "kill" << z << " " << p.server() << ": " << p.last_error();
    }
  }
  std::printf("slowest confirmation on the survivor after the kill: %s\n",
              absl::FormatDuration(slowest).c_str());

  ASSERT_TRUE(fleet.replica(a).Restart().ok());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0);

  for (int z = 0; z < kZones; ++z) {
    const std::string zone = absl::StrCat("kill", z, ".test.");
    v1::Zone now;
    for (int i = 0; i < 600; ++i) {
      now = GetZone(fleet.channel(b), zone);
      if (AllInSyncAt(now, now.serial())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(AllInSyncAt(now, now.serial())) << now.DebugString();
    const v1::Zone full = GetZone(fleet.channel(b), zone, /*full=*/true);
    std::set<std::string> names;
    for (const auto& r : full.rrsets()) names.insert(r.name());
    for (const std::string& name : acknowledged[zone]) {
      EXPECT_TRUE(names.count(name)) << name << " acknowledged but lost";
    }
    EXPECT_EQ(fleet.ApiServerZone(zone), Fleet::Canon(full)) << zone;
    // IN_SYNC is only ever shown at a serial the server serves.
    EXPECT_TRUE(fleet.ServedEverywhere(zone, full.serial())) << zone;
  }
}

// The periodic jobs run on one replica; kill it and the other leads within
// a second or two.
TEST(ReplicasTest, TheOtherReplicaTakesTheJobsOverWhenTheLeaderDies) {
  Fleet fleet;
  ASSERT_NO_FATAL_FAILURE(fleet.StartServers());
  const int a = fleet.StartReplica({"--housekeeping_interval=1s"});
  const int b = fleet.StartReplica({"--housekeeping_interval=1s"});
  ASSERT_GE(b, 0);
  auto leads = [&](int i) { return absl::StrContains(fleet.Http(i, "/metrics"), "\ndnsd_leader 1"); };
  int leader = -1;
  for (int i = 0; i < 100 && leader < 0; ++i) {
    if (leads(a)) leader = a;
    if (leads(b)) leader = leader < 0 ? b : -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(leader, 0) << "exactly one leader expected";
  const int other = leader == a ? b : a;
  EXPECT_FALSE(leads(other));
  ASSERT_TRUE(fleet.replica(leader).Kill().ok());
  bool took_over = false;
  for (int i = 0; i < 100 && !took_over; ++i) {
    took_over = leads(other);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(took_over);
  // And its jobs run there now.
  bool ran = false;
  for (int i = 0; i < 50 && !ran; ++i) {
    ran = absl::StrContains(fleet.Http(other, "/metrics"),
                            "dnsd_job_runs_total{job=\"prune_journal\",outcome=\"ok\"}");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ran);
  EXPECT_THAT(fleet.replica(other).ReadLog(), HasSubstr("this replica leads the periodic jobs"));
}

}  // namespace
}  // namespace dns::testing
