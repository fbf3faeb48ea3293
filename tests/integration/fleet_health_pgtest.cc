// The health monitor on a real fleet (PostgreSQL, two SHARED_DB and one API
// pdns_server) with two dnsd replicas: a killed server becomes UNAVAILABLE
// after the threshold and HEALTHY after the recovery, with the events
// streamed by the replica that did not check; a frozen server's checks time
// out without holding back the others'; alerts are raised and cleared once;
// watchers resume without gaps or repeats, far-behind ones over several
// streams, compacted ones with OUT_OF_RANGE; the leader's death moves the
// monitor; retention drops whole partitions.
//
// Waits are bounded polls; nothing asserts how long something took.
#include <csignal>
#include <mutex>
#include <thread>

#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "tests/integration/fleet.h"

namespace dns::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using google::protobuf::util::TimeUtil;

const std::vector<std::string> kMonitorFlags = {
    "--health_check_interval=1s", "--health_check_timeout=4s", "--watch_heartbeat=1s",
    "--health_zone_check_interval=1s",
    "--housekeeping_interval=2s", "--log_level=info"};

// Reads one WatchHealth stream on a thread of its own.
class Watcher {
 public:
  Watcher(std::shared_ptr<grpc::Channel> channel, v1::WatchHealthRequest request)
      : stub_(v1::ServerService::NewStub(channel)) {
    context_.set_wait_for_ready(true);
    reader_ = stub_->WatchHealth(&context_, request);
    thread_ = std::thread([this] {
      v1::HealthEvent e;
      while (reader_->Read(&e)) {
        std::lock_guard<std::mutex> lock(mu_);
        if (e.type() == v1::HEALTH_EVENT_TYPE_HEARTBEAT) {
          ++heartbeats_;
        } else {
          events_.push_back(e);
        }
      }
      grpc::Status status = reader_->Finish();
      std::lock_guard<std::mutex> lock(mu_);
      status_ = status;
      done_ = true;
    });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }

  std::vector<v1::HealthEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<int64_t> ids() {
    std::vector<int64_t> out;
    for (const auto& e : events()) out.push_back(e.id());
    return out;
  }
  int heartbeats() {
    std::lock_guard<std::mutex> lock(mu_);
    return heartbeats_;
  }
  bool done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  grpc::Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

  // Polls (every 100 ms, up to `limit`) until `pred` holds for the events.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration limit = absl::Seconds(60)) {
    const absl::Time end = absl::Now() + limit;
    while (absl::Now() < end) {
      if (pred(events())) return true;
      if (done()) return pred(events());
      absl::SleepFor(absl::Milliseconds(100));
    }
    return pred(events());
  }

 private:
  std::unique_ptr<v1::ServerService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::HealthEvent>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<v1::HealthEvent> events_;
  int heartbeats_ = 0;
  bool done_ = false;
  grpc::Status status_;
};

// resume_after absent: only new events.
v1::WatchHealthRequest Watch(std::vector<std::string> servers,
                             std::optional<int64_t> resume_after = std::nullopt,
                             std::vector<v1::HealthEventType> types = {}) {
  v1::WatchHealthRequest req;
  for (const auto& s : servers) req.add_servers(s);
  for (auto t : types) req.add_event_types(t);
  if (resume_after) req.set_resume_after(*resume_after);
  return req;
}

auto StatusBecame(const std::string& server, v1::ServerStatus to) {
  return [server, to](const std::vector<v1::HealthEvent>& events) {
    for (const auto& e : events) {
      if (e.type() == v1::HEALTH_EVENT_TYPE_STATUS_CHANGED && e.server() == server &&
          e.to_status() == to) {
        return true;
      }
    }
    return false;
  };
}

v1::Server GetServer(std::shared_ptr<grpc::Channel> channel, const std::string& name) {
  auto stub = v1::ServerService::NewStub(channel);
  v1::GetServerRequest req;
  req.set_name(name);
  v1::Server server;
  auto status = stub->GetServer(Context().get(), req, &server);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return server;
}

