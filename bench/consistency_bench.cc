// CheckConsistency as a user runs it: --zones zones on the local stack's
// fleet (two SHARED_DB pdns_servers with PowerDNS's production caches, one
// API server), registered; dnsd at its defaults. Each round, alternated:
//   - a SERIALS check of every zone on every server (call to summary);
//   - a CONTENT check of every zone on the API server (call to summary);
//   - a minimal parallel client fetching every zone with GET /zones/{id}
//     from the same API server (--get_threads connections, as many as dnsd
//     keeps in flight to one server by default): the rate CONTENT is
//     compared with.
// Then (--rss_zones > 0) the zones are made up to --rss_zones and both checks
// run again while dnsd's resident memory is sampled every 50 ms.
//
//   consistency_bench [--zones=10000] [--rounds=3] [--rss_zones=100000]
#include <httplib.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/harness.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "google/protobuf/util/time_util.h"

ABSL_FLAG(int, zones, 10000, "Zones checked in the timed rounds.");
ABSL_FLAG(int, rounds, 3, "Alternating rounds (medians in the summary).");
ABSL_FLAG(int, get_threads, 8, "Connections of the minimal GET client.");
ABSL_FLAG(int, rss_zones, 100000, "Zones for the memory phase (0: skip it).");
ABSL_FLAG(int, create_threads, 8, "Threads creating the zones.");

