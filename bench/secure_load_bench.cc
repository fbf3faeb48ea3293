// secure_load_bench: what TLS and authentication cost under a realistic
// load, and that a server failure in the middle costs nothing.
//
// Two dnsd replicas on one database and one fleet (2 SHARED_DB + 1 API
// pdns_server, registered): the subject with TLS (--tls_cert_file/
// --tls_key_file) and authentication on, each client with its own bearer
// token; the baseline plaintext with --auth=false. Rounds alternate them.
// Each run: `clients` clients for `seconds`, 80 % GetRRset and 20 %
// ChangeRRsets (a new name per write, request ids, retried on UNAVAILABLE
// as a client would), the API server killed at a third of the run and
// restarted at half. Afterwards every acknowledged write must be in the
// truth and on the API server (compared RRset name by name) once the fleet
// is in sync. Prints throughput per run, the median ratio, and PASS/FAIL
// against the target (subject >= 85 % of the baseline, 0 unexpected errors).
//
//   secure_load_bench [--clients=50] [--seconds=60] [--rounds=3]
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/harness.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/support/process.h"

ABSL_FLAG(int, clients, 50, "Concurrent clients, each with its own channel and token.");
ABSL_FLAG(int, seconds, 60, "Length of each run.");
ABSL_FLAG(int, rounds, 3, "Alternating subject/baseline rounds (medians in the summary).");
ABSL_FLAG(bool, subject_tls, true, "The subject speaks TLS (false: to measure auth alone).");
ABSL_FLAG(bool, subject_auth, true, "The subject authenticates (false: to measure TLS alone).");

namespace dns::bench {
namespace {

namespace v1 = ::dns::v1;

std::string ClientZone(int i) { return absl::StrCat("load", i, ".bench.test."); }

// A throwaway CA and a server certificate for 127.0.0.1, made with the
// openssl command line in `dir`.
absl::Status MakeCertificates(const std::string& dir) {
  const std::string script = absl::StrCat(
      "set -e; cd '", dir, "';",
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
      " -out ca.crt -subj /CN=bench-ca -days 2 2>/dev/null;",
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key"
      " -out server.csr -subj /CN=localhost 2>/dev/null;",
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost' > san.ext;",
      "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
      " -out server.crt -days 2 -extfile san.ext 2>/dev/null");
  absl::StatusOr<std::string> out = dt::RunCommand(absl::StrCat("bash -c \"", script, "\""));
  return out.status();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Target {
  std::string label;
  std::string address;
  std::string ca_pem;                // empty: plaintext
  std::vector<std::string> tokens;  // empty: no authentication
};

struct RunResult {
  double ops_per_s = 0;
  int64_t reads = 0;
  int64_t writes = 0;
  int64_t unexpected = 0;
  int64_t retried = 0;
  Samples latency;
};

class Load {
 public:
  explicit Load(dt::PdnsServer& api) : api_(api) {}

  RunResult Run(const Target& target, int clients, int seconds, int round) {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int i = 0; i < clients; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per client
      std::shared_ptr<grpc::ChannelCredentials> creds =
          target.ca_pem.empty()
              ? grpc::InsecureChannelCredentials()
              : grpc::SslCredentials(grpc::SslCredentialsOptions{target.ca_pem, "", ""});
      channels.push_back(grpc::CreateCustomChannel(target.address, creds, args));
    }
    std::atomic<int64_t> reads{0}, writes{0}, unexpected{0}, retried{0};
    std::vector<Samples> latencies(clients);
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    std::thread chaos([&] {
      std::this_thread::sleep_for(std::chrono::seconds(seconds / 3));
      if (absl::Status s = api_.Kill(); !s.ok()) errors_.Add(absl::StrCat("kill: ", s.message()));
      std::this_thread::sleep_for(std::chrono::seconds(seconds / 2 - seconds / 3));
      if (absl::Status s = api_.Restart(); !s.ok()) {
        errors_.Add(absl::StrCat("restart: ", s.message()));
      }
    });
    const Clock::duration wall = RunThreads(clients, [&](int c) {
      auto records = v1::RecordService::NewStub(channels[c]);
      std::mt19937 rng(round * 1000 + c);
      const std::string token = target.tokens.empty() ? "" : target.tokens[c];
      for (int n = 0; Clock::now() < deadline; ++n) {
        const bool write = rng() % 5 == 0;
        const Clock::time_point start = Clock::now();
        grpc::Status st;
        if (write) {
          const std::string name = absl::StrCat(target.label, "-r", round, "-c", c, "-", n);
          v1::ChangeRRsetsRequest req = ReplaceWwwA(ClientZone(c), "192.0.2.77");
          req.mutable_changes(0)->mutable_rrset()->set_name(name);
          req.set_request_id(absl::StrCat(name, "-id"));
          for (int attempt = 0; attempt < 20; ++attempt) {
            auto ctx = Ctx(10);
            if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
            v1::ChangeRRsetsResponse resp;
            st = records->ChangeRRsets(ctx.get(), req, &resp);
            if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
            ++retried;
            std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
          }
          if (st.ok()) {
            std::lock_guard<std::mutex> lock(mu_);
            acknowledged_[ClientZone(c)].insert(absl::StrCat(name, ".", ClientZone(c)));
          }
          ++writes;
        } else {
          v1::GetRRsetRequest req;
          req.set_zone(ClientZone(static_cast<int>(rng() % clients)));
          req.set_name(req.zone());
          req.set_type("A");
          auto ctx = Ctx(10);
          if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
          v1::RRset out;
          st = records->GetRRset(ctx.get(), req, &out);
          ++reads;
        }
        latencies[c].Add(Ms(Clock::now() - start));
        if (!st.ok()) {
          ++unexpected;
          errors_.Add(absl::StrCat(target.label, ": ", StatusText(st)));
        }
      }
    });
    chaos.join();
    RunResult r;
    r.reads = reads;
    r.writes = writes;
    r.unexpected = unexpected;
    r.retried = retried;
    for (auto& s : latencies) r.latency.Merge(s);
    r.ops_per_s = static_cast<double>(reads + writes) / (Ms(wall) / 1000.0);
    return r;
  }

  std::map<std::string, std::set<std::string>> acknowledged() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_;
  }
  ErrorLog& errors() { return errors_; }

