// ExecuteFailover as a user runs it: --zones hosted zones (apex and www on
// the failed address, plus mail, MX and TXT) on the local stack's fleet
// (two SHARED_DB pdns_servers with PowerDNS's production caches, one API
// server), registered; dnsd at its defaults. Each round moves every zone
// (scope all_zones) to the other address and times the call until every
// changed zone is confirmed over DNS on every server, and per server until
// it confirmed; then runs the original design's loop (the baseline script,
// one blocking PATCH per name and server) against the same servers on a
// sample of the same zones, writing the address they now have, and scales
// its time to --zones. Rounds alternate the two; the summary compares
// medians.
//
//   failover_bench [--zones=10000] [--rounds=3] [--baseline_sample=200]
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/harness.h"
#include "dns/v1/failover_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(int, zones, 10000, "Hosted zones on the failed address.");
ABSL_FLAG(int, rounds, 3, "Alternating failover/baseline rounds (medians in the summary).");
ABSL_FLAG(int, baseline_sample, 200,
          "Zones the baseline loop runs on per round (its time is scaled to --zones).");
ABSL_FLAG(int, create_threads, 8, "Threads creating the zones.");
ABSL_FLAG(std::string, baseline, DNS_SOURCE_DIR "/../shared/baselines/seed_failover.py",
          "The original design's failover loop.");

