// dnsctl: the dns.v1 command line for people. Prints responses as JSON and
// errors with their reason and field violations.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <unistd.h>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dns/v1/audit_service.grpc.pb.h"
#include "dns/v1/failover_service.grpc.pb.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace {

namespace v1 = dns::v1;
using google::protobuf::util::TimeUtil;

constexpr char kUsage[] = R"(dnsctl: command line for the dns.v1 service

Usage: dnsctl [--server=HOST:PORT] [--token=T] [--request-id=ID] [--timeout=SECONDS]
              [--tls] [--tls_ca_file=PEM] [--tls_cert_file=PEM --tls_key_file=PEM] COMMAND ...
  (the bearer token is read from $DNSCTL_TOKEN or --token;
  TLS: --tls_ca_file ($DNSCTL_TLS_CA_FILE) verifies dnsd with that CA,
  --tls alone with the system's CAs; --tls_cert_file/--tls_key_file
  ($DNSCTL_TLS_CERT_FILE/$DNSCTL_TLS_KEY_FILE) add a client certificate (mTLS);
  --server defaults to $DNSCTL_SERVER or 127.0.0.1:50051; a --server
  value without ':' names a PowerDNS server instead, for the commands that
  take one, and dnsd is then reached at $DNSCTL_SERVER or the default)

  zone create NAME [--nameserver NS]... [--account A] [--customer C]
                   [--hosting-service H] [--kind native|master|slave]
                   [--master IP[:PORT]]... [--label KEY=VALUE]...
  zone get NAME [--full]
  zone list [--account A] [--customer C] [--hosting-service H] [--prefix P]
            [--page-size N] [--page-token T]
            [--server S --state in-sync|pending|error|skipped|out-of-sync]
                  (with a PowerDNS server: each zone's state there; --state
                  out-of-sync is every state but in-sync)
  zone update NAME [--etag E] [--account A] [--customer C] [--hosting-service H]
                   [--kind K] [--master M]... [--nameserver NS]... [--label K=V]...
  zone delete NAME [--etag E] [--allow-missing]
  zone export NAME
  zone import NAME FILE|-   [--account A] [--customer C] [--hosting-service H]
  rrset list ZONE [--name N] [--type T] [--page-size N] [--page-token T]
  rrset get ZONE NAME TYPE
  rrset replace ZONE NAME TYPE CONTENT... [--ttl N] [--expected-serial S] [--etag E]
  rrset delete ZONE NAME TYPE [--expected-serial S] [--etag E]
  zone sync NAME [--server-name S]... [--wait SECONDS]
  server register NAME --api-url URL --dns-address IP:PORT --mode shared-db|api
                  [--location L] [--capacity QPS] [--skip-check]
                  (the API key is read from $DNSCTL_API_KEY or --api-key)
  server get NAME
  server list [--location L] [--mode shared-db|api]
  server update NAME [--maintenance on|off] [--location L] [--capacity QPS]
                     [--api-url URL] [--dns-address IP:PORT] [--api-key KEY]
  server deregister NAME [--allow-missing]
  server health NAME [--json]
                  (runs every check now; one line per check: name, PASS/FAIL,
                  value, threshold, latency, message)
  server metrics NAME [--since DURATION] [--step DURATION] [--metric M]... [--json]
                  (DURATION like 90s, 15m, 1h, 7d; --since defaults to 1h;
                  per series one line per bucket: start, avg, max, samples)
  server watch [--server-name S]... [--type status|alert|check]...
               [--resume-after ID] [--json]
                  (health events as they happen, until the stream ends;
                  --resume-after ID first replays those after ID, 0 every
                  event kept; --timeout does not apply; --json prints every message,
                  heartbeats too, one JSON object a line)
  server reconcile NAME [--apply] [--delete-extra] [--depth zones|serials|content]
                   [--zone Z]... [--prefix P] [--account A] [--max-actions N] [--json]
                  (a dry run unless --apply: prints what would be repaired;
                  extra zones on the server are deleted only with --delete-extra)
  consistency check [--server S] [--depth zones|serials|content] [--zone Z]...
                    [--prefix P] [--account A] [--json]
                  (the truth against one or every server: a line per
                  finding, then a summary per server; exit 3 when anything
                  differs; --json prints every streamed message)
  consistency watch [--server-name S]... [--zone Z]... [--resume-after ID] [--json]
                  (drift found/resolved and reconcile events as they happen)
  failover plan FROM_IP TO_IP SCOPE [--apex-www-only] [--ttl N] [--json]
                  (SCOPE: --all, --zone Z..., --account A, --customer C or
                  --hosting-service H; prints the RRsets that would change
                  and the plan's checksum; changes nothing)
  failover execute FROM_IP TO_IP SCOPE [--apex-www-only] [--ttl N]
                   [--checksum C] [--force] [--json]
                  (commits it and follows it until every server confirmed:
                  a progress bar on a terminal, a line per update otherwise;
                  --checksum refuses if the plan changed since it was
                  reviewed; repeat with the printed --request-id to reattach)
  failover get ID [--json]
  failover list [--ip IP] [--state pending|propagating|succeeded|incomplete|failed]
                [--page-size N] [--page-token T]
  audit list [--zone Z] [--account A] [--actor NAME] [--rpc METHOD]
             [--since DURATION] [--page-size N] [--page-token T] [--json]
                  (newest first, one line per change: id, time, actor, method,
                  zone or target, serials, RRsets touched)
  audit get ID
                  (one change in full, with the RRsets before and after)
  audit revert ID [--force] [--wait SECONDS]
                  (puts the RRsets of that change back as they were before it,
                  as a new change; refused if they changed since, unless --force)
  domain provision DOMAIN [--ip IPV4] [--ipv6 IPV6] [--account A] [--customer C]
                   [--hosting-service H] [--nameserver NS]... [--ttl N]
                   [--rrset "NAME TYPE TTL CONTENT"]... [--label K=V]...
                   [--validate-only]
                  (the zone with apex and www A/AAAA and the given RRsets
                  under one serial)

Writes (zone create/update/delete/import, rrset replace/delete, domain
provision) take
--wait SECONDS: wait that long for every PowerDNS server to apply the change
and show each server's outcome.
)";

struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> options;

  bool Has(const std::string& key) const { return options.count(key) > 0; }
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    auto it = options.find(key);
    return it == options.end() ? fallback : it->second;
  }
  std::vector<std::string> All(const std::string& key) const {
    std::vector<std::string> out;
    auto [begin, end] = options.equal_range(key);
    for (auto it = begin; it != end; ++it) out.push_back(it->second);
    return out;
  }
};

// Options that take no value.
bool IsSwitch(const std::string& key) {
  return key == "full" || key == "allow-missing" || key == "help" || key == "skip-check" ||
         key == "json" || key == "all" || key == "apex-www-only" || key == "force" ||
         key == "validate-only" || key == "apply" || key == "delete-extra" || key == "tls";
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--") && arg.size() > 2) {
      std::string key = arg.substr(2);
      std::string value;
      auto eq = key.find('=');
      if (eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else if (!IsSwitch(key) && i + 1 < argc) {
        value = argv[++i];
      } else {
        value = "true";
      }
      args.options.emplace(key, value);
    } else {
      args.positional.push_back(arg);
    }
  }
  return args;
}

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "dnsctl: " << message << "\n";
  std::exit(2);
}

// `message` as JSON: indented, or on one line when `compact`.
std::string ToJson(const google::protobuf::Message& message, bool compact = false) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = !compact;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

