// A fleet for integration tests with several dnsd replicas: one PostgreSQL,
// dnsd processes on it (each with its own flags), two SHARED_DB pdns_servers
// (gpgsql on the same database) and one API pdns_server (gsqlite3), all on
// free loopback ports, registered through the first replica.
#ifndef DNS_TESTS_INTEGRATION_FLEET_H_
#define DNS_TESTS_INTEGRATION_FLEET_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/dnsd_process.h"
#include "tests/support/pdns_server.h"
#include "tests/support/postgres_server.h"

namespace dns::testing {

inline constexpr char kFleetKey[] = "fleet-key-3c9d1";

class Fleet {
 public:
  // PostgreSQL and the three pdns_servers; no dnsd yet.
  void StartServers() {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    ASSERT_TRUE(pg_->CreateDatabase("dns").ok());
    // The gpgsql schema must exist before a gpgsql pdns_server starts:
    // `dnsd migrate` makes it.
    auto migrated = RunCommand(absl::StrCat(DNSD_PATH, " migrate --database_url='",
                                            pg_->Url("dns"), "'"));
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    for (int i = 0; i < 2; ++i) {
      auto pdns = StartGpgsqlServer(pg_->port());
      ASSERT_TRUE(pdns.ok()) << pdns.status();
      shared_.push_back(*std::move(pdns));
    }
    PdnsServer::Options options;
    options.backend = PdnsServer::Options::Backend::kGsqlite3;
    options.api_key = kFleetKey;
    auto pdns = PdnsServer::Start(options);
    ASSERT_TRUE(pdns.ok()) << pdns.status();
    api_ = *std::move(pdns);
  }

  // A pdns_server reading the fleet's database from the PostgreSQL on
  // `pg_port` (the primary, or a standby of it).
  static absl::StatusOr<std::unique_ptr<PdnsServer>> StartGpgsqlServer(int pg_port) {
    PdnsServer::Options options;
    options.backend = PdnsServer::Options::Backend::kGpgsql;
    options.pg_port = pg_port;
    options.pg_dbname = "dns";
    options.api_key = kFleetKey;
    return PdnsServer::Start(options);
  }

  // A dnsd replica with `flags` on the shared database; returns its index.
  int StartReplica(std::vector<std::string> flags) {
    flags.push_back("--default_nameservers=ns1.example.net.,ns2.example.net.");
    flags.push_back("--min_ttl=60");
    flags.push_back("--secret_key=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
    auto dnsd = DnsdProcess::Start(DNSD_PATH, pg_->Url("dns"), flags);
    EXPECT_TRUE(dnsd.ok()) << dnsd.status();
    if (!dnsd.ok()) return -1;
    replicas_.push_back(*std::move(dnsd));
    channels_.push_back(
        grpc::CreateChannel(replicas_.back()->target(), grpc::InsecureChannelCredentials()));
    return static_cast<int>(replicas_.size()) - 1;
  }

  // Registers the three servers through replica `via`.
  void Register(int via = 0) {
    RegisterServer(via, "shared-a", *shared_[0], v1::SERVER_MODE_SHARED_DB);
    RegisterServer(via, "shared-b", *shared_[1], v1::SERVER_MODE_SHARED_DB);
    RegisterServer(via, "api-1", *api_, v1::SERVER_MODE_API);
  }

  // Registers one pdns_server as `name` through replica `via`.
  void RegisterServer(int via, const std::string& name, PdnsServer& pdns, v1::ServerMode mode) {
    v1::RegisterServerRequest req;
    req.mutable_server()->set_name(name);
    req.mutable_server()->set_api_url(pdns.api_url());
    req.mutable_server()->set_api_key(kFleetKey);
    req.mutable_server()->set_dns_address(pdns.dns_address());
    req.mutable_server()->set_mode(mode);
    v1::Server resp;
    auto status = v1::ServerService::NewStub(channels_[via])
                      ->RegisterServer(Context().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  PostgresServer& pg() { return *pg_; }
  DnsdProcess& replica(int i) { return *replicas_[i]; }
  std::shared_ptr<grpc::Channel> channel(int i) { return channels_[i]; }
  PdnsServer& shared(int i) { return *shared_[i]; }
  PdnsServer& api() { return *api_; }

  // Every server answers `serial` for `zone`: SOA over DNS on all three.
  bool ServedEverywhere(const std::string& zone, uint32_t serial) {
    for (PdnsServer* s : {shared_[0].get(), shared_[1].get(), api_.get()}) {
      if (!ServesSerial(*s, zone, serial)) return false;
    }
    return true;
  }

  static bool ServesSerial(PdnsServer& server, const std::string& zone, uint32_t serial) {
    auto soa = server.Dig(zone, "SOA");
    return soa.ok() && absl::StrContains(*soa, absl::StrCat(" ", serial, " "));
  }

  // The API server's RRsets of `zone` as "name type ttl content|content".
  std::set<std::string> ApiServerZone(const std::string& zone) {
    std::string body;
    auto code = api_->ApiRequest("GET", "/api/v1/servers/localhost/zones/" + zone, &body);
    std::set<std::string> out;
    if (!code.ok() || *code != 200) return out;
    const nlohmann::json z = nlohmann::json::parse(body);
    for (const auto& r : z["rrsets"]) {
      std::vector<std::string> contents;
      for (const auto& rec : r["records"]) contents.push_back(rec["content"].get<std::string>());
      std::sort(contents.begin(), contents.end());
      out.insert(absl::StrCat(r["name"].get<std::string>(), " ", r["type"].get<std::string>(),
                              " ", r["ttl"].get<int>(), " ", absl::StrJoin(contents, "|")));
    }
    return out;
  }

  // The truth's RRsets in the same form.
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

  // GET on a replica's metrics port.
  std::string Http(int replica, const std::string& path) {
    auto out = RunCommand(absl::StrCat("curl -s --max-time 5 http://127.0.0.1:",
                                       replicas_[replica]->metrics_port(), path));
    return out.ok() ? *out : "";
  }

 private:
  std::unique_ptr<PostgresServer> pg_;
  std::vector<std::unique_ptr<PdnsServer>> shared_;
  std::unique_ptr<PdnsServer> api_;
  std::vector<std::unique_ptr<DnsdProcess>> replicas_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

inline google::protobuf::Duration Seconds(int s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

}  // namespace dns::testing

#endif  // DNS_TESTS_INTEGRATION_FLEET_H_