namespace dns::bench {
namespace {

using json = nlohmann::json;
using google::protobuf::util::TimeUtil;

constexpr char kAddressA[] = "192.0.2.10";
constexpr char kAddressB[] = "198.51.100.20";

std::string ZoneName(int i) { return absl::StrFormat("fo%05d.bench.test.", i); }

struct FailoverRound {
  double total_s = kNaN;                    // call to the DONE message
  double shared_s = kNaN;                   // call to the later SHARED_DB confirmation
  double api_s = kNaN;                      // call to the API server's confirmation
  double commit_s = kNaN;
  int zones = 0;
  bool ok = false;
};

FailoverRound RunFailover(const std::string& target, const std::string& from,
                          const std::string& to, int round) {
  Section(absl::StrCat("Round ", round, ": ExecuteFailover ", from, " -> ", to,
                       " (all zones, force) until every server confirmed over DNS"));
  auto stub = v1::FailoverService::NewStub(NewChannel(target));
  v1::ExecuteFailoverRequest req;
  req.set_from_ip(from);
  req.set_to_ip(to);
  req.mutable_scope()->set_all_zones(true);
  req.set_force(true);
  req.set_request_id(absl::StrCat("bench-failover-", round, "-", absl::ToUnixMicros(absl::Now())));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(15));
  const double epoch0 = EpochNow();
  const Clock::time_point t0 = Clock::now();
  auto reader = stub->ExecuteFailover(&context, req);
  v1::FailoverProgress message;
  v1::Failover last;
  int messages = 0;
  while (reader->Read(&message)) {
    ++messages;
    last = message.failover();
    if (message.stage() == v1::FAILOVER_PROGRESS_STAGE_COMMITTED) {
      Row("committed after", F(Ms(Clock::now() - t0) / 1000, " s", 2));
    }
  }
  grpc::Status status = reader->Finish();
  FailoverRound r;
  if (!status.ok()) {
    Note(absl::StrCat("ExecuteFailover: ", StatusText(status)));
    return r;
  }
  r.total_s = Ms(Clock::now() - t0) / 1000;
  r.ok = last.state() == v1::FAILOVER_STATE_SUCCEEDED;
  r.zones = last.plan().zones_changed();
  if (last.has_commit_time()) {
    r.commit_s = TimeUtil::TimestampToMicroseconds(last.commit_time()) / 1e6 - epoch0;
  }
  r.shared_s = 0;
  for (const auto& s : last.servers()) {
    const double at = s.has_confirm_time()
                          ? TimeUtil::TimestampToMicroseconds(s.confirm_time()) / 1e6 - epoch0
                          : kNaN;
    Row(absl::StrCat("  ", s.server()),
        absl::StrCat(v1::FailoverServerState_Name(s.state()), ", ", s.zones_confirmed(), " of ",
                     r.zones, " zones confirmed, at ", F(at, " s", 2)));
    if (s.mode() == v1::SERVER_MODE_SHARED_DB) {
      r.shared_s = std::isnan(at) ? kNaN : std::max(r.shared_s, at);
    } else {
      r.api_s = at;
    }
  }
  Row("state", absl::StrCat(v1::FailoverState_Name(last.state()), " ", last.error()));
  Row("zones changed / RRsets", absl::StrCat(r.zones, " / ", last.plan().rrsets_changed()));
  Row("progress messages", absl::StrCat(messages));
  Row("call to DONE", F(r.total_s, " s", 2));
  return r;
}

struct BaselineRound {
  double sample_s = kNaN;
  double scaled_s = kNaN;
  int64_t calls = 0;
  int64_t failures = 0;
};

BaselineRound RunBaseline(PdnsFleet& fleet, int sample, int zones, const std::string& ip,
                          int round) {
  Section(absl::StrCat("Round ", round, ": baseline loop on ", sample,
                       " of the zones (apex + www, every server, one PATCH each), ip ", ip));
  BaselineRound r;
  const std::string path = absl::GetFlag(FLAGS_baseline);
  if (!std::ifstream(path).good()) {
    Note(absl::StrCat("baseline script not found at ", path, "; skipped"));
    return r;
  }
  char list[] = "/tmp/failover-bench-zones-XXXXXX";
  const int fd = mkstemp(list);
  if (fd < 0) return r;
  close(fd);
  {
    std::ofstream out(list);
    for (int i = 0; i < sample; ++i) out << ZoneName(i) << "\n";
  }
  std::string command = absl::StrCat("/usr/bin/python3 ", path, " --zones ", list, " --ip ", ip,
                                     " --ttl 300");
  std::vector<dt::PdnsServer*> servers;
  for (auto& s : fleet.shared) servers.push_back(s.get());
  servers.push_back(fleet.api.get());
  for (dt::PdnsServer* s : servers) {
    absl::StrAppend(&command, " --server ", s->api_url(), "=", kApiKey);
  }
  absl::StatusOr<std::string> output = dt::RunCommand(command + " 2>&1");
  std::remove(list);
  if (!output.ok()) {
    Note(absl::StrCat("baseline: ", output.status().message()));
    return r;
  }
  json result = json::parse(std::string(absl::StripAsciiWhitespace(*output)), nullptr, false);
  if (!result.is_object()) {
    Note(absl::StrCat("baseline printed: ", *output));
    return r;
  }
  r.sample_s = result.value("seconds", kNaN);
  r.calls = result.value("calls", int64_t{0});
  r.failures = result.value("failures", int64_t{0});
  r.scaled_s = r.sample_s * zones / sample;
  Row("calls / failures", absl::StrCat(r.calls, " / ", r.failures));
  Row("seconds on the sample", F(r.sample_s, " s", 2));
  Row(absl::StrCat("scaled to ", zones, " zones"), F(r.scaled_s, " s", 0));
  return r;
}

int Main() {
  const int zones = absl::GetFlag(FLAGS_zones);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int sample = std::min(absl::GetFlag(FLAGS_baseline_sample), zones);
  absl::StatusOr<Environment> env = StartEnvironment();
  if (!env.ok()) return 1;
  std::unique_ptr<dt::PostgresServer> postgres = std::move(env->pg);
  std::unique_ptr<dt::DnsdProcess> daemon = std::move(env->dnsd);
  PdnsFleet fleet = std::move(env->fleet);
  const std::string target = daemon->target();

  Section(absl::StrCat("Setup: ", zones, " zones (apex, www on ", kAddressA,
                       "; mail, MX, TXT), pushed to every server"));
  if (!CreateHostedZones(target, 0, zones, absl::GetFlag(FLAGS_create_threads), ZoneName,
                         kAddressA)) {
    return 1;
  }
  const Clock::time_point sync0 = Clock::now();
  if (!WaitInSync(*postgres, absl::Minutes(30))) return 1;
  Row("in sync everywhere after", F(Ms(Clock::now() - sync0) / 1000, " s"));

  std::vector<double> total, shared, api, commit, baseline;
  bool all_ok = true;
  for (int round = 1; round <= rounds; ++round) {
    const bool forward = round % 2 == 1;
    const std::string from = forward ? kAddressA : kAddressB;
    const std::string to = forward ? kAddressB : kAddressA;
    FailoverRound f = RunFailover(target, from, to, round);
    all_ok = all_ok && f.ok && f.zones == zones;
    total.push_back(f.total_s);
    shared.push_back(f.shared_s);
    api.push_back(f.api_s);
    commit.push_back(f.commit_s);
    // Spot check over DNS: a zone's www on every server.
    for (int i : {0, zones / 2, zones - 1}) {
      for (auto* s : {fleet.shared[0].get(), fleet.shared[1].get(), fleet.api.get()}) {
        absl::StatusOr<std::string> a = s->Dig("www." + ZoneName(i), "A");
        if (!a.ok() || *a != to) {
          Note(absl::StrCat("www.", ZoneName(i), " answers ", a.ok() ? *a : "error"));
          all_ok = false;
        }
      }
    }
    BaselineRound b = RunBaseline(fleet, sample, zones, to, round);
    baseline.push_back(b.scaled_s);
  }

  const double total_m = Median(total);
  const double shared_m = Median(shared);
  const double baseline_m = Median(baseline);
  const double speedup = baseline_m / total_m;
  Section("Summary (medians of the rounds)");
  Row("ExecuteFailover, call to every server confirmed", Joined(total, " s"));
  Row("  commit", Joined(commit, " s"));
  Row("  SHARED_DB servers confirmed", Joined(shared, " s"));
  Row("  API server confirmed", Joined(api, " s"));
  Row(absl::StrCat("baseline loop, scaled from ", sample, " zones"), Joined(baseline, " s"));
  SummaryLine("failover of all zones confirmed on every server", F(total_m, " s"), "<= 60 s",
              Verdict(total_m, 60, false));
  SummaryLine("... on the SHARED_DB servers", F(shared_m, " s"), "<= 10 s",
              Verdict(shared_m, 10, false));
  SummaryLine("speed-up over the baseline loop", F(speedup, "x"), ">= 20x",
              Verdict(speedup, 20, true));
  SummaryLine("every round SUCCEEDED, answers checked over DNS", all_ok ? "yes" : "no", "yes",
              all_ok ? "PASS" : "FAIL");
  return 0;
}

}  // namespace
}  // namespace dns::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return dns::bench::Main();
}