void PrintJson(const google::protobuf::Message& message) { std::cout << ToJson(message); }

// The ErrorInfo metadata `key` in the details of `status`; empty if absent.
std::string ErrorMetadata(const grpc::Status& status, const std::string& key) {
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    auto it = info.metadata().find(key);
    if (it != info.metadata().end()) return it->second;
  }
  return "";
}

int Report(const grpc::Status& status, grpc::ClientContext& context) {
  auto id = context.GetServerInitialMetadata().find("x-request-id");
  std::string request_id =
      id == context.GetServerInitialMetadata().end() ? "" : std::string(id->second.data(), id->second.size());
  std::cerr << "error: " << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))
            << ": " << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::ErrorInfo info;
      google::rpc::BadRequest bad;
      if (any.UnpackTo(&info)) {
        std::cerr << "  reason: " << info.reason() << "\n";
      } else if (any.UnpackTo(&bad)) {
        for (const auto& v : bad.field_violations()) {
          std::cerr << "  field " << v.field() << ": " << v.description() << "\n";
        }
      }
    }
  }
  if (!request_id.empty()) std::cerr << "  request_id: " << request_id << "\n";
  return 1;
}

// "90s", "15m", "1h", "7d" (or a sum such as "1h30m") in seconds; false on
// anything else: no unit, a sign, a fraction, zero, more than 100 years.
bool ParseDuration(const std::string& text, int64_t* seconds) {
  constexpr int64_t kMax = int64_t{100} * 365 * 86400;
  const std::string s = absl::AsciiStrToLower(text);
  if (s.empty()) return false;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    const size_t start = i;
    while (i < s.size() && absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start || i == s.size() || i - start > 12) return false;
    int64_t count = 0;
    if (!absl::SimpleAtoi(s.substr(start, i - start), &count)) return false;
    int64_t unit = 0;
    switch (s[i++]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return false;
    }
    if (count > kMax / unit) return false;
    total += count * unit;
    if (total > kMax) return false;
  }
  if (total <= 0) return false;
  *seconds = total;
  return true;
}