bool WaitForStatus(std::shared_ptr<grpc::Channel> channel, const std::string& name,
                   v1::ServerStatus want, absl::Duration limit = absl::Seconds(60)) {
  const absl::Time end = absl::Now() + limit;
  while (absl::Now() < end) {
    if (GetServer(channel, name).status() == want) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

void SetMaintenance(std::shared_ptr<grpc::Channel> channel, const std::string& name, bool on) {
  auto stub = v1::ServerService::NewStub(channel);
  v1::UpdateServerRequest req;
  req.mutable_server()->set_name(name);
  req.mutable_server()->set_maintenance(on);
  req.mutable_update_mask()->add_paths("maintenance");
  v1::Server out;
  auto status = stub->UpdateServer(Context().get(), req, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

int64_t SampleCount(std::shared_ptr<grpc::Channel> channel, const std::string& name,
                    absl::Time since) {
  auto stub = v1::ServerService::NewStub(channel);
  v1::GetServerMetricsRequest req;
  req.set_name(name);
  *req.mutable_start_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(since));
  v1::GetServerMetricsResponse resp;
  auto status = stub->GetServerMetrics(Context().get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp.sample_count();
}

// One fleet for the suite: the tests run in order and leave it healthy.
class FleetHealthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fleet_ = new Fleet();
    fleet_->StartServers();
    ASSERT_EQ(fleet_->StartReplica(kMonitorFlags), 0);
    ASSERT_EQ(fleet_->StartReplica(kMonitorFlags), 1);
    fleet_->Register(0);
  }
  static void TearDownTestSuite() {
    delete fleet_;
    fleet_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(fleet_, nullptr);
    for (const char* s : {"shared-a", "shared-b", "api-1"}) {
      ASSERT_TRUE(WaitForStatus(fleet_->channel(0), s, v1::SERVER_STATUS_HEALTHY)) << s;
    }
  }

  static Fleet* fleet_;
};

Fleet* FleetHealthTest::fleet_ = nullptr;

TEST_F(FleetHealthTest, AKilledServerIsUnavailableThenHealthyAndTheOtherReplicaStreamsIt) {
  Watcher watcher(fleet_->channel(1), Watch({"api-1"}));
  // Heartbeats show the stream is alive while nothing happens.
  ASSERT_TRUE(watcher.WaitFor([&](const auto&) { return watcher.heartbeats() > 0; },
                              absl::Seconds(20)));
  ASSERT_TRUE(fleet_->api().Kill().ok());
  ASSERT_TRUE(watcher.WaitFor(StatusBecame("api-1", v1::SERVER_STATUS_UNAVAILABLE)))
      << fleet_->replica(0).LogTail();
  v1::Server down = GetServer(fleet_->channel(1), "api-1");
  EXPECT_EQ(down.status(), v1::SERVER_STATUS_UNAVAILABLE);
  EXPECT_THAT(down.status_reason(), Not(IsEmpty()));
  // The others were not touched.
  EXPECT_EQ(GetServer(fleet_->channel(1), "shared-a").status(), v1::SERVER_STATUS_HEALTHY);

  ASSERT_TRUE(fleet_->api().Restart().ok());
  ASSERT_TRUE(watcher.WaitFor(StatusBecame("api-1", v1::SERVER_STATUS_HEALTHY)));
  EXPECT_EQ(GetServer(fleet_->channel(1), "api-1").status_reason(), "");
  // Events only for the server asked for, in increasing id order, and the
  // failing DNS probe said once, not every round.
  std::vector<int64_t> ids = watcher.ids();
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  int probe_failures = 0;
  for (const auto& e : watcher.events()) {
    EXPECT_EQ(e.server(), "api-1");
    if (e.type() == v1::HEALTH_EVENT_TYPE_CHECK_FAILED && e.alert() == "dns_probe") {
      ++probe_failures;
    }
  }
  EXPECT_EQ(probe_failures, 1);
}

TEST_F(FleetHealthTest, AFrozenServersChecksTimeOutWithoutHoldingBackTheOthers) {
  const absl::Time since = absl::Now();
  ASSERT_TRUE(fleet_->api().Signal(SIGSTOP).ok());
  Watcher watcher(fleet_->channel(0), Watch({"api-1"}));
  const bool down = watcher.WaitFor(StatusBecame("api-1", v1::SERVER_STATUS_UNAVAILABLE));

  auto stub = v1::ServerService::NewStub(fleet_->channel(1));
  v1::CheckServerHealthRequest req;
  req.set_name("api-1");
  v1::HealthReport report;
  grpc::Status checked = stub->CheckServerHealth(Context().get(), req, &report);
  const int64_t frozen_rounds = SampleCount(fleet_->channel(0), "api-1", since);
  const int64_t other_rounds = SampleCount(fleet_->channel(0), "shared-a", since);
  const v1::ServerStatus other = GetServer(fleet_->channel(0), "shared-a").status();
  ASSERT_TRUE(fleet_->api().Signal(SIGCONT).ok());

  ASSERT_TRUE(down);
  ASSERT_TRUE(checked.ok()) << checked.error_message();
  bool api_timed_out = false;
  for (const auto& c : report.checks()) {
    // Cut by the round's bound or by the client's own timeout under it.
    if (c.name() == "api") {
      api_timed_out = !c.passed() && (absl::StrContains(c.message(), "no answer") ||
                                      absl::StrContains(c.message(), "timed out"));
    }
  }
  EXPECT_TRUE(api_timed_out) << report.DebugString();
  EXPECT_EQ(report.status(), v1::SERVER_STATUS_UNAVAILABLE);
  // Each frozen round waits out its 4 s bound; the healthy server's rounds
  // go on at their 1 s interval meanwhile.
  EXPECT_GE(frozen_rounds, 3);
  EXPECT_GT(other_rounds, frozen_rounds);
  EXPECT_EQ(other, v1::SERVER_STATUS_HEALTHY);
  ASSERT_TRUE(WaitForStatus(fleet_->channel(0), "api-1", v1::SERVER_STATUS_HEALTHY));
}

TEST_F(FleetHealthTest, ADriftedZoneRaisesAnAlertOnceAndASyncClearsIt) {
  auto zones = v1::ZoneService::NewStub(fleet_->channel(0));
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("drift.example.");
  *create.mutable_propagation_timeout() = Seconds(20);
  v1::Zone zone;
  ASSERT_TRUE(zones->CreateZone(Context().get(), create, &zone).ok());
  Watcher watcher(fleet_->channel(1),
                  Watch({"api-1"}, std::nullopt,
                        {v1::HEALTH_EVENT_TYPE_ALERT_RAISED, v1::HEALTH_EVENT_TYPE_ALERT_CLEARED}));
  // Someone deletes it on the server behind the service's back.
  ASSERT_EQ(*fleet_->api().ApiRequest("DELETE", "/api/v1/servers/localhost/zones/drift.example."),
            204);
  auto raised = [](const std::vector<v1::HealthEvent>& events) {
    for (const auto& e : events) {
      if (e.type() == v1::HEALTH_EVENT_TYPE_ALERT_RAISED && e.alert() == "zones_out_of_sync") {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(watcher.WaitFor(raised));
  v1::Server server = GetServer(fleet_->channel(0), "api-1");
  EXPECT_THAT(server.active_alerts(), Contains("zones_out_of_sync"));

  v1::SyncZoneRequest sync;
  sync.set_zone("drift.example.");
  v1::SyncZoneResponse synced;
  ASSERT_TRUE(zones->SyncZone(Context().get(), sync, &synced).ok());
  ASSERT_TRUE(watcher.WaitFor([](const std::vector<v1::HealthEvent>& events) {
    for (const auto& e : events) {
      if (e.type() == v1::HEALTH_EVENT_TYPE_ALERT_CLEARED && e.alert() == "zones_out_of_sync") {
        return true;
      }
    }
    return false;
  }));
  int raises = 0;
  for (const auto& e : watcher.events()) {
    if (e.type() == v1::HEALTH_EVENT_TYPE_ALERT_RAISED) ++raises;
  }
  EXPECT_EQ(raises, 1);
  EXPECT_THAT(GetServer(fleet_->channel(0), "api-1").active_alerts(), IsEmpty());
  // The metrics port shows the alert state.
  EXPECT_THAT(fleet_->Http(0, "/metrics"), HasSubstr("dnsd_server_alert{"));
}

TEST_F(FleetHealthTest, AResumeMissesNothingAndRepeatsNothing) {
  const auto filter = Watch({"shared-b"}, std::nullopt, {v1::HEALTH_EVENT_TYPE_STATUS_CHANGED});
  Watcher all(fleet_->channel(1), filter);
  ASSERT_TRUE(all.WaitFor([&](const auto&) { return all.heartbeats() > 0; }, absl::Seconds(20)));
  for (int i = 0; i < 3; ++i) {
    SetMaintenance(fleet_->channel(0), "shared-b", true);
    SetMaintenance(fleet_->channel(0), "shared-b", false);
  }
  ASSERT_TRUE(all.WaitFor([](const auto& events) { return events.size() >= 6; }));
  const std::vector<int64_t> first = all.ids();
  // Resume after the second event, on the other replica, while more come.
  v1::WatchHealthRequest resume = filter;
  resume.set_resume_after(first[1]);
  Watcher resumed(fleet_->channel(0), resume);
  SetMaintenance(fleet_->channel(0), "shared-b", true);
  SetMaintenance(fleet_->channel(0), "shared-b", false);
  ASSERT_TRUE(WaitForStatus(fleet_->channel(0), "shared-b", v1::SERVER_STATUS_HEALTHY));
  const size_t total = all.ids().size();
  ASSERT_TRUE(resumed.WaitFor([&](const auto& events) { return events.size() + 2 >= total; }));
  absl::SleepFor(absl::Seconds(1));  // anything extra (a repeat) would show by now
  std::vector<int64_t> everything = all.ids();
  std::vector<int64_t> want(everything.begin() + 2, everything.end());
  EXPECT_THAT(resumed.ids(), ElementsAreArray(want));
}

TEST_F(FleetHealthTest, WatchRefusesBadInput) {
  auto stub = v1::ServerService::NewStub(fleet_->channel(0));
  for (auto req : {Watch({"Bad Name"}), Watch({}, -5),
                   Watch({}, std::nullopt, {v1::HEALTH_EVENT_TYPE_HEARTBEAT})}) {
    grpc::ClientContext context;
    auto reader = stub->WatchHealth(&context, req);
    v1::HealthEvent e;
    EXPECT_FALSE(reader->Read(&e));
    grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << req.DebugString();
    EXPECT_FALSE(DetailsOf(status).violations.empty());
  }
  v1::GetServerMetricsRequest metrics;
  metrics.set_name("api-1");
  *metrics.mutable_step() = TimeUtil::SecondsToDuration(-1);
  v1::GetServerMetricsResponse resp;
  EXPECT_EQ(stub->GetServerMetrics(Context().get(), metrics, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::CheckServerHealthRequest check;
  check.set_name("nope");
  v1::HealthReport report;
  EXPECT_EQ(stub->CheckServerHealth(Context().get(), check, &report).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(FleetHealthTest, MetricsHistoryIsDownsampledAndOldPartitionsAreDropped) {
  // A day long gone, with a sample in it: the leader's housekeeping (every
  // 2 s here) drops its partition whole.
  auto made = fleet_->pg().Psql(
      "dns",
      "SELECT dnsv1.ensure_health_partitions(now() - interval '40 days', 0);"
      "INSERT INTO dnsv1.health_samples (time, server, good, status, cpu)"
      " VALUES (now() - interval '40 days', 'api-1', true, 1, 5);"
      "SELECT 'dnsv1.health_samples_' || to_char((now() - interval '40 days') AT TIME ZONE 'UTC',"
      " 'YYYYMMDD');");
  ASSERT_TRUE(made.ok()) << made.status();
  const std::string old_partition(absl::StripAsciiWhitespace(
      made->substr(made->rfind("dnsv1.health_samples_"))));
  bool dropped = false;
  for (int i = 0; i < 300 && !dropped; ++i) {
    auto exists = fleet_->pg().Psql("dns", absl::StrCat("SELECT to_regclass('", old_partition,
                                                        "') IS NULL"));
    dropped = exists.ok() && absl::StrContains(*exists, "t");
    if (!dropped) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(dropped) << old_partition;
  // Today's and the next days' partitions exist.
  auto parts = fleet_->pg().Psql(
      "dns", "SELECT count(*) FROM pg_inherits WHERE inhparent = 'dnsv1.health_samples'::regclass");
  ASSERT_TRUE(parts.ok());
  EXPECT_GE(std::stoi(std::string(absl::StripAsciiWhitespace(*parts))), 3);

  auto stub = v1::ServerService::NewStub(fleet_->channel(1));
  v1::GetServerMetricsRequest req;
  req.set_name("shared-a");
  *req.mutable_step() = TimeUtil::SecondsToDuration(60);
  req.add_metrics("dns_probe");
  req.add_metrics("api");
  v1::GetServerMetricsResponse resp;
  ASSERT_TRUE(stub->GetServerMetrics(Context().get(), req, &resp).ok());
  ASSERT_EQ(resp.series_size(), 2);
  EXPECT_EQ(resp.series(0).name(), "dns_probe");
  EXPECT_EQ(resp.series(0).unit(), "ms");
  EXPECT_GT(resp.sample_count(), 0);
  EXPECT_GT(resp.availability(), 0);
  ASSERT_FALSE(resp.series(0).points().empty());
  for (const auto& p : resp.series(0).points()) {
    EXPECT_GE(p.max(), p.avg());
    EXPECT_GT(p.count(), 0);
    EXPECT_EQ(p.time().seconds() % 60, 0);  // buckets start on the step
  }
}

TEST_F(FleetHealthTest, LongRangesReadHourlyRollUpsThatMatchTheSamples) {
  // Three past hours of samples (one per 10 s) with cpu 10, 20 and 30, and
  // the roll-up started over so that it takes them in.
  auto made = fleet_->pg().Psql(
      "dns",
      "SELECT dnsv1.ensure_health_partitions(date_trunc('hour', now()) - interval '10 days', 1);"
      "INSERT INTO dnsv1.health_samples (time, server, good, status, cpu)"
      " SELECT t, 'shared-b', true, 1,"
      "  10 * (1 + floor(extract(epoch from t - (date_trunc('hour', now()) - interval '10 days'))"
      "  / 3600))"
      " FROM generate_series(date_trunc('hour', now()) - interval '10 days',"
      "  date_trunc('hour', now()) - interval '10 days' + interval '3 hours' - interval '1 s',"
      "  interval '10 s') t;"
      "DELETE FROM dnsv1.health_hourly; DELETE FROM dnsv1.health_rollup_state;");
  ASSERT_TRUE(made.ok()) << made.status();
  const int64_t base =
      (absl::ToUnixSeconds(absl::Now()) / 3600) * 3600 - int64_t{10} * 86400;
  bool rolled = false;
  for (int i = 0; i < 600 && !rolled; ++i) {
    auto n = fleet_->pg().Psql(
        "dns", "SELECT count(*) FROM dnsv1.health_hourly WHERE server = 'shared-b'"
               " AND hour < now() - interval '9 days'");
    rolled = n.ok() && absl::StripAsciiWhitespace(*n) == "3";
    if (!rolled) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(rolled);
  auto stub = v1::ServerService::NewStub(fleet_->channel(0));
  auto query = [&](int step_s) {
    v1::GetServerMetricsRequest req;
    req.set_name("shared-b");
    req.add_metrics("cpu");
    // Ragged edges: half an hour before and after the three hours.
    *req.mutable_start_time() = TimeUtil::SecondsToTimestamp(base - 1800);
    *req.mutable_end_time() = TimeUtil::SecondsToTimestamp(base + 3 * 3600 + 1800);
    *req.mutable_step() = TimeUtil::SecondsToDuration(step_s);
    v1::GetServerMetricsResponse resp;
    grpc::Status status = stub->GetServerMetrics(Context().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  };
  // Hourly buckets: from the roll-ups.
  v1::GetServerMetricsResponse hourly = query(3600);
  ASSERT_EQ(hourly.series_size(), 1);
  ASSERT_EQ(hourly.series(0).points_size(), 3);
  for (int h = 0; h < 3; ++h) {
    const auto& p = hourly.series(0).points(h);
    EXPECT_EQ(p.time().seconds(), base + h * 3600);
    EXPECT_DOUBLE_EQ(p.avg(), 10.0 * (h + 1));
    EXPECT_DOUBLE_EQ(p.max(), 10.0 * (h + 1));
    EXPECT_EQ(p.count(), 360);
  }
  EXPECT_EQ(hourly.sample_count(), 1080);
  // Half-hour buckets: from the samples; the same totals.
  v1::GetServerMetricsResponse raw = query(1800);
  ASSERT_EQ(raw.series(0).points_size(), 6);
  EXPECT_EQ(raw.sample_count(), 1080);
  EXPECT_DOUBLE_EQ(raw.series(0).points(5).avg(), 30);
}

TEST_F(FleetHealthTest, ASubscriberThatFallsBehindIsEndedWithTheLastIdItGot) {
  // A replica whose watchers may lag two events; a burst of 3,000 events
  // committed at once (as a fleet-wide outage would bring) outruns any
  // client.
  std::vector<std::string> flags = kMonitorFlags;
  flags.push_back("--watch_buffer=2");
  const int small = fleet_->StartReplica(flags);
  ASSERT_GE(small, 0);
  Watcher watcher(fleet_->channel(small), Watch({"shared-a"}, std::nullopt,
                                                {v1::HEALTH_EVENT_TYPE_CHECK_FAILED}));
  ASSERT_TRUE(watcher.WaitFor([&](const auto&) { return watcher.heartbeats() > 0; },
                              absl::Seconds(20)));
  auto burst = fleet_->pg().Psql(
      "dns",
      "SELECT count(dnsv1.add_health_event(now(), 'CHECK_FAILED', 'shared-a', '', '',"
      " 'burst ' || i, 'burst', i, 0)) FROM generate_series(1, 3000) i");
  ASSERT_TRUE(burst.ok()) << burst.status();
  const absl::Time end = absl::Now() + absl::Seconds(60);
  while (!watcher.done() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(100));
  ASSERT_TRUE(watcher.done());
  const grpc::Status status = watcher.status();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  const ErrorDetails details = DetailsOf(status);
  EXPECT_EQ(details.reason, "SUBSCRIBER_TOO_SLOW");
  ASSERT_EQ(details.metadata.count("last_id"), 1u);
  const int64_t last_id = std::stoll(details.metadata.at("last_id"));
  const std::vector<int64_t> got = watcher.ids();
  EXPECT_EQ(last_id, got.empty() ? 0 : got.back());
  EXPECT_LT(got.size(), 3000u);
  // Resuming from there goes on with the very next event.
  if (last_id > 0) {
    Watcher resumed(fleet_->channel(small), Watch({"shared-a"}, last_id,
                                                  {v1::HEALTH_EVENT_TYPE_CHECK_FAILED}));
    ASSERT_TRUE(resumed.WaitFor([](const auto& events) { return !events.empty(); }));
    EXPECT_EQ(resumed.ids().front(), last_id + 1);
  }
}

// Last: it kills a replica.
TEST_F(FleetHealthTest, WhenTheLeaderDiesTheOtherReplicaMonitors) {
  int leader = -1;
  for (int i = 0; i < 3 && leader < 0; ++i) {
    if (absl::StrContains(fleet_->Http(i, "/metrics"), "dnsd_leader 1")) leader = i;
  }
  ASSERT_GE(leader, 0);
  const int survivor = leader == 0 ? 1 : 0;
  ASSERT_TRUE(fleet_->replica(leader).Kill().ok());
  const absl::Time killed = absl::Now();
  bool resumed = false;
  for (int i = 0; i < 300 && !resumed; ++i) {
    v1::Server s = GetServer(fleet_->channel(survivor), "shared-a");
    resumed = s.has_last_check_time() &&
              absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(s.last_check_time())) >
                  killed + absl::Seconds(1);
    if (!resumed) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(resumed) << fleet_->replica(survivor).LogTail();
  EXPECT_THAT(fleet_->Http(survivor, "/metrics"), HasSubstr("dnsd_leader 1"));
}

}  // namespace
}  // namespace dns::testing