namespace dns::bench {
namespace {

std::string ZoneName(int i) { return absl::StrFormat("cz%06d.bench.test.", i); }

struct CheckRun {
  double seconds = kNaN;
  int64_t zones = 0;
  int64_t findings = 0;
  bool complete = false;
};

CheckRun RunCheck(const std::string& target, const std::string& server,
                  v1::ConsistencyDepth depth) {
  auto stub = v1::ServerService::NewStub(NewChannel(target));
  v1::CheckConsistencyRequest req;
  req.set_server(server);
  req.set_depth(depth);
  req.set_batch_size(1000);
  CheckRun out;
  auto ctx = Ctx(1800);
  const Clock::time_point start = Clock::now();
  auto reader = stub->CheckConsistency(ctx.get(), req);
  v1::CheckConsistencyResponse message;
  bool complete = true;
  while (reader->Read(&message)) {
    out.findings += message.findings_size();
    if (message.has_summary()) {
      out.zones = message.summary().zones_in_scope();
      for (const auto& s : message.summary().servers()) complete = complete && s.complete();
    }
  }
  grpc::Status status = reader->Finish();
  out.seconds = Ms(Clock::now() - start) / 1000;
  out.complete = status.ok() && complete;
  if (!status.ok()) Note(absl::StrCat("CheckConsistency: ", StatusText(status)));
  return out;
}

// GET /zones/{id} for every zone, `threads` connections at once.
double RunMinimalClient(dt::PdnsServer& pdns, int zones, int threads, int64_t* failures) {
  std::atomic<int> next{0};
  std::atomic<int64_t> failed{0};
  const httplib::Headers headers = {{"X-API-Key", pdns.api_key()}};
  Clock::duration wall = RunThreads(threads, [&](int) {
    httplib::Client cli("127.0.0.1", pdns.api_port());
    cli.set_keep_alive(true);
    for (int i = next.fetch_add(1); i < zones; i = next.fetch_add(1)) {
      auto res = cli.Get(("/api/v1/servers/localhost/zones/" + ZoneName(i)).c_str(), headers);
      if (!res || res->status != 200) failed.fetch_add(1);
    }
  });
  *failures = failed.load();
  return Ms(wall) / 1000;
}

// dnsd's largest resident set while `body` runs, sampled every 50 ms.
template <typename Body>
double PeakRssDuring(pid_t pid, Body body) {
  std::atomic<bool> done{false};
  std::atomic<double> peak{0};
  std::thread sampler([&] {
    while (!done.load()) {
      const double rss = ReadProcStatus(pid).rss_mib;
      if (rss > peak.load()) peak.store(rss);
      absl::SleepFor(absl::Milliseconds(50));
    }
  });
  body();
  done.store(true);
  sampler.join();
  return peak.load();
}

int Run() {
  const int zones = absl::GetFlag(FLAGS_zones);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int get_threads = absl::GetFlag(FLAGS_get_threads);
  const int rss_zones = absl::GetFlag(FLAGS_rss_zones);
  absl::StatusOr<Environment> env = StartEnvironment();
  if (!env.ok()) return 1;
  std::unique_ptr<dt::PostgresServer> postgres = std::move(env->pg);
  std::unique_ptr<dt::DnsdProcess> daemon = std::move(env->dnsd);
  PdnsFleet fleet = std::move(env->fleet);
  const std::string target = daemon->target();

  Section(absl::StrCat("Setup: ", zones, " zones (apex, www, mail, MX, TXT) on every server"));
  if (!CreateHostedZones(target, 0, zones, absl::GetFlag(FLAGS_create_threads), ZoneName,
                         "192.0.2.10")) {
    return 1;
  }
  if (!WaitInSync(*postgres, absl::Minutes(30))) return 1;

  std::vector<double> serials, content, minimal, ratio;
  bool clean = true;
  for (int round = 1; round <= rounds; ++round) {
    Section(absl::StrCat("Round ", round));
    CheckRun s = RunCheck(target, "", v1::CONSISTENCY_DEPTH_SERIALS);
    Row("SERIALS, every server", absl::StrCat(F(s.seconds, " s"), " (", s.zones, " zones x 3 servers, ",
                                              s.findings, " findings)"));
    CheckRun c = RunCheck(target, kApiServer, v1::CONSISTENCY_DEPTH_CONTENT);
    const double content_rate = c.zones / c.seconds;
    Row("CONTENT, API server", absl::StrCat(F(c.seconds, " s"), " = ", F(content_rate, " zones/s"),
                                            " (", c.findings, " findings)"));
    int64_t failures = 0;
    const double m = RunMinimalClient(*fleet.api, zones, get_threads, &failures);
    const double minimal_rate = zones / m;
    Row(absl::StrCat("minimal client, ", get_threads, " connections"),
        absl::StrCat(F(m, " s"), " = ", F(minimal_rate, " zones/s"),
                     failures ? absl::StrCat(" (", failures, " failed)") : ""));
    clean = clean && s.complete && c.complete && s.findings == 0 && c.findings == 0 &&
            s.zones == zones && c.zones == zones && failures == 0;
    serials.push_back(s.seconds);
    content.push_back(content_rate);
    minimal.push_back(minimal_rate);
    ratio.push_back(content_rate / minimal_rate);
  }

  double peak_serials = kNaN, peak_content = kNaN;
  CheckRun big_serials, big_content;
  if (rss_zones > zones) {
    Section(absl::StrCat("Memory: ", rss_zones, " zones"));
    if (!CreateHostedZones(target, zones, rss_zones, absl::GetFlag(FLAGS_create_threads),
                           ZoneName, "192.0.2.10")) {
      return 1;
    }
    if (!WaitInSync(*postgres, absl::Minutes(60))) return 1;
    Row("dnsd resident before the checks", F(ReadProcStatus(daemon->pid()).rss_mib, " MiB"));
    peak_serials = PeakRssDuring(daemon->pid(), [&] {
      big_serials = RunCheck(target, "", v1::CONSISTENCY_DEPTH_SERIALS);
    });
    Row("SERIALS, every server",
        absl::StrCat(F(big_serials.seconds, " s"), ", ", big_serials.zones, " zones, ",
                     big_serials.findings, " findings; dnsd peak ", F(peak_serials, " MiB")));
    peak_content = PeakRssDuring(daemon->pid(), [&] {
      big_content = RunCheck(target, kApiServer, v1::CONSISTENCY_DEPTH_CONTENT);
    });
    Row("CONTENT, API server",
        absl::StrCat(F(big_content.seconds, " s"), ", ", big_content.zones, " zones, ",
                     big_content.findings, " findings; dnsd peak ", F(peak_content, " MiB")));
  }

  const double serials_m = Median(serials);
  const double ratio_m = Median(content) / Median(minimal);
  Section("Summary (medians of the rounds)");
  Row("SERIALS check, every server", Joined(serials, " s"));
  Row("CONTENT check, zones/s", Joined(content, ""));
  Row("minimal GET client, zones/s", Joined(minimal, ""));
  SummaryLine(absl::StrCat("SERIALS check of ", zones, " zones x 3 servers"), F(serials_m, " s"),
              "<= 5 s", Verdict(serials_m, 5, false));
  SummaryLine("CONTENT check rate / minimal GET client's", F(100 * ratio_m, " %"), ">= 80 %",
              Verdict(ratio_m, 0.8, true));
  if (rss_zones > zones) {
    const double peak = std::max(peak_serials, peak_content);
    SummaryLine(absl::StrCat("dnsd resident during a ", rss_zones, "-zone check"), F(peak, " MiB"),
                "<= 300 MB (286 MiB)", Verdict(peak, 286.1, false));
  }
  SummaryLine("every check complete, nothing found on a synced fleet", clean ? "yes" : "no",
              "yes", clean ? "PASS" : "FAIL");
  return 0;
}

}  // namespace
}  // namespace dns::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return dns::bench::Run();
}