// A figure without trailing zeros: "5000", "0.25", "12.5", "0.0001234".
std::string Figure(double value) {
  char buf[64];
  if (std::isfinite(value) && std::fabs(value) < 1e15 && value == std::floor(value)) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  if (!std::isfinite(value) || std::fabs(value) >= 1) {
    std::snprintf(buf, sizeof buf, "%.3f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", value);
  }
  std::string out = buf;
  if (out.find('.') != std::string::npos && out.find('e') == std::string::npos) {
    out.erase(out.find_last_not_of('0') + 1);
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

double Millis(const google::protobuf::Duration& d) { return d.seconds() * 1e3 + d.nanos() / 1e6; }

std::string Rfc3339(const google::protobuf::Timestamp& t) { return TimeUtil::ToString(t); }

// An enum value name without its prefix, in lower case ("degraded").
std::string Word(const std::string& name, const std::string& prefix, int value) {
  if (name.empty()) return absl::StrCat(value);
  return absl::AsciiStrToLower(absl::StartsWith(name, prefix) ? name.substr(prefix.size()) : name);
}

std::string StatusWord(v1::ServerStatus status) {
  return Word(v1::ServerStatus_Name(status), "SERVER_STATUS_", status);
}

std::string EventWord(v1::HealthEventType type) {
  return Word(v1::HealthEventType_Name(type), "HEALTH_EVENT_TYPE_", type);
}

// Prints `rows` as columns two spaces apart, each as wide as its widest cell;
// the columns marked in `right` are right-aligned.
void PrintTable(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right,
                const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      const std::string pad(widths[c] - row[c].size(), ' ');
      const bool align_right = c < right.size() && right[c];
      line += align_right ? pad + row[c] : row[c] + pad;
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::cout << line << "\n";
  }
}

void PrintHealth(const v1::HealthReport& report) {
  std::cout << "server:  " << report.server() << "\n";
  std::cout << "status:  " << StatusWord(report.status()) << "\n";
  if (!report.status_reason().empty()) std::cout << "reason:  " << report.status_reason() << "\n";
  std::cout << "version: " << report.version() << "\n";
  if (report.has_check_time()) std::cout << "checked: " << Rfc3339(report.check_time()) << "\n";
  std::vector<std::string> alerts(report.active_alerts().begin(), report.active_alerts().end());
  std::cout << "alerts:  " << (alerts.empty() ? "none" : absl::StrJoin(alerts, ", ")) << "\n";
  if (report.checks().empty()) return;
  std::cout << "checks:\n";
  auto with_unit = [](double value, const std::string& unit) {
    return unit.empty() ? Figure(value) : absl::StrCat(Figure(value), " ", unit);
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& check : report.checks()) {
    rows.push_back({check.name(), check.passed() ? "PASS" : "FAIL",
                    check.has_value() ? with_unit(check.value(), check.unit()) : "",
                    check.has_threshold() ? "> " + with_unit(check.threshold(), check.unit()) : "",
                    Figure(Millis(check.latency())) + " ms", check.message()});
  }
  PrintTable(rows, {false, false, true, false, true, false}, "  ");
}

void PrintMetrics(const v1::GetServerMetricsResponse& metrics) {
  char availability[32];
  std::snprintf(availability, sizeof availability, "%.2f%%", metrics.availability() * 100);
  std::cout << "samples:      " << metrics.sample_count() << "\n";
  std::cout << "availability: " << availability << "\n";
  if (metrics.has_step()) std::cout << "step:         " << Figure(Millis(metrics.step()) / 1e3) << "s\n";
  for (const auto& series : metrics.series()) {
    std::cout << "\n" << series.name();
    if (!series.unit().empty()) std::cout << " (" << series.unit() << ")";
    std::cout << "\n";
    if (series.points().empty()) {
      std::cout << "  (no samples)\n";
      continue;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& point : series.points()) {
      rows.push_back({Rfc3339(point.time()), Figure(point.avg()), Figure(point.max()),
                      absl::StrCat(point.count())});
    }
    PrintTable(rows, {false, true, true, true}, "  ");
  }
}

// One line for a health event: id, time, server, type, then what happened.
std::string FormatEvent(const v1::HealthEvent& event) {
  std::string line = absl::StrCat(event.id(), " ", Rfc3339(event.time()), " ", event.server(), " ",
                                  EventWord(event.type()));
  switch (event.type()) {
    case v1::HEALTH_EVENT_TYPE_STATUS_CHANGED:
      absl::StrAppend(&line, " ", StatusWord(event.from_status()), " -> ",
                      StatusWord(event.to_status()));
      break;
    case v1::HEALTH_EVENT_TYPE_ALERT_RAISED:
    case v1::HEALTH_EVENT_TYPE_ALERT_CLEARED:
      absl::StrAppend(&line, " alert=", event.alert(), " value=", Figure(event.value()),
                      " threshold=", Figure(event.threshold()));
      return line;
    case v1::HEALTH_EVENT_TYPE_CHECK_FAILED:
      absl::StrAppend(&line, " check=", event.alert());
      break;
    default:
      break;
  }
  if (!event.reason().empty()) absl::StrAppend(&line, " ", event.reason());
  return line;
}

v1::ZoneKind ParseKind(const std::string& kind) {
  std::string k = absl::AsciiStrToLower(kind);
  if (k == "native") return v1::ZONE_KIND_NATIVE;
  if (k == "master" || k == "primary") return v1::ZONE_KIND_MASTER;
  if (k == "slave" || k == "secondary") return v1::ZONE_KIND_SLAVE;
  Fail("--kind must be native, master or slave");
}

void FillZoneAttributes(const Args& args, v1::Zone* zone, std::vector<std::string>* paths) {
  auto set = [&](const char* option, const char* path, auto setter) {
    if (!args.Has(option)) return;
    setter(args.Get(option));
    if (paths) paths->push_back(path);
  };
  set("account", "account", [&](const std::string& v) { zone->set_account(v); });
  set("customer", "customer_id", [&](const std::string& v) { zone->set_customer_id(v); });
  set("hosting-service", "hosting_service_id",
      [&](const std::string& v) { zone->set_hosting_service_id(v); });
  set("kind", "kind", [&](const std::string& v) { zone->set_kind(ParseKind(v)); });
  for (const auto& ns : args.All("nameserver")) zone->add_nameservers(ns);
  if (paths && args.Has("nameserver")) paths->push_back("nameservers");
  for (const auto& m : args.All("master")) zone->add_masters(m);
  if (paths && args.Has("master")) paths->push_back("masters");
  for (const auto& label : args.All("label")) {
    std::pair<std::string, std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
    (*zone->mutable_labels())[kv.first] = kv.second;
  }
  if (paths && args.Has("label")) paths->push_back("labels");
}

v1::ServerMode ParseMode(const std::string& mode) {
  std::string m = absl::AsciiStrToLower(mode);
  if (m == "shared-db" || m == "shared_db") return v1::SERVER_MODE_SHARED_DB;
  if (m == "api") return v1::SERVER_MODE_API;
  Fail("--mode must be shared-db or api");
}

class Cli {
 public:
  Cli(const Args& args, std::shared_ptr<grpc::Channel> channel)
      : args_(args),
        zones_(v1::ZoneService::NewStub(channel)),
        records_(v1::RecordService::NewStub(channel)),
        servers_(v1::ServerService::NewStub(channel)),
        failovers_(v1::FailoverService::NewStub(channel)),
        audit_(v1::AuditService::NewStub(channel)) {}

  int Run() {
    const auto& p = args_.positional;
    if (p.size() < 2) Fail("missing command; see dnsctl --help");
    const std::string group = p[0], command = p[1];
    if (group == "zone") return Zone(command);
    if (group == "rrset") return RRset(command);
    if (group == "server") return Server(command);
    if (group == "failover") return Failover(command);
    if (group == "domain") return Domain(command);
    if (group == "consistency") return Consistency(command);
    if (group == "audit") return Audit(command);
    Fail("unknown command group '" + group + "'");
  }

 private:
  const std::string& Arg(size_t index, const char* what) {
    if (args_.positional.size() <= index) Fail(std::string("missing ") + what);
    return args_.positional[index];
  }

  // --wait SECONDS as a Duration (unset: answer at commit).
  google::protobuf::Duration Wait() {
    google::protobuf::Duration d;
    if (!args_.Has("wait")) return d;
    double seconds = 0;
    if (!absl::SimpleAtod(args_.Get("wait"), &seconds) || seconds < 0) Fail("--wait takes seconds");
    d.set_seconds(static_cast<int64_t>(seconds));
    d.set_nanos(static_cast<int32_t>((seconds - d.seconds()) * 1e9));
    return d;
  }

  // A DURATION option (90s, 15m, 1h, 7d) in seconds.
  int64_t DurationOption(const std::string& key) {
    int64_t seconds = 0;
    if (!ParseDuration(args_.Get(key), &seconds)) {
      Fail("--" + key + " takes a duration like 90s, 15m, 1h or 7d, not '" + args_.Get(key) + "'");
    }
    return seconds;
  }

  // Sets the --timeout deadline (unless `deadline` is false: a watch runs
  // until the stream ends) and the request id.
  void Prepare(grpc::ClientContext& context, bool deadline = true) {
    double seconds = 30;
    if (args_.Has("timeout") && !absl::SimpleAtod(args_.Get("timeout"), &seconds)) {
      Fail("--timeout takes seconds");
    }
    if (deadline) {
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    }
    if (args_.Has("request-id")) context.AddMetadata("x-request-id", args_.Get("request-id"));
    // The token from --token, else $DNSCTL_TOKEN (better: not in the
    // process list).
    std::string token = args_.Has("token") ? args_.Get("token") : "";
    if (token.empty()) {
      const char* env = std::getenv("DNSCTL_TOKEN");
      if (env != nullptr) token = env;
    }
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  }

  template <typename Stub, typename Method, typename Request, typename Response>
  int Call(Stub& stub, Method method, const Request& request, Response* response) {
    grpc::ClientContext context;
    Prepare(context);
    grpc::Status status = (stub.*method)(&context, request, response);
    if (!status.ok()) return Report(status, context);
    return 0;
  }

  int Zone(const std::string& command) {
    if (command == "create") {
      v1::CreateZoneRequest req;
      req.mutable_zone()->set_name(Arg(2, "zone name"));
      FillZoneAttributes(args_, req.mutable_zone(), nullptr);
      req.set_request_id(args_.Get("request-id"));
      *req.mutable_propagation_timeout() = Wait();
      v1::Zone resp;
      return Print(Call(*zones_, &v1::ZoneService::Stub::CreateZone, req, &resp), resp);
    }
    if (command == "get") {
      v1::GetZoneRequest req;
      req.set_zone(Arg(2, "zone name"));
      if (args_.Has("full")) req.set_view(v1::ZONE_VIEW_FULL);
      v1::Zone resp;
      return Print(Call(*zones_, &v1::ZoneService::Stub::GetZone, req, &resp), resp);
    }
    if (command == "list") {
      v1::ListZonesRequest req;
      req.set_account(args_.Get("account"));
      req.set_customer_id(args_.Get("customer"));
      req.set_hosting_service_id(args_.Get("hosting-service"));
      req.set_name_prefix(args_.Get("prefix"));
      req.set_page_token(args_.Get("page-token"));
      req.set_server(PdnsServerOption());
      for (const auto& option : args_.All("state")) {
        for (absl::string_view part : absl::StrSplit(option, ',', absl::SkipEmpty())) {
          const std::string state = absl::AsciiStrToLower(part);
          if (state == "in-sync" || state == "in_sync") {
            req.add_propagation_states(v1::PROPAGATION_STATE_IN_SYNC);
          } else if (state == "pending") {
            req.add_propagation_states(v1::PROPAGATION_STATE_PENDING);
          } else if (state == "error") {
            req.add_propagation_states(v1::PROPAGATION_STATE_ERROR);
          } else if (state == "skipped") {
            req.add_propagation_states(v1::PROPAGATION_STATE_SKIPPED);
          } else if (state == "out-of-sync" || state == "out_of_sync") {
            req.add_propagation_states(v1::PROPAGATION_STATE_PENDING);
            req.add_propagation_states(v1::PROPAGATION_STATE_ERROR);
            req.add_propagation_states(v1::PROPAGATION_STATE_SKIPPED);
          } else {
            Fail("--state must be in-sync, pending, error, skipped or out-of-sync, not '" +
                 state + "'");
          }
        }
      }
      int size = 0;
      if (args_.Has("page-size") && !absl::SimpleAtoi(args_.Get("page-size"), &size)) {
        Fail("--page-size takes a number");
      }
      req.set_page_size(size);
      v1::ListZonesResponse resp;
      return Print(Call(*zones_, &v1::ZoneService::Stub::ListZones, req, &resp), resp);
    }
    if (command == "update") {
      v1::UpdateZoneRequest req;
      req.mutable_zone()->set_name(Arg(2, "zone name"));
      req.mutable_zone()->set_etag(args_.Get("etag"));
      std::vector<std::string> paths;
      FillZoneAttributes(args_, req.mutable_zone(), &paths);
      for (const auto& path : paths) req.mutable_update_mask()->add_paths(path);
      req.set_request_id(args_.Get("request-id"));
      *req.mutable_propagation_timeout() = Wait();
      v1::Zone resp;
      return Print(Call(*zones_, &v1::ZoneService::Stub::UpdateZone, req, &resp), resp);
    }
    if (command == "delete") {
      v1::DeleteZoneRequest req;
      req.set_zone(Arg(2, "zone name"));
      req.set_etag(args_.Get("etag"));
      req.set_allow_missing(args_.Has("allow-missing"));
      req.set_request_id(args_.Get("request-id"));
      *req.mutable_propagation_timeout() = Wait();
      google::protobuf::Empty resp;
      int rc = Call(*zones_, &v1::ZoneService::Stub::DeleteZone, req, &resp);
      if (rc == 0) std::cout << "deleted " << req.zone() << "\n";
      return rc;
    }
    if (command == "export") {
      v1::ExportZoneRequest req;
      req.set_zone(Arg(2, "zone name"));
      v1::ExportZoneResponse resp;
      int rc = Call(*zones_, &v1::ZoneService::Stub::ExportZone, req, &resp);
      if (rc == 0) std::cout << resp.zone_file();
      return rc;
    }
    if (command == "import") {
      v1::ImportZoneRequest req;
      req.mutable_zone()->set_name(Arg(2, "zone name"));
      FillZoneAttributes(args_, req.mutable_zone(), nullptr);
      const std::string& path = Arg(3, "zone file (or - for stdin)");
      std::stringstream text;
      if (path == "-") {
        text << std::cin.rdbuf();
      } else {
        std::ifstream file(path);
        if (!file) Fail("cannot read " + path);
        text << file.rdbuf();
      }
      req.set_zone_file(text.str());
      req.set_request_id(args_.Get("request-id"));
      *req.mutable_propagation_timeout() = Wait();
      v1::Zone resp;
      return Print(Call(*zones_, &v1::ZoneService::Stub::ImportZone, req, &resp), resp);
    }
    if (command == "sync") {
      v1::SyncZoneRequest req;
      req.set_zone(Arg(2, "zone name"));
      for (const auto& server : args_.All("server-name")) req.add_servers(server);
      if (args_.Has("wait")) *req.mutable_timeout() = Wait();
      v1::SyncZoneResponse resp;
      return Print(Call(*zones_, &v1::ZoneService::Stub::SyncZone, req, &resp), resp);
    }
    Fail("unknown zone command '" + command + "'");
  }

  int RRset(const std::string& command) {
    if (command == "list") {
      v1::ListRRsetsRequest req;
      req.set_zone(Arg(2, "zone name"));
      req.set_name(args_.Get("name"));
      req.set_type(args_.Get("type"));
      req.set_page_token(args_.Get("page-token"));
      int size = 0;
      if (args_.Has("page-size") && !absl::SimpleAtoi(args_.Get("page-size"), &size)) {
        Fail("--page-size takes a number");
      }
      req.set_page_size(size);
      v1::ListRRsetsResponse resp;
      return Print(Call(*records_, &v1::RecordService::Stub::ListRRsets, req, &resp), resp);
    }
    if (command == "get") {
      v1::GetRRsetRequest req;
      req.set_zone(Arg(2, "zone name"));
      req.set_name(Arg(3, "record name"));
      req.set_type(Arg(4, "record type"));
      v1::RRset resp;
      return Print(Call(*records_, &v1::RecordService::Stub::GetRRset, req, &resp), resp);
    }
    if (command == "replace" || command == "delete") {
      v1::ChangeRRsetsRequest req;
      req.set_zone(Arg(2, "zone name"));
      auto* change = req.add_changes();
      change->set_changetype(command == "replace" ? v1::CHANGE_TYPE_REPLACE
                                                  : v1::CHANGE_TYPE_DELETE);
      change->mutable_rrset()->set_name(Arg(3, "record name"));
      change->mutable_rrset()->set_type(Arg(4, "record type"));
      if (command == "replace") {
        Arg(5, "record content");
        for (size_t i = 5; i < args_.positional.size(); ++i) {
          change->mutable_rrset()->add_records()->set_content(args_.positional[i]);
        }
        if (args_.Has("ttl")) {  // else the service's default
          uint32_t ttl = 0;
          if (!absl::SimpleAtoi(args_.Get("ttl"), &ttl)) Fail("--ttl takes seconds");
          change->mutable_rrset()->set_ttl_seconds(ttl);  // --ttl 0 means 0
        }
      }
      if (args_.Has("expected-serial")) {
        uint32_t serial = 0;
        if (!absl::SimpleAtoi(args_.Get("expected-serial"), &serial)) Fail("--expected-serial takes a number");
        req.set_expected_serial(serial);
      }
      req.set_etag(args_.Get("etag"));
      req.set_request_id(args_.Get("request-id"));
      *req.mutable_propagation_timeout() = Wait();
      v1::ChangeRRsetsResponse resp;
      return Print(Call(*records_, &v1::RecordService::Stub::ChangeRRsets, req, &resp), resp);
    }
    Fail("unknown rrset command '" + command + "'");
  }

  int Server(const std::string& command) {
    if (command == "register") {
      v1::RegisterServerRequest req;
      auto* server = req.mutable_server();
      server->set_name(Arg(2, "server name"));
      server->set_api_url(args_.Get("api-url"));
      const char* env_key = std::getenv("DNSCTL_API_KEY");
      server->set_api_key(args_.Get("api-key", env_key ? env_key : ""));
      server->set_dns_address(args_.Get("dns-address"));
      server->set_location(args_.Get("location"));
      if (args_.Has("mode")) server->set_mode(ParseMode(args_.Get("mode")));
      uint32_t capacity = 0;
      if (args_.Has("capacity") && !absl::SimpleAtoi(args_.Get("capacity"), &capacity)) {
        Fail("--capacity takes a number");
      }
      server->set_capacity_qps(capacity);
      req.set_skip_check(args_.Has("skip-check"));
      req.set_request_id(args_.Get("request-id"));
      v1::Server resp;
      return Print(Call(*servers_, &v1::ServerService::Stub::RegisterServer, req, &resp), resp);
    }
    if (command == "get") {
      v1::GetServerRequest req;
      req.set_name(Arg(2, "server name"));
      v1::Server resp;
      return Print(Call(*servers_, &v1::ServerService::Stub::GetServer, req, &resp), resp);
    }
    if (command == "list") {
      v1::ListServersRequest req;
      req.set_location(args_.Get("location"));
      if (args_.Has("mode")) req.set_mode(ParseMode(args_.Get("mode")));
      req.set_page_token(args_.Get("page-token"));
      v1::ListServersResponse resp;
      return Print(Call(*servers_, &v1::ServerService::Stub::ListServers, req, &resp), resp);
    }
    if (command == "update") {
      v1::UpdateServerRequest req;
      auto* server = req.mutable_server();
      server->set_name(Arg(2, "server name"));
      auto* mask = req.mutable_update_mask();
      if (args_.Has("maintenance")) {
        const std::string v = absl::AsciiStrToLower(args_.Get("maintenance"));
        if (v != "on" && v != "off" && v != "true" && v != "false") Fail("--maintenance on|off");
        server->set_maintenance(v == "on" || v == "true");
        mask->add_paths("maintenance");
      }
      if (args_.Has("location")) {
        server->set_location(args_.Get("location"));
        mask->add_paths("location");
      }
      if (args_.Has("capacity")) {
        uint32_t capacity = 0;
        if (!absl::SimpleAtoi(args_.Get("capacity"), &capacity)) Fail("--capacity takes a number");
        server->set_capacity_qps(capacity);
        mask->add_paths("capacity_qps");
      }
      if (args_.Has("api-url")) {
        server->set_api_url(args_.Get("api-url"));
        mask->add_paths("api_url");
      }
      if (args_.Has("dns-address")) {
        server->set_dns_address(args_.Get("dns-address"));
        mask->add_paths("dns_address");
      }
      if (args_.Has("api-key")) {
        server->set_api_key(args_.Get("api-key"));
        mask->add_paths("api_key");
      }
      req.set_request_id(args_.Get("request-id"));
      v1::Server resp;
      return Print(Call(*servers_, &v1::ServerService::Stub::UpdateServer, req, &resp), resp);
    }
    if (command == "deregister") {
      v1::DeregisterServerRequest req;
      req.set_name(Arg(2, "server name"));
      req.set_allow_missing(args_.Has("allow-missing"));
      google::protobuf::Empty resp;
      int rc = Call(*servers_, &v1::ServerService::Stub::DeregisterServer, req, &resp);
      if (rc == 0) std::cout << "deregistered " << req.name() << "\n";
      return rc;
    }
    if (command == "health") {
      v1::CheckServerHealthRequest req;
      req.set_name(Arg(2, "server name"));
      v1::HealthReport resp;
      int rc = Call(*servers_, &v1::ServerService::Stub::CheckServerHealth, req, &resp);
      if (rc != 0 || args_.Has("json")) return Print(rc, resp);
      PrintHealth(resp);
      return 0;
    }
    if (command == "metrics") {
      v1::GetServerMetricsRequest req;
      req.set_name(Arg(2, "server name"));
      const int64_t since = args_.Has("since") ? DurationOption("since") : 3600;
      if (args_.Has("step")) *req.mutable_step() = TimeUtil::SecondsToDuration(DurationOption("step"));
      for (const auto& metric : args_.All("metric")) req.add_metrics(metric);
      const google::protobuf::Timestamp now = TimeUtil::GetCurrentTime();
      *req.mutable_end_time() = now;
      req.mutable_start_time()->set_seconds(now.seconds() - since);
      req.mutable_start_time()->set_nanos(now.nanos());
      v1::GetServerMetricsResponse resp;
      int rc = Call(*servers_, &v1::ServerService::Stub::GetServerMetrics, req, &resp);
      if (rc != 0 || args_.Has("json")) return Print(rc, resp);
      PrintMetrics(resp);
      return 0;
    }
    if (command == "watch") return Watch();
    if (command == "reconcile") return Reconcile();
    Fail("unknown server command '" + command + "'");
  }

  // --server (a value without ':') or --server-name: a PowerDNS server.
  std::string PdnsServerOption() {
    if (args_.Has("server-name")) return args_.Get("server-name");
    for (const std::string& server : args_.All("server")) {
      if (server.find(':') == std::string::npos) return server;
    }
    return "";
  }

  v1::ConsistencyDepth DepthOption(v1::ConsistencyDepth fallback) {
    if (!args_.Has("depth")) return fallback;
    const std::string d = absl::AsciiStrToLower(args_.Get("depth"));
    if (d == "zones") return v1::CONSISTENCY_DEPTH_ZONES;
    if (d == "serials") return v1::CONSISTENCY_DEPTH_SERIALS;
    if (d == "content") return v1::CONSISTENCY_DEPTH_CONTENT;
    Fail("--depth must be zones, serials or content, not '" + d + "'");
  }

  static std::string KindName(v1::FindingKind kind) {
    return std::string(absl::StripPrefix(v1::FindingKind_Name(kind), "FINDING_KIND_"));
  }

  static std::string RRsetLine(const v1::RRset& rrset) {
    std::vector<std::string> contents;
    for (const auto& r : rrset.records()) {
      contents.push_back(r.disabled() ? "(disabled) " + r.content() : r.content());
    }
    return absl::StrCat(rrset.ttl(), " [", absl::StrJoin(contents, ", "), "]");
  }

  int Consistency(const std::string& command) {
    if (command == "watch") return WatchConsistency();
    if (command != "check") Fail("unknown consistency command '" + command + "'");
    v1::CheckConsistencyRequest req;
    req.set_server(PdnsServerOption());
    req.set_depth(DepthOption(v1::CONSISTENCY_DEPTH_SERIALS));
    for (const auto& zone : args_.All("zone")) req.add_zones(zone);
    req.set_name_prefix(args_.Get("prefix"));
    req.set_account(args_.Get("account"));
    const bool json = args_.Has("json");
    grpc::ClientContext context;
    Prepare(context, /*deadline=*/false);
    std::unique_ptr<grpc::ClientReader<v1::CheckConsistencyResponse>> reader =
        servers_->CheckConsistency(&context, req);
    v1::CheckConsistencyResponse message;
    int64_t findings = 0;
    while (reader->Read(&message)) {
      findings += message.findings_size();
      if (json) {
        std::cout << ToJson(message, /*compact=*/true) << std::endl;
        continue;
      }
      for (const auto& f : message.findings()) {
        std::string line = absl::StrCat(f.server(), "  ", f.zone().empty() ? "-" : f.zone(), "  ",
                                        KindName(f.kind()));
        if (f.has_truth_rrset() || f.has_server_rrset()) {
          const v1::RRset& named = f.has_truth_rrset() ? f.truth_rrset() : f.server_rrset();
          absl::StrAppend(&line, "  ", named.name(), " ", named.type());
        }
        absl::StrAppend(&line, "  ", f.detail());
        std::cout << line << std::endl;
        if (f.kind() == v1::FINDING_KIND_RRSET_DIFFERENT) {
          std::cout << "    truth:  " << RRsetLine(f.truth_rrset()) << "\n"
                    << "    server: " << RRsetLine(f.server_rrset()) << std::endl;
        }
      }
      if (message.has_summary()) {
        const auto& sum = message.summary();
        for (const auto& s : sum.servers()) {
          std::cout << absl::StrCat(
                           s.server(), ": ", s.zones_checked(), " zones checked (",
                           absl::AsciiStrToLower(absl::StripPrefix(
                               v1::ConsistencyDepth_Name(s.depth()), "CONSISTENCY_DEPTH_")),
                           "), ", s.zones_differing(), " differ, ", s.findings(), " findings",
                           s.complete() ? "" : absl::StrCat(", INCOMPLETE: ", s.error()))
                    << std::endl;
        }
        std::cout << absl::StrCat(sum.zones_in_scope(), " zones in scope, ", sum.findings(),
                                  " findings in ",
                                  absl::StrFormat("%.1f s", TimeUtil::DurationToMilliseconds(
                                                               sum.duration()) / 1000.0))
                  << std::endl;
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return Report(status, context);
    return findings > 0 ? 3 : 0;
  }

  int Reconcile() {
    v1::ReconcileServerRequest req;
    req.set_server(Arg(2, "server name"));
    req.set_dry_run(!args_.Has("apply"));
    req.set_delete_extra(args_.Has("delete-extra"));
    req.set_depth(DepthOption(v1::CONSISTENCY_DEPTH_UNSPECIFIED));
    for (const auto& zone : args_.All("zone")) req.add_zones(zone);
    req.set_name_prefix(args_.Get("prefix"));
    req.set_account(args_.Get("account"));
    req.set_request_id(args_.Get("request-id"));
    if (args_.Has("max-actions")) {
      int n = 0;
      if (!absl::SimpleAtoi(args_.Get("max-actions"), &n)) Fail("--max-actions takes a number");
      req.set_max_actions(n);
    }
    v1::ReconcileServerResponse resp;
    grpc::ClientContext context;
    Prepare(context, /*deadline=*/false);
    grpc::Status status = servers_->ReconcileServer(&context, req, &resp);
    if (!status.ok()) return Report(status, context);
    if (args_.Has("json")) {
      PrintJson(resp);
      return 0;
    }
    for (const auto& a : resp.actions()) {
      const std::string type(
          absl::StripPrefix(v1::ReconcileActionType_Name(a.type()), "RECONCILE_ACTION_TYPE_"));
      std::cout << absl::StrCat(a.zone(), "  ", type, "  ", a.reason()) << std::endl;
      for (const auto& r : a.replace_rrsets()) {
        std::cout << "    replace " << r.name() << " " << r.type() << " " << RRsetLine(r)
                  << std::endl;
      }
      for (const auto& r : a.delete_rrsets()) {
        std::cout << "    delete  " << r.name() << " " << r.type() << std::endl;
      }
    }
    std::cout << absl::StrCat(resp.dry_run() ? "dry run: " : "applied: ", resp.actions_total(),
                              " actions on ", resp.server(), " (", resp.zones_checked(),
                              " zones checked",
                              resp.dry_run() ? "; nothing changed, --apply to repair)"
                                             : absl::StrCat("; event ", resp.event_id(), ")"))
              << std::endl;
    return 0;
  }

  int WatchConsistency() {
    v1::WatchConsistencyRequest req;
    for (const auto& server : args_.All("server-name")) req.add_servers(server);
    for (const auto& zone : args_.All("zone")) req.add_zones(zone);
    if (std::optional<int64_t> id = ResumeAfter()) req.set_resume_after(*id);
    const bool json = args_.Has("json");
    grpc::ClientContext context;
    Prepare(context, /*deadline=*/false);
    std::unique_ptr<grpc::ClientReader<v1::ConsistencyEvent>> reader =
        servers_->WatchConsistency(&context, req);
    v1::ConsistencyEvent event;
    while (reader->Read(&event)) {
      if (json) {
        std::cout << ToJson(event, /*compact=*/true) << std::endl;
        continue;
      }
      if (event.type() == v1::CONSISTENCY_EVENT_TYPE_HEARTBEAT) continue;
      const std::string type(
          absl::StripPrefix(v1::ConsistencyEventType_Name(event.type()), "CONSISTENCY_EVENT_TYPE_"));
      std::cout << absl::StrCat("#", event.id(), " ", TimeUtil::ToString(event.time()), " ", type,
                                " ", event.server(), " ", event.zone(),
                                event.zone().empty() ? "" : " ",
                                event.kind() ? KindName(event.kind()) + " " : "", event.detail())
                << std::endl;
    }
    grpc::Status status = reader->Finish();
    if (status.ok()) return 0;
    Report(status, context);
    const std::string last_id = ErrorMetadata(status, "last_id");
    if (!last_id.empty()) std::cerr << "resume with --resume-after " << last_id << "\n";
    return 1;
  }

  // --resume-after ID, if given.
  std::optional<int64_t> ResumeAfter() {
    if (!args_.Has("resume-after")) return std::nullopt;
    int64_t id = 0;
    if (!absl::SimpleAtoi(args_.Get("resume-after"), &id) || id < 0) {
      Fail("--resume-after takes an event id");
    }
    return id;
  }

  // server watch: prints health events until the stream ends.
  int Watch() {
    v1::WatchHealthRequest req;
    for (const auto& server : args_.All("server-name")) req.add_servers(server);
    auto add_type = [&req](v1::HealthEventType type) {
      const auto& types = req.event_types();
      if (std::find(types.begin(), types.end(), type) == types.end()) req.add_event_types(type);
    };
    for (const auto& option : args_.All("type")) {
      for (absl::string_view part : absl::StrSplit(option, ',', absl::SkipEmpty())) {
        const std::string type = absl::AsciiStrToLower(part);
        if (type == "status") {
          add_type(v1::HEALTH_EVENT_TYPE_STATUS_CHANGED);
        } else if (type == "alert") {
          add_type(v1::HEALTH_EVENT_TYPE_ALERT_RAISED);
          add_type(v1::HEALTH_EVENT_TYPE_ALERT_CLEARED);
        } else if (type == "check") {
          add_type(v1::HEALTH_EVENT_TYPE_CHECK_FAILED);
        } else {
          Fail("--type must be status, alert or check, not '" + type + "'");
        }
      }
    }
    if (std::optional<int64_t> id = ResumeAfter()) req.set_resume_after(*id);
    const bool json = args_.Has("json");

    grpc::ClientContext context;
    Prepare(context, /*deadline=*/false);
    std::unique_ptr<grpc::ClientReader<v1::HealthEvent>> reader =
        servers_->WatchHealth(&context, req);
    v1::HealthEvent event;
    int64_t last_seen = 0;
    while (reader->Read(&event)) {
      if (json) {
        std::cout << ToJson(event, /*compact=*/true) << std::endl;
      } else if (event.type() != v1::HEALTH_EVENT_TYPE_HEARTBEAT) {
        std::cout << FormatEvent(event) << std::endl;
      }
      if (event.id() > 0) last_seen = event.id();
    }
    grpc::Status status = reader->Finish();
    if (status.ok()) return 0;
    Report(status, context);
    // SUBSCRIBER_TOO_SLOW names the last event sent; EVENTS_COMPACTED the
    // oldest one kept (those before it are gone: re-read the servers first).
    const std::string last_id = ErrorMetadata(status, "last_id");
    const std::string oldest_id = ErrorMetadata(status, "oldest_id");
    if (!last_id.empty()) {
      std::cerr << "resume with --resume-after " << last_id << "\n";
    } else if (!oldest_id.empty()) {
      std::cerr << "events before " << oldest_id
                << " are gone: re-read `dnsctl server list`, then watch without "
                   "--resume-after\n(or replay what is kept with --resume-after 0)\n";
    } else if (last_seen > 0) {
      std::cerr << "resume with --resume-after " << last_seen << "\n";
    }
    return 1;
  }

  // FROM_IP TO_IP and the scope options of failover plan/execute.
  template <typename Request>
  void FillFailover(Request* req) {
    req->set_from_ip(Arg(2, "the failed address (FROM_IP)"));
    req->set_to_ip(Arg(3, "the replacement address (TO_IP)"));
    v1::FailoverScope* scope = req->mutable_scope();
    scope->set_all_zones(args_.Has("all"));
    for (const auto& zone : args_.All("zone")) scope->add_zones(zone);
    scope->set_account(args_.Get("account"));
    scope->set_customer_id(args_.Get("customer"));
    scope->set_hosting_service_id(args_.Get("hosting-service"));
    req->set_apex_and_www_only(args_.Has("apex-www-only"));
    if (args_.Has("ttl")) {
      uint32_t ttl = 0;
      if (!absl::SimpleAtoi(args_.Get("ttl"), &ttl)) Fail("--ttl takes seconds");
      req->set_ttl(ttl);
    }
  }

  static std::string Contents(const v1::RRset& rrset) {
    std::vector<std::string> out;
    for (const auto& r : rrset.records()) {
      out.push_back(r.disabled() ? "(" + r.content() + ")" : r.content());
    }
    return absl::StrCat(absl::StrJoin(out, " "), " ttl ", rrset.ttl());
  }

  static void PrintPlan(const v1::FailoverPlan& plan) {
    std::cout << plan.zones_changed() << " of " << plan.zones_in_scope()
              << " zones in scope change: " << plan.rrsets_changed() << " RRsets, "
              << plan.records_changed() << " records (" << Figure(plan.fleet_share() * 100)
              << " % of the fleet's " << plan.fleet_records() << ")"
              << (plan.needs_force() ? "; needs --force" : "") << "\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& zone : plan.zones()) {
      for (const auto& change : zone.rrsets()) {
        rows.push_back({change.before().name(), change.before().type(), Contents(change.before()),
                        "->", Contents(change.after())});
      }
    }
    PrintTable(rows, {false, false, false, false, false}, "  ");
    if (plan.unmatched_zones_size() > 0) {
      std::cout << plan.unmatched_zones_size() << " zones in scope hold nothing on "
                << plan.from_ip() << "\n";
    }
    std::cout << "checksum " << plan.checksum() << "\n";
  }

  static std::string ServerProgress(const v1::FailoverServerProgress& s, int total) {
    return absl::StrCat(s.server(), " ",
                        Word(v1::FailoverServerState_Name(s.state()), "FAILOVER_SERVER_STATE_",
                             s.state()),
                        " ", s.zones_confirmed(), "/", total,
                        s.detail().empty() ? "" : " (" + s.detail() + ")");
  }

  static void PrintFailover(const v1::Failover& f) {
    std::cout << f.id() << "  " << Word(v1::FailoverState_Name(f.state()), "FAILOVER_STATE_", f.state())
              << "  " << f.from_ip() << " -> " << f.to_ip() << "  " << f.plan().zones_changed()
              << " zones, " << f.plan().rrsets_changed() << " RRsets";
    if (f.has_create_time()) std::cout << "  " << Rfc3339(f.create_time());
    if (f.has_total_duration()) std::cout << "  took " << Figure(Millis(f.total_duration()) / 1000) << " s";
    if (!f.reverses().empty()) std::cout << "  undoes " << f.reverses();
    if (!f.reversed_by().empty()) std::cout << "  undone by " << f.reversed_by();
    std::cout << "\n";
    for (const auto& s : f.servers()) {
      std::cout << "  " << ServerProgress(s, f.plan().zones_changed()) << "\n";
    }
    if (!f.error().empty()) std::cout << "  error: " << f.error() << "\n";
  }

  int Audit(const std::string& command) {
    if (command == "list") {
      v1::ListAuditEntriesRequest req;
      req.set_zone(args_.Get("zone"));
      req.set_account(args_.Get("account"));
      req.set_actor(args_.Get("actor"));
      req.set_rpc(args_.Get("rpc"));
      if (args_.Has("since")) {
        req.mutable_start_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) -
                                              DurationOption("since"));
      }
      int size = 0;
      if (args_.Has("page-size") && !absl::SimpleAtoi(args_.Get("page-size"), &size)) {
        Fail("--page-size takes a number");
      }
      req.set_page_size(size);
      req.set_page_token(args_.Get("page-token"));
      v1::ListAuditEntriesResponse resp;
      const int rc = Call(*audit_, &v1::AuditService::Stub::ListAuditEntries, req, &resp);
      if (rc != 0 || args_.Has("json")) return Print(rc, resp);
      for (const auto& e : resp.entries()) {
        std::cout << e.id() << "  "
                  << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                      absl::FromUnixSeconds(e.time().seconds()),
                                      absl::UTCTimeZone())
                  << "  " << e.actor() << "  " << e.rpc() << "  "
                  << (e.zone().empty() ? e.target() : e.zone());
        if (e.has_serial_before() || e.has_serial_after()) {
          std::cout << "  serial " << (e.has_serial_before() ? absl::StrCat(e.serial_before()) : "-")
                    << " -> " << (e.has_serial_after() ? absl::StrCat(e.serial_after()) : "-");
        }
        if (e.changed_rrsets_size() > 0) {
          std::cout << "  " << absl::StrJoin(e.changed_rrsets(), ", ");
        }
        if (!e.reverted_by().empty()) std::cout << "  (reverted by " << e.reverted_by() << ")";
        std::cout << "\n";
      }
      if (!resp.next_page_token().empty()) {
        std::cout << "next page: --page-token " << resp.next_page_token() << "\n";
      }
      return 0;
    }
    if (command == "get") {
      v1::GetAuditEntryRequest req;
      req.set_id(Arg(2, "audit entry id"));
      v1::AuditEntry resp;
      return Print(Call(*audit_, &v1::AuditService::Stub::GetAuditEntry, req, &resp), resp);
    }
    if (command == "revert") {
      v1::RevertChangeRequest req;
      req.set_id(Arg(2, "audit entry id"));
      req.set_force(args_.Has("force"));
      req.set_request_id(args_.Get("request-id"));
      *req.mutable_propagation_timeout() = Wait();
      v1::RevertChangeResponse resp;
      return Print(Call(*audit_, &v1::AuditService::Stub::RevertChange, req, &resp), resp);
    }
    Fail("unknown audit command '" + command + "'");
  }

  int Failover(const std::string& command) {
    const bool json = args_.Has("json");
    if (command == "plan") {
      v1::PlanFailoverRequest req;
      FillFailover(&req);
      v1::FailoverPlan resp;
      const int rc = Call(*failovers_, &v1::FailoverService::Stub::PlanFailover, req, &resp);
      if (rc != 0 || json) return Print(rc, resp);
      PrintPlan(resp);
      return 0;
    }
    if (command == "execute") return ExecuteFailover();
    if (command == "get") {
      v1::GetFailoverRequest req;
      req.set_id(Arg(2, "failover id"));
      v1::Failover resp;
      const int rc = Call(*failovers_, &v1::FailoverService::Stub::GetFailover, req, &resp);
      if (rc != 0 || json) return Print(rc, resp);
      PrintFailover(resp);
      return 0;
    }
    if (command == "list") {
      v1::ListFailoversRequest req;
      req.set_ip(args_.Get("ip"));
      if (args_.Has("state")) {
        v1::FailoverState state;
        if (!v1::FailoverState_Parse("FAILOVER_STATE_" + absl::AsciiStrToUpper(args_.Get("state")),
                                     &state)) {
          Fail("--state must be pending, propagating, succeeded, incomplete or failed");
        }
        req.set_state(state);
      }
      int size = 0;
      if (args_.Has("page-size") && !absl::SimpleAtoi(args_.Get("page-size"), &size)) {
        Fail("--page-size takes a number");
      }
      req.set_page_size(size);
      req.set_page_token(args_.Get("page-token"));
      v1::ListFailoversResponse resp;
      const int rc = Call(*failovers_, &v1::FailoverService::Stub::ListFailovers, req, &resp);
      if (rc != 0 || json) return Print(rc, resp);
      for (const auto& f : resp.failovers()) PrintFailover(f);
      if (!resp.next_page_token().empty()) {
        std::cout << "next page: --page-token " << resp.next_page_token() << "\n";
      }
      return 0;
    }
    Fail("unknown failover command '" + command + "'");
  }

  // failover execute: follows the operation's progress stream to its end.
  int ExecuteFailover() {
    v1::ExecuteFailoverRequest req;
    FillFailover(&req);
    req.set_plan_checksum(args_.Get("checksum"));
    req.set_force(args_.Has("force"));
    std::string request_id = args_.Get("request-id");
    if (request_id.empty()) {
      std::random_device random;
      request_id = absl::StrCat("dnsctl-failover-", absl::Hex(random()), absl::Hex(random()));
    }
    req.set_request_id(request_id);
    const bool json = args_.Has("json");
    const bool tty = !json && isatty(STDOUT_FILENO);
    if (!json) std::cerr << "request id " << request_id << " (repeat with --request-id "
                         << request_id << " to reattach)\n";
    grpc::ClientContext context;
    Prepare(context, /*deadline=*/false);
    auto reader = failovers_->ExecuteFailover(&context, req);
    v1::FailoverProgress message;
    v1::Failover last;
    while (reader->Read(&message)) {
      last = message.failover();
      const int total = last.plan().zones_changed();
      const std::string stage =
          Word(v1::FailoverProgressStage_Name(message.stage()), "FAILOVER_PROGRESS_STAGE_",
               message.stage());
      if (json) {
        std::cout << ToJson(message, /*compact=*/true) << std::endl;
        continue;
      }
      if (message.stage() == v1::FAILOVER_PROGRESS_STAGE_PROPAGATING && tty) {
        // One line redrawn: the slowest server's share of zones confirmed.
        int confirmed = total;
        for (const auto& s : last.servers()) {
          if (s.state() != v1::FAILOVER_SERVER_STATE_SKIPPED) {
            confirmed = std::min(confirmed, s.zones_confirmed());
          }
        }
        const int width = 30;
        const int filled = total > 0 ? width * confirmed / total : width;
        std::vector<std::string> parts;
        for (const auto& s : last.servers()) parts.push_back(ServerProgress(s, total));
        std::cout << "\r[" << std::string(filled, '#') << std::string(width - filled, '.')
                  << "] " << confirmed << "/" << total << "  " << absl::StrJoin(parts, ", ")
                  << "\x1b[K" << std::flush;
        continue;
      }
      if (tty) std::cout << "\n";
      std::cout << stage << ": " << last.id() << " " << last.from_ip() << " -> " << last.to_ip()
                << ", " << total << " zones";
      for (const auto& s : last.servers()) std::cout << "; " << ServerProgress(s, total);
      std::cout << std::endl;
    }
    grpc::Status status = reader->Finish();
    if (!json && !last.id().empty()) PrintFailover(last);
    if (!status.ok()) return Report(status, context);
    return last.state() == v1::FAILOVER_STATE_SUCCEEDED ? 0 : 1;
  }

  int Domain(const std::string& command) {
    if (command != "provision") Fail("unknown domain command '" + command + "'");
    v1::ProvisionDomainRequest req;
    req.set_domain(Arg(2, "domain"));
    req.set_ip(args_.Get("ip"));
    req.set_ipv6(args_.Get("ipv6"));
    req.set_account(args_.Get("account"));
    req.set_customer_id(args_.Get("customer"));
    req.set_hosting_service_id(args_.Get("hosting-service"));
    for (const auto& ns : args_.All("nameserver")) req.add_nameservers(ns);
    for (const auto& label : args_.All("label")) {
      auto eq = label.find('=');
      if (eq == std::string::npos) Fail("--label takes KEY=VALUE");
      (*req.mutable_labels())[label.substr(0, eq)] = label.substr(eq + 1);
    }
    if (args_.Has("ttl")) {
      uint32_t ttl = 0;
      if (!absl::SimpleAtoi(args_.Get("ttl"), &ttl)) Fail("--ttl takes seconds");
      req.set_ttl(ttl);
    }
    for (const auto& spec : args_.All("rrset")) {
      std::vector<std::string> parts = absl::StrSplit(spec, absl::MaxSplits(' ', 3));
      uint32_t ttl = 0;
      if (parts.size() != 4 || !absl::SimpleAtoi(parts[2], &ttl)) {
        Fail("--rrset takes \"NAME TYPE TTL CONTENT\", e.g. \"@ MX 3600 10 mail\"");
      }
      v1::RRset* rrset = nullptr;
      for (auto& r : *req.mutable_rrsets()) {
        if (r.name() == parts[0] && absl::EqualsIgnoreCase(r.type(), parts[1])) rrset = &r;
      }
      if (rrset == nullptr) {
        rrset = req.add_rrsets();
        rrset->set_name(parts[0]);
        rrset->set_type(parts[1]);
        rrset->set_ttl_seconds(ttl);
      }
      rrset->add_records()->set_content(parts[3]);
    }
    req.set_validate_only(args_.Has("validate-only"));
    req.set_request_id(args_.Get("request-id"));
    *req.mutable_propagation_timeout() = Wait();
    v1::Zone resp;
    return Print(Call(*failovers_, &v1::FailoverService::Stub::ProvisionDomain, req, &resp), resp);
  }

  int Print(int rc, const google::protobuf::Message& message) {
    if (rc == 0) PrintJson(message);
    return rc;
  }

  const Args& args_;
  std::unique_ptr<v1::ZoneService::Stub> zones_;
  std::unique_ptr<v1::RecordService::Stub> records_;
  std::unique_ptr<v1::ServerService::Stub> servers_;
  std::unique_ptr<v1::FailoverService::Stub> failovers_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

}  // namespace

