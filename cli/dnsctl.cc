// dnsctl: the dns.v1 command line for people. Prints responses as JSON and
// errors with their reason and field violations.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace {

namespace v1 = dns::v1;

constexpr char kUsage[] = R"(dnsctl: command line for the dns.v1 service

Usage: dnsctl [--server=HOST:PORT] [--request-id=ID] [--timeout=SECONDS] COMMAND ...
  (--server defaults to $DNSCTL_SERVER or 127.0.0.1:50051)

  zone create NAME [--nameserver NS]... [--account A] [--customer C]
                   [--hosting-service H] [--kind native|master|slave]
                   [--master IP[:PORT]]... [--label KEY=VALUE]...
  zone get NAME [--full]
  zone list [--account A] [--customer C] [--hosting-service H] [--prefix P]
            [--page-size N] [--page-token T]
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

Writes (zone create/update/delete/import, rrset replace/delete) take
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
  return key == "full" || key == "allow-missing" || key == "help" || key == "skip-check";
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

void PrintJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  std::cout << out;
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
        servers_(v1::ServerService::NewStub(channel)) {}

  int Run() {
    const auto& p = args_.positional;
    if (p.size() < 2) Fail("missing command; see dnsctl --help");
    const std::string group = p[0], command = p[1];
    if (group == "zone") return Zone(command);
    if (group == "rrset") return RRset(command);
    if (group == "server") return Server(command);
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

  void Prepare(grpc::ClientContext& context) {
    double seconds = 30;
    if (args_.Has("timeout") && !absl::SimpleAtod(args_.Get("timeout"), &seconds)) {
      Fail("--timeout takes seconds");
    }
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    if (args_.Has("request-id")) context.AddMetadata("x-request-id", args_.Get("request-id"));
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
        uint32_t ttl = 0;
        if (args_.Has("ttl") && !absl::SimpleAtoi(args_.Get("ttl"), &ttl)) Fail("--ttl takes seconds");
        change->mutable_rrset()->set_ttl(ttl);
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
    Fail("unknown server command '" + command + "'");
  }

  int Print(int rc, const google::protobuf::Message& message) {
    if (rc == 0) PrintJson(message);
    return rc;
  }

  const Args& args_;
  std::unique_ptr<v1::ZoneService::Stub> zones_;
  std::unique_ptr<v1::RecordService::Stub> records_;
  std::unique_ptr<v1::ServerService::Stub> servers_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  if (args.Has("help") || args.positional.empty()) {
    std::cout << kUsage;
    return args.Has("help") ? 0 : 2;
  }
  const char* env = std::getenv("DNSCTL_SERVER");
  std::string server = args.Get("server", env ? env : "127.0.0.1:50051");
  auto channel = grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  return Cli(args, channel).Run();
}