 private:
  dt::PdnsServer& api_;
  std::mutex mu_;
  std::map<std::string, std::set<std::string>> acknowledged_;
  ErrorLog errors_;
};

// The API server's owner names of `zone` (its RRsets' names).
std::set<std::string> ApiNames(dt::PdnsServer& api, const std::string& zone) {
  std::string body;
  std::set<std::string> names;
  auto code = api.ApiRequest("GET", "/api/v1/servers/localhost/zones/" + zone, &body);
  if (!code.ok() || *code != 200) {
    std::fprintf(stderr, "API server, zone %s: %s %s\n", zone.c_str(),
                 code.ok() ? absl::StrCat("HTTP ", *code).c_str() : code.status().ToString().c_str(),
                 body.substr(0, 200).c_str());
    return names;
  }
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("rrsets")) return names;
  for (const auto& r : parsed["rrsets"]) {
    names.insert(r["name"].get<std::string>());
  }
  return names;
}

int Main() {
  const int clients = absl::GetFlag(FLAGS_clients);
  const int seconds = std::max(6, absl::GetFlag(FLAGS_seconds));
  const int rounds = std::max(1, absl::GetFlag(FLAGS_rounds));

  absl::StatusOr<Environment> env = StartEnvironment();
  if (!env.ok()) return 1;
  char dir_template[] = "/tmp/secure-load-bench.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return 1;
  const std::string dir = dir_template;
  if (absl::Status s = MakeCertificates(dir); !s.ok()) {
    std::fprintf(stderr, "certificates: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  const bool tls = absl::GetFlag(FLAGS_subject_tls);
  const bool auth = absl::GetFlag(FLAGS_subject_auth);
  std::vector<std::string> subject_flags = {absl::StrCat("--auth=", auth ? "true" : "false")};
  if (tls) {
    subject_flags.push_back(absl::StrCat("--tls_cert_file=", dir, "/server.crt"));
    subject_flags.push_back(absl::StrCat("--tls_key_file=", dir, "/server.key"));
  }
  auto subject = StartDnsd(*env->pg, "dns", subject_flags, "dnsd (subject)");
  if (!subject.ok()) {
    std::fprintf(stderr, "dnsd with TLS: %s\n", std::string(subject.status().message()).c_str());
    return 1;
  }
  Target secure{"tls", (*subject)->target(), tls ? ReadFile(absl::StrCat(dir, "/ca.crt")) : "",
                {}};
  Target plain{"plain", env->dnsd->target(), "", {}};
  for (int i = 0; i < clients; ++i) {
    absl::StatusOr<std::string> secret = dt::CreateTokenOnDatabase(
        DNSD_PATH, env->pg->Url("dns"), absl::StrCat("load-", i), "editor");
    if (!secret.ok()) {
      std::fprintf(stderr, "token: %s\n", std::string(secret.status().message()).c_str());
      return 1;
    }
    if (auth) secure.tokens.push_back(*std::move(secret));
  }
  if (!CreateHostedZones(env->dnsd->target(), 0, clients, 8,
                         [](int i) { return ClientZone(i); }, "192.0.2.1")) {
    return 1;
  }
  Row("load", absl::StrCat(clients, " clients x ", seconds,
                           " s, 80 % GetRRset / 20 % ChangeRRsets, API server killed at ",
                           seconds / 3, " s and restarted at ", seconds / 2, " s"));

  Load load(*env->fleet.api);
  Section("Runs (operations per second)");
  std::vector<double> secure_ops, plain_ops, ratios;
  int64_t unexpected = 0;
  for (int round = 0; round < rounds; ++round) {
    // Alternate which goes first.
    for (int k = 0; k < 2; ++k) {
      const bool tls = (round + k) % 2 == 0;
      const Target& target = tls ? secure : plain;
      RunResult r = load.Run(target, clients, seconds, round);
      unexpected += r.unexpected;
      (tls ? secure_ops : plain_ops).push_back(r.ops_per_s);
      Row(absl::StrCat("round ", round + 1, " ", tls ? "TLS + auth" : "plaintext, no auth"),
          absl::StrCat(F(r.ops_per_s, " ops/s", 0), "  (", r.reads, " reads, ", r.writes,
                       " writes, ", r.retried, " retries after UNAVAILABLE, ", r.unexpected,
                       " unexpected errors; p50/p90/p99/max ", P50_90_99_Max(r.latency), ")"));
      // The fleet settles before the next run (the killed server catches up).
      if (!WaitInSync(*env->pg, absl::Minutes(5))) ++unexpected;
    }
    ratios.push_back(secure_ops.back() / plain_ops.back());
  }
  load.errors().Print();

  Section("Final state");
  int64_t lost = 0, missing_on_api = 0, checked = 0;
  auto zones = v1::ZoneService::NewStub(NewChannel(env->dnsd->target()));
  for (const auto& [zone, names] : load.acknowledged()) {
    v1::GetZoneRequest req;
    req.set_zone(zone);
    req.set_view(v1::ZONE_VIEW_FULL);
    v1::Zone full;
    grpc::Status st = zones->GetZone(Ctx(30).get(), req, &full);
    std::set<std::string> truth;
    for (const auto& r : full.rrsets()) truth.insert(r.name());
    const std::set<std::string> on_api = ApiNames(*env->fleet.api, zone);
    for (const std::string& name : names) {
      ++checked;
      if (!st.ok() || !truth.count(name)) ++lost;
      if (!on_api.count(name)) ++missing_on_api;
    }
    if (on_api != truth) {
      ++missing_on_api;
      std::fprintf(stderr, "zone %s: %zu names in the truth, %zu on the API server\n",
                   zone.c_str(), truth.size(), on_api.size());
    }
  }
  Row("acknowledged writes checked", absl::StrCat(checked));
  Row("lost from the truth", absl::StrCat(lost));
  Row("truth not equal on the API server", absl::StrCat(missing_on_api));

  Section("Summary");
  const double ratio = Median(ratios);
  Row("median TLS + auth", F(Median(secure_ops), " ops/s", 0));
  Row("median plaintext", F(Median(plain_ops), " ops/s", 0));
  SummaryLine("TLS + auth throughput / plaintext (median of rounds)", F(ratio * 100, " %"),
              ">= 85 %", Verdict(ratio * 100, 85, true));
  SummaryLine("unexpected errors", absl::StrCat(unexpected), "0",
              unexpected == 0 ? "PASS" : "FAIL");
  SummaryLine("acknowledged writes lost or not on every server",
              absl::StrCat(lost + missing_on_api), "0",
              lost + missing_on_api == 0 ? "PASS" : "FAIL");
  return 0;
}

}  // namespace
}  // namespace dns::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return dns::bench::Main();
}