// --NAME (or --NAME with '-' for '_'), else $ENV; empty when neither.
std::string OptionOrEnv(const Args& args, std::string name, const char* env) {
  if (args.Has(name)) return args.Get(name);
  std::string dashed = name;
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  if (args.Has(dashed)) return args.Get(dashed);
  const char* value = std::getenv(env);
  return value == nullptr ? "" : value;
}

std::string ReadPem(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) Fail("cannot read " + flag + " " + path);
  return text.str();
}

// Plaintext unless a TLS option is given: --tls (system CAs), a CA file,
// or a client certificate (mTLS).
std::shared_ptr<grpc::ChannelCredentials> Credentials(const Args& args) {
  const std::string ca = OptionOrEnv(args, "tls_ca_file", "DNSCTL_TLS_CA_FILE");
  const std::string cert = OptionOrEnv(args, "tls_cert_file", "DNSCTL_TLS_CERT_FILE");
  const std::string key = OptionOrEnv(args, "tls_key_file", "DNSCTL_TLS_KEY_FILE");
  if (cert.empty() != key.empty()) Fail("--tls_cert_file and --tls_key_file go together");
  if (!args.Has("tls") && ca.empty() && cert.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions options;
  if (!ca.empty()) options.pem_root_certs = ReadPem(ca, "--tls_ca_file");
  if (!cert.empty()) {
    options.pem_cert_chain = ReadPem(cert, "--tls_cert_file");
    options.pem_private_key = ReadPem(key, "--tls_key_file");
  }
  return grpc::SslCredentials(options);
}

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  if (args.Has("help") || args.positional.empty()) {
    std::cout << kUsage;
    return args.Has("help") ? 0 : 2;
  }
  const char* env = std::getenv("DNSCTL_SERVER");
  // A value without a port names a PowerDNS server (consistency check, zone
  // list), not dnsd.
  std::string server = env ? env : "127.0.0.1:50051";
  for (const std::string& value : args.All("server")) {
    if (value.find(':') != std::string::npos) server = value;
  }
  auto channel = grpc::CreateChannel(server, Credentials(args));
  return Cli(args, channel).Run();
}
