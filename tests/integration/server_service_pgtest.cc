// ServerService on a real PostgreSQL and a real pdns_server (gsqlite3, API
// mode), through a real gRPC channel. The service runs in this process (the
// same storage, managers and handlers dnsd wires), so that its logs can be
// captured and searched for API keys.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "server/call_observer.h"
#include "server/server_manager.h"
#include "server/server_service.h"
#include "server/zone_manager.h"
#include "server/zone_service.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "storage/connection_pool.h"
#include "storage/migrations.h"
#include "storage/pg_server_store.h"
#include "storage/pg_zone_store.h"
#include "storage/secret_box.h"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/pdns_server.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// DNSD_SECRET_KEY of the service under test.
constexpr char kSecretKey[] = "c2VydmVyLXNlcnZpY2UtdGVzdC1zZWNyZXQta2V5ISE=";
// The key pdns_server accepts.
constexpr char kKey[] = "pdns-api-key-5b7e1c9a";
constexpr char kWrongKey[] = "wrong-api-key-44d0e2";
constexpr char kRotatedKey[] = "rotated-api-key-9f3c07";
constexpr char kSkipKey[] = "skip-check-key-2a6d1f";
constexpr char kBadKey[] = "bad key with spaces 81c3";

// Every secret that must never leave the service.
std::vector<std::string> Secrets() {
  return {kKey, kWrongKey, kRotatedKey, kSkipKey, kBadKey, kSecretKey};
}

void ExpectNoSecret(const std::string& text, const std::string& what) {
  for (const std::string& secret : Secrets()) {
    EXPECT_THAT(text, Not(HasSubstr(secret))) << what << " reveals a secret";
  }
}

// Collects every log line of the process.
class CaptureSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string Text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    text_.append(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

// A TCP port that accepts connections (the kernel completes the handshake)
// but never answers: a hung server.
class SilentPort {
 public:
  SilentPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct Env {
  std::shared_ptr<CaptureSink> sink;
  std::unique_ptr<PostgresServer> pg;
  std::unique_ptr<PdnsServer> pdns;
  std::shared_ptr<ConnectionPool> pool;
  std::unique_ptr<PgZoneStore> zone_store;
  std::unique_ptr<PgServerStore> server_store;
  std::unique_ptr<ZoneManager> zone_manager;
  std::unique_ptr<ServerManager> server_manager;
  std::unique_ptr<RpcRunner> runner;
  std::unique_ptr<ScopeGuard> scope;
  std::unique_ptr<ZoneServiceImpl> zone_service;
  std::unique_ptr<ServerServiceImpl> server_service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::shared_ptr<grpc::Channel> channel;
  std::atomic<int> changes{0};
};

class ServerServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Env();
    env_->sink = std::make_shared<CaptureSink>();
    auto logger = std::make_shared<spdlog::logger>(
        "server_service_pgtest",
        spdlog::sinks_init_list{env_->sink,
                                std::make_shared<spdlog::sinks::stderr_color_sink_mt>()});
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::trace);

    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    env_->pg = *std::move(pg);
    ASSERT_TRUE(env_->pg->CreateDatabase("dns").ok());
    const std::string url = env_->pg->Url("dns");
    auto migrated = Migrate(url);
    ASSERT_TRUE(migrated.ok()) << migrated.status();

    PdnsServer::Options options;
    options.backend = PdnsServer::Options::Backend::kGsqlite3;
    options.api_key = kKey;
    auto pdns = PdnsServer::Start(options);
    ASSERT_TRUE(pdns.ok()) << pdns.status();
    env_->pdns = *std::move(pdns);

    ConnectionPool::Options pool_options;
    pool_options.url = url;
    pool_options.size = 8;
    pool_options.on_connect = &PgZoneStore::PrepareConnection;
    env_->pool = std::make_shared<ConnectionPool>(pool_options);
    auto box = SecretBox::FromBase64Key(kSecretKey);
    ASSERT_TRUE(box.ok()) << box.status();
    env_->zone_store = std::make_unique<PgZoneStore>(env_->pool);
    env_->server_store = std::make_unique<PgServerStore>(env_->pool, *box);
    ZoneDefaults defaults;
    defaults.nameservers = {"ns1.example.net.", "ns2.example.net."};
    env_->zone_manager = std::make_unique<ZoneManager>(*env_->zone_store, defaults);
    env_->server_manager = std::make_unique<ServerManager>(
        *env_->server_store, [] { env_->changes.fetch_add(1); });
    env_->runner = std::make_unique<RpcRunner>(RpcRunner::Options{});
    env_->scope = std::make_unique<ScopeGuard>(*env_->zone_store);
    env_->zone_service =
        std::make_unique<ZoneServiceImpl>(*env_->zone_manager, *env_->runner, *env_->scope);
    env_->server_service =
        std::make_unique<ServerServiceImpl>(*env_->server_manager, *env_->runner);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(env_->zone_service.get());
    builder.RegisterService(env_->server_service.get());
    // The access log lines come from the interceptor, as in dnsd.
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
    observers.push_back(std::make_unique<CallObserverFactory>(nullptr));
    builder.experimental().SetInterceptorCreators(std::move(observers));
    env_->grpc_server = builder.BuildAndStart();
    ASSERT_NE(env_->grpc_server, nullptr);
    ASSERT_NE(port, 0);
    env_->channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  static void TearDownTestSuite() {
    if (env_ == nullptr) return;
    if (env_->grpc_server) env_->grpc_server->Shutdown();
    env_->grpc_server.reset();
    env_->runner.reset();
    env_->server_service.reset();
    env_->zone_service.reset();
    env_->server_manager.reset();
    env_->zone_manager.reset();
    env_->server_store.reset();
    env_->zone_store.reset();
    env_->pool.reset();
    env_->pdns.reset();
    env_->pg.reset();
    spdlog::set_default_logger(spdlog::stderr_color_mt("after_server_service_pgtest"));
    delete env_;
    env_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(env_, nullptr);
    ASSERT_NE(env_->channel, nullptr);
    stub_ = v1::ServerService::NewStub(env_->channel);
    zones_ = v1::ZoneService::NewStub(env_->channel);
  }

  static v1::Server ApiServer(const std::string& name, const std::string& key = kKey) {
    v1::Server s;
    s.set_name(name);
    s.set_api_url(env_->pdns->api_url());
    s.set_api_key(key);
    s.set_dns_address(env_->pdns->dns_address());
    s.set_location("fra1");
    s.set_capacity_qps(5000);
    s.set_mode(v1::SERVER_MODE_API);
    return s;
  }

  // Every answer goes through here: no key in it, ever.
  grpc::Status Register(const v1::Server& server, v1::Server* out = nullptr,
                        bool skip_check = false, const std::string& request_id = "") {
    v1::RegisterServerRequest req;
    *req.mutable_server() = server;
    req.set_skip_check(skip_check);
    req.set_request_id(request_id);
    v1::Server resp;
    grpc::Status status = stub_->RegisterServer(Context().get(), req, &resp);
    Check(status, resp);
    if (out) *out = resp;
    return status;
  }

  grpc::Status Get(const std::string& name, v1::Server* out = nullptr) {
    v1::GetServerRequest req;
    req.set_name(name);
    v1::Server resp;
    grpc::Status status = stub_->GetServer(Context().get(), req, &resp);
    Check(status, resp);
    if (out) *out = resp;
    return status;
  }

  grpc::Status List(const v1::ListServersRequest& req, v1::ListServersResponse* out) {
    grpc::Status status = stub_->ListServers(Context().get(), req, out);
    Check(status, *out);
    for (const auto& s : out->servers()) EXPECT_THAT(s.api_key(), IsEmpty());
    return status;
  }

  grpc::Status Update(const v1::Server& server, std::vector<std::string> paths,
                      v1::Server* out = nullptr, const std::string& request_id = "") {
    v1::UpdateServerRequest req;
    *req.mutable_server() = server;
    for (auto& p : paths) req.mutable_update_mask()->add_paths(p);
    req.set_request_id(request_id);
    v1::Server resp;
    grpc::Status status = stub_->UpdateServer(Context().get(), req, &resp);
    Check(status, resp);
    if (out) *out = resp;
    return status;
  }

  grpc::Status Deregister(const std::string& name, bool allow_missing = false) {
    v1::DeregisterServerRequest req;
    req.set_name(name);
    req.set_allow_missing(allow_missing);
    google::protobuf::Empty resp;
    grpc::Status status = stub_->DeregisterServer(Context().get(), req, &resp);
    Check(status, resp);
    return status;
  }

  static void Check(const grpc::Status& status, const google::protobuf::Message& response) {
    ExpectNoSecret(response.SerializeAsString(), "a response");
    ExpectNoSecret(status.error_message(), "an error message");
    ExpectNoSecret(status.error_details(), "error details");
    if (const auto* server = dynamic_cast<const v1::Server*>(&response)) {
      EXPECT_THAT(server->api_key(), IsEmpty());
    }
  }

  // field -> description of an INVALID_ARGUMENT, for registering `server`.
  std::map<std::string, std::string> Violations(const v1::Server& server) {
    grpc::Status status = Register(server, nullptr, /*skip_check=*/true);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    ErrorDetails details = DetailsOf(status);
    EXPECT_EQ(details.reason.rfind("INVALID_", 0), 0u) << details.reason;
    return details.violations;
  }

  static std::string Psql(const std::string& sql) {
    auto out = env_->pg->Psql("dns", sql);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : "";
  }

  static std::string PdnsVersion() {
    std::string body;
    auto code = env_->pdns->ApiRequest("GET", "/api/v1/servers/localhost", &body);
    EXPECT_TRUE(code.ok() && *code == 200);
    return nlohmann::json::parse(body).value("version", "");
  }

  static Env* env_;
  std::unique_ptr<v1::ServerService::Stub> stub_;
  std::unique_ptr<v1::ZoneService::Stub> zones_;
};

Env* ServerServiceTest::env_ = nullptr;

TEST_F(ServerServiceTest, RegistersAnApiServerAfterAskingItsVersion) {
  // A zone that exists before the server: it becomes pending there.
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("before-api-1.test.");
  v1::Zone zone;
  ASSERT_TRUE(zones_->CreateZone(Context().get(), create, &zone).ok());

  const int changes = env_->changes.load();
  v1::Server server;
  const absl::Time before = absl::Now();
  grpc::Status status = Register(ApiServer("api-1"), &server);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(server.name(), "api-1");
  EXPECT_EQ(server.api_url(), env_->pdns->api_url());
  EXPECT_EQ(server.dns_address(), env_->pdns->dns_address());
  EXPECT_EQ(server.location(), "fra1");
  EXPECT_EQ(server.capacity_qps(), 5000u);
  EXPECT_EQ(server.mode(), v1::SERVER_MODE_API);
  EXPECT_EQ(server.status(), v1::SERVER_STATUS_HEALTHY);
  EXPECT_FALSE(server.maintenance());
  EXPECT_THAT(server.last_error(), IsEmpty());
  EXPECT_EQ(server.version(), PdnsVersion());
  EXPECT_THAT(server.version(), Not(IsEmpty()));
  ASSERT_TRUE(server.has_last_check_time());
  EXPECT_GE(server.last_check_time().seconds(), absl::ToUnixSeconds(before) - 1);
  EXPECT_EQ(server.etag(), "v1");
  EXPECT_GT(server.create_time().seconds(), 0);
  EXPECT_EQ(env_->changes.load(), changes + 1);

  EXPECT_EQ(Psql("SELECT count(*) || ' ' || min(desired_serial) FROM dnsv1.zone_servers"
                 " WHERE server = 'api-1' AND zone = 'before-api-1.test.' AND state = 'PENDING'"),
            absl::StrCat("1 ", zone.serial()));
  const std::string sealed =
      Psql("SELECT api_key_sealed FROM dnsv1.servers WHERE name = 'api-1'");
  EXPECT_THAT(sealed, StartsWith("aesgcm:"));
  EXPECT_THAT(sealed, Not(HasSubstr(kKey)));

  v1::Server got;
  ASSERT_TRUE(Get("api-1", &got).ok());
  EXPECT_EQ(got.SerializeAsString(), server.SerializeAsString());

  auto with_keys = env_->server_store->ListServersWithKeys();
  ASSERT_TRUE(with_keys.ok()) << with_keys.status();
  bool found = false;
  for (const auto& s : *with_keys) {
    if (s.name == "api-1") {
      found = true;
      EXPECT_EQ(s.api_key, kKey);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ServerServiceTest, RegistersASharedDbServerWithoutCheck) {
  v1::Server in;
  in.set_name("shared-skip");
  in.set_api_url("http://127.0.0.1:" + std::to_string(FreeTcpPort()) + "/");
  in.set_api_key(kSkipKey);
  in.set_dns_address("[2001:db8::53]:5353");
  in.set_mode(v1::SERVER_MODE_SHARED_DB);
  v1::Server server;
  grpc::Status status = Register(in, &server, /*skip_check=*/true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(server.mode(), v1::SERVER_MODE_SHARED_DB);
  EXPECT_EQ(server.status(), v1::SERVER_STATUS_UNSPECIFIED);
  EXPECT_THAT(server.version(), IsEmpty());
  EXPECT_FALSE(server.has_last_check_time());
  // The trailing '/' is dropped: the URL is stored as a base URL.
  EXPECT_EQ(server.api_url() + "/", in.api_url());
  EXPECT_EQ(server.dns_address(), "[2001:db8::53]:5353");
  ASSERT_TRUE(Deregister("shared-skip").ok());
}

TEST_F(ServerServiceTest, DuplicateIsAlreadyExists) {
  ASSERT_TRUE(Register(ApiServer("dup-1")).ok());
  for (bool skip : {false, true}) {
    grpc::Status status = Register(ApiServer("dup-1"), nullptr, skip);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
    EXPECT_EQ(DetailsOf(status).reason, "SERVER_ALREADY_EXISTS");
  }
  ASSERT_TRUE(Deregister("dup-1").ok());
}

TEST_F(ServerServiceTest, BadInputsAreFieldViolations) {
  // Every rule at once: each field is reported.
  v1::Server all;
  all.set_name("Bad_Name");
  all.set_api_url("ftp://10.0.0.5:8081");
  all.set_api_key(kBadKey);
  all.set_dns_address("ns1.example.net:53");
  all.set_location("fra\n1");
  all.set_capacity_qps(4000000000u);
  auto v = Violations(all);
  EXPECT_THAT(v, ::testing::SizeIs(7));
  for (const char* field : {"server.name", "server.api_url", "server.api_key",
                            "server.dns_address", "server.location", "server.capacity_qps",
                            "server.mode"}) {
    EXPECT_TRUE(v.count(field)) << field;
  }

  auto only = [&](const std::string& field, std::function<void(v1::Server&)> mutate) {
    v1::Server s = ApiServer("valid-name");
    mutate(s);
    auto violations = Violations(s);
    EXPECT_EQ(violations.size(), 1u) << field;
    EXPECT_TRUE(violations.count(field)) << field << " not reported";
  };
  for (const std::string& name : std::vector<std::string>
       {"", "UPPER", "-lead", "trail-", "under_score", "dot.ted", std::string(64, 'a')}) {
    only("server.name", [&](v1::Server& s) { s.set_name(name); });
  }
  for (const std::string& url : std::vector<std::string>
       {"", "10.0.0.5:8081", "ftp://10.0.0.5", "http://", "http://:8081",
        "http://10.0.0.5:0", "http://10.0.0.5:70000", "http://10.0.0.5:80a",
        "http://user:pw@10.0.0.5:8081", "http://10.0.0.5:8081/api/v1",
        "http://10.0.0.5:8081/?x=1", "http://10.0.0.5:8081#frag", "http://bad host:8081",
        "http://[::1:8081", "http://999.1.1.1:8081", "http://-bad.example:8081"}) {
    only("server.api_url", [&](v1::Server& s) { s.set_api_url(url); });
  }
  for (const std::string& key : std::vector<std::string>{std::string(), std::string(513, 'k'), std::string(kBadKey),
                                std::string("tab\tkey"), std::string("nön-ascii")}) {
    only("server.api_key", [&](v1::Server& s) { s.set_api_key(key); });
  }
  for (const std::string& addr : std::vector<std::string>
       {"", "192.0.2.1", "192.0.2.1:0", "192.0.2.1:65536", "ns1.example.net:53",
        "2001:db8::1:53", "[2001:db8::1]", "[2001:db8::1]:", "[192.0.2.1]:53", "192.0.2.1:x"}) {
    only("server.dns_address", [&](v1::Server& s) { s.set_dns_address(addr); });
  }
  for (const std::string& loc : std::vector<std::string>{std::string("a\x01b"), std::string(129, 'l'), std::string(" fra1")}) {
    only("server.location", [&](v1::Server& s) { s.set_location(loc); });
  }
  only("server.capacity_qps", [&](v1::Server& s) { s.set_capacity_qps(10000001); });
  only("server.mode", [&](v1::Server& s) { s.set_mode(v1::SERVER_MODE_UNSPECIFIED); });
  only("server.mode", [&](v1::Server& s) { s.set_mode(static_cast<v1::ServerMode>(9)); });

  // Accepted shapes.
  for (const std::string& url : std::vector<std::string>{"http://10.0.0.5", "https://pdns.example.net:8443",
                                "HTTP://PDNS-1.Example.NET:8081/", "http://[2001:db8::5]:8081"}) {
    v1::Server s = ApiServer("ok-url");
    s.set_api_url(url);
    grpc::Status status = Register(s, nullptr, /*skip_check=*/true);
    EXPECT_TRUE(status.ok()) << url << ": " << status.error_message();
    ASSERT_TRUE(Deregister("ok-url").ok());
  }
  v1::Server stored;
  v1::Server s = ApiServer("ok-url");
  s.set_api_url("HTTP://PDNS-1.Example.NET:8081/");
  ASSERT_TRUE(Register(s, &stored, true).ok());
  EXPECT_EQ(stored.api_url(), "http://pdns-1.example.net:8081");
  ASSERT_TRUE(Deregister("ok-url").ok());

  // Nothing was stored by any refused call.
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.servers WHERE name IN ('valid-name', 'ok-url')"),
            "0");

  // Names in Get/Deregister are checked too.
  EXPECT_EQ(Get("Not_A_Name").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Deregister("Not_A_Name").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerServiceTest, WrongApiKeyIsRefusedAndNothingStored) {
  const int changes = env_->changes.load();
  grpc::Status status = Register(ApiServer("wrong-key", kWrongKey));
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(DetailsOf(status).reason, "SERVER_CHECK_FAILED");
  EXPECT_THAT(status.error_message(), HasSubstr("401"));
  EXPECT_THAT(status.error_message(), HasSubstr("bad API key"));
  EXPECT_THAT(status.error_message(), HasSubstr(env_->pdns->api_url()));
  EXPECT_EQ(Get("wrong-key").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.servers WHERE name = 'wrong-key'"), "0");
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.zone_servers WHERE server = 'wrong-key'"), "0");
  EXPECT_EQ(env_->changes.load(), changes);
}

TEST_F(ServerServiceTest, UnreachableServerIsRefusedAndNothingStored) {
  // Nothing listens: connection refused.
  v1::Server s = ApiServer("unreachable");
  s.set_api_url("http://127.0.0.1:" + std::to_string(FreeTcpPort()));
  grpc::Status status = Register(s);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(DetailsOf(status).reason, "SERVER_CHECK_FAILED");
  EXPECT_THAT(status.error_message(), HasSubstr("skip_check"));
  EXPECT_EQ(Get("unreachable").error_code(), grpc::StatusCode::NOT_FOUND);

  // Accepts connections but never answers: the check gives up in ~3 s.
  SilentPort silent;
  s.set_api_url("http://127.0.0.1:" + std::to_string(silent.port()));
  const absl::Time start = absl::Now();
  status = Register(s);
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(DetailsOf(status).reason, "SERVER_CHECK_FAILED");
  EXPECT_LT(took, absl::Seconds(8));
  EXPECT_EQ(Get("unreachable").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.servers WHERE name = 'unreachable'"), "0");

  // Something that is not a PowerDNS API: the pdns DNS port speaks no HTTP,
  // and a 404 from an HTTP server that is not PowerDNS.
  s.set_api_url(absl::StrCat("http://127.0.0.1:", env_->pdns->dns_port()));
  EXPECT_EQ(Register(s).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServerServiceTest, GetAndListPaginateFilterAndNeverShowTheKey) {
  const std::vector<std::tuple<std::string, std::string, v1::ServerMode>> fleet = {
      {"list-a", "ams1", v1::SERVER_MODE_API},   {"list-b", "fra1", v1::SERVER_MODE_SHARED_DB},
      {"list-c", "ams1", v1::SERVER_MODE_SHARED_DB}, {"list-d", "ams1", v1::SERVER_MODE_API},
      {"list-e", "lon1", v1::SERVER_MODE_API}};
  for (const auto& [name, location, mode] : fleet) {
    v1::Server s = ApiServer(name, kSkipKey);
    s.set_location(location);
    s.set_mode(mode);
    ASSERT_TRUE(Register(s, nullptr, true).ok()) << name;
  }

  v1::Server got;
  ASSERT_TRUE(Get("list-b", &got).ok());
  EXPECT_EQ(got.location(), "fra1");
  EXPECT_EQ(got.mode(), v1::SERVER_MODE_SHARED_DB);
  grpc::Status missing = Get("no-such-server");
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(missing).reason, "SERVER_NOT_FOUND");

  // All of them, two per page, in name order.
  std::vector<std::string> names;
  v1::ListServersRequest req;
  req.set_page_size(2);
  int pages = 0;
  do {
    v1::ListServersResponse resp;
    ASSERT_TRUE(List(req, &resp).ok());
    EXPECT_LE(resp.servers_size(), 2);
    for (const auto& s : resp.servers()) {
      if (absl::StartsWith(s.name(), "list-")) names.push_back(s.name());
    }
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 50);
  EXPECT_THAT(names, ::testing::ElementsAre("list-a", "list-b", "list-c", "list-d", "list-e"));

  // Filters.
  auto list_names = [&](const std::string& location, v1::ServerMode mode) {
    v1::ListServersRequest r;
    r.set_location(location);
    r.set_mode(mode);
    v1::ListServersResponse resp;
    EXPECT_TRUE(List(r, &resp).ok());
    std::vector<std::string> out;
    for (const auto& s : resp.servers()) out.push_back(s.name());
    return out;
  };
  EXPECT_THAT(list_names("ams1", v1::SERVER_MODE_UNSPECIFIED),
              ::testing::ElementsAre("list-a", "list-c", "list-d"));
  EXPECT_THAT(list_names("ams1", v1::SERVER_MODE_API),
              ::testing::ElementsAre("list-a", "list-d"));
  EXPECT_THAT(list_names("", v1::SERVER_MODE_SHARED_DB),
              ::testing::Contains("list-b"));
  EXPECT_THAT(list_names("nowhere", v1::SERVER_MODE_UNSPECIFIED), IsEmpty());

  // A filtered listing continues only under the same filters.
  v1::ListServersRequest filtered;
  filtered.set_location("ams1");
  filtered.set_page_size(1);
  v1::ListServersResponse first;
  ASSERT_TRUE(List(filtered, &first).ok());
  ASSERT_EQ(first.servers_size(), 1);
  EXPECT_EQ(first.servers(0).name(), "list-a");
  ASSERT_THAT(first.next_page_token(), Not(IsEmpty()));
  filtered.set_page_token(first.next_page_token());
  v1::ListServersResponse second;
  ASSERT_TRUE(List(filtered, &second).ok());
  ASSERT_EQ(second.servers_size(), 1);
  EXPECT_EQ(second.servers(0).name(), "list-c");
  filtered.set_location("lon1");
  v1::ListServersResponse refused;
  grpc::Status status = List(filtered, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(DetailsOf(status).violations.count("page_token"));

  v1::ListServersRequest bad;
  bad.set_page_size(-1);
  v1::ListServersResponse ignored;
  EXPECT_EQ(List(bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_page_size(0);
  bad.set_mode(static_cast<v1::ServerMode>(7));
  EXPECT_EQ(List(bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_mode(v1::SERVER_MODE_UNSPECIFIED);
  bad.set_page_token("garbage");
  EXPECT_EQ(List(bad, &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  for (const auto& entry : fleet) ASSERT_TRUE(Deregister(std::get<0>(entry)).ok());
}

TEST_F(ServerServiceTest, UpdateServer) {
  v1::Server server;
  ASSERT_TRUE(Register(ApiServer("upd-1"), &server).ok());
  ASSERT_EQ(server.status(), v1::SERVER_STATUS_HEALTHY);
  const int changes = env_->changes.load();

  // Only the masked fields change.
  v1::Server patch;
  patch.set_name("upd-1");
  patch.set_location("ams2");
  patch.set_capacity_qps(9000);
  patch.set_dns_address("192.0.2.99:53");  // not in the mask: ignored
  v1::Server updated;
  grpc::Status status = Update(patch, {"location", "capacity_qps"}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.location(), "ams2");
  EXPECT_EQ(updated.capacity_qps(), 9000u);
  EXPECT_EQ(updated.dns_address(), server.dns_address());
  EXPECT_EQ(updated.api_url(), server.api_url());
  EXPECT_NE(updated.etag(), server.etag());
  EXPECT_EQ(env_->changes.load(), changes + 1);

  // A stale etag is refused; the current one is accepted.
  patch.set_etag(server.etag());
  status = Update(patch, {"location"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(DetailsOf(status).reason, "STALE_SERVER");
  patch.set_etag(updated.etag());
  patch.set_location("ams3");
  ASSERT_TRUE(Update(patch, {"location"}, &updated).ok());
  EXPECT_EQ(updated.location(), "ams3");
  patch.set_etag("not-an-etag");
  status = Update(patch, {"location"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(DetailsOf(status).violations.count("server.etag"));
  patch.clear_etag();

  // Mask rules.
  for (const std::vector<std::string>& mask : std::vector<std::vector<std::string>>{
           {}, {"name"}, {"mode"}, {"status"}, {"version"}, {"location", "etag"}}) {
    status = Update(patch, mask);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(DetailsOf(status).violations.count("update_mask"));
  }
  // Masked fields are validated.
  v1::Server invalid;
  invalid.set_name("upd-1");
  invalid.set_api_url("ftp://x");
  invalid.set_dns_address("nowhere");
  status = Update(invalid, {"api_url", "dns_address", "api_key"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto violations = DetailsOf(status).violations;
  EXPECT_TRUE(violations.count("server.api_url"));
  EXPECT_TRUE(violations.count("server.dns_address"));
  EXPECT_TRUE(violations.count("server.api_key"));
  v1::Server nobody = patch;
  nobody.set_name("not-registered");
  status = Update(nobody, {"location"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(status).reason, "SERVER_NOT_FOUND");

  // Maintenance on: status MAINTENANCE; off: checked again, and the
  // server's pending zones are due at once.
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("maint-upd-1.test.");
  v1::Zone zone;
  ASSERT_TRUE(zones_->CreateZone(Context().get(), create, &zone).ok());
  Psql("INSERT INTO dnsv1.zone_servers (zone, server, desired_serial)"
       " VALUES ('maint-upd-1.test.', 'upd-1', 1) ON CONFLICT DO NOTHING");
  v1::Server maint;
  maint.set_name("upd-1");
  maint.set_maintenance(true);
  ASSERT_TRUE(Update(maint, {"maintenance"}, &updated).ok());
  EXPECT_TRUE(updated.maintenance());
  EXPECT_EQ(updated.status(), v1::SERVER_STATUS_MAINTENANCE);
  ASSERT_TRUE(Get("upd-1", &updated).ok());
  EXPECT_EQ(updated.status(), v1::SERVER_STATUS_MAINTENANCE);
  Psql("UPDATE dnsv1.zone_servers SET next_attempt_time = now() + interval '1 hour'"
       " WHERE server = 'upd-1'");
  maint.set_maintenance(false);
  ASSERT_TRUE(Update(maint, {"maintenance"}, &updated).ok());
  EXPECT_FALSE(updated.maintenance());
  EXPECT_EQ(updated.status(), v1::SERVER_STATUS_HEALTHY);
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.zone_servers"
                 " WHERE server = 'upd-1' AND next_attempt_time > now()"),
            "0");

  // Key rotation: the new key is sealed and is the one the service uses.
  // (pdns_server still expects the old one, so the check after the update
  // reports 401 with the new key.)
  v1::Server rotate;
  rotate.set_name("upd-1");
  rotate.set_api_key(kRotatedKey);
  ASSERT_TRUE(Update(rotate, {"api_key"}, &updated).ok());
  EXPECT_EQ(updated.status(), v1::SERVER_STATUS_UNAVAILABLE);
  EXPECT_THAT(updated.last_error(), HasSubstr("401"));
  auto with_keys = env_->server_store->ListServersWithKeys();
  ASSERT_TRUE(with_keys.ok()) << with_keys.status();
  for (const auto& s : *with_keys) {
    if (s.name == "upd-1") {
      EXPECT_EQ(s.api_key, kRotatedKey);
    }
  }
  const std::string sealed =
      Psql("SELECT api_key_sealed FROM dnsv1.servers WHERE name = 'upd-1'");
  EXPECT_THAT(sealed, StartsWith("aesgcm:"));
  EXPECT_THAT(sealed, Not(HasSubstr(kRotatedKey)));
  EXPECT_THAT(sealed, Not(HasSubstr(kKey)));
  // Back to the key the server knows: healthy again.
  rotate.set_api_key(kKey);
  ASSERT_TRUE(Update(rotate, {"api_key"}, &updated).ok());
  EXPECT_EQ(updated.status(), v1::SERVER_STATUS_HEALTHY);
  EXPECT_THAT(updated.last_error(), IsEmpty());

  // A recorded check does not move the etag (the monitor must not make
  // every read-modify-write stale).
  v1::Server before;
  ASSERT_TRUE(Get("upd-1", &before).ok());
  ASSERT_TRUE(env_->server_store
                  ->RecordCheck("upd-1", ServerCheck{ServerStatus::kDegraded, "", "slow", absl::Now()})
                  .ok());
  v1::Server after;
  ASSERT_TRUE(Get("upd-1", &after).ok());
  EXPECT_EQ(after.etag(), before.etag());
  EXPECT_EQ(after.status(), v1::SERVER_STATUS_DEGRADED);
  EXPECT_EQ(after.last_error(), "slow");
  EXPECT_EQ(after.version(), before.version());

  ASSERT_TRUE(Deregister("upd-1").ok());
}

TEST_F(ServerServiceTest, RequestIdMakesWritesSafeToRetry) {
  v1::Server first;
  ASSERT_TRUE(Register(ApiServer("idem-1"), &first, false, "reg-idem-1").ok());
  const int changes = env_->changes.load();
  v1::Server again;
  grpc::Status status = Register(ApiServer("idem-1"), &again, false, "reg-idem-1");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.etag(), first.etag());
  // The same id for a different request (another key) is refused.
  status = Register(ApiServer("idem-1", kRotatedKey), nullptr, false, "reg-idem-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(DetailsOf(status).violations.count("request_id"));

  v1::Server patch;
  patch.set_name("idem-1");
  patch.set_capacity_qps(1234);
  v1::Server u1, u2;
  ASSERT_TRUE(Update(patch, {"capacity_qps"}, &u1, "upd-idem-1").ok());
  ASSERT_TRUE(Update(patch, {"capacity_qps"}, &u2, "upd-idem-1").ok());
  EXPECT_EQ(u1.etag(), u2.etag());  // applied once
  EXPECT_GE(env_->changes.load(), changes + 1);
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.requests WHERE fingerprint LIKE '%" +
                 std::string(kKey) + "%'"),
            "0");
  ASSERT_TRUE(Deregister("idem-1").ok());
}

TEST_F(ServerServiceTest, DeregisterServer) {
  ASSERT_TRUE(Register(ApiServer("dereg-1")).ok());
  EXPECT_NE(Psql("SELECT count(*) FROM dnsv1.zone_servers WHERE server = 'dereg-1'"), "");
  const int changes = env_->changes.load();
  ASSERT_TRUE(Deregister("dereg-1").ok());
  EXPECT_EQ(env_->changes.load(), changes + 1);
  grpc::Status status = Get("dereg-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(status).reason, "SERVER_NOT_FOUND");
  status = Deregister("dereg-1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(status).reason, "SERVER_NOT_FOUND");
  EXPECT_TRUE(Deregister("dereg-1", /*allow_missing=*/true).ok());
  EXPECT_EQ(Psql("SELECT count(*) FROM dnsv1.zone_servers WHERE server = 'dereg-1'"), "0");
  // The name is free again.
  ASSERT_TRUE(Register(ApiServer("dereg-1")).ok());
  ASSERT_TRUE(Deregister("dereg-1").ok());
}

TEST_F(ServerServiceTest, AnotherSecretKeyCannotOpenTheKeys) {
  ASSERT_TRUE(Register(ApiServer("sealed-1")).ok());
  auto other = SecretBox::FromBase64Key("b3RoZXItc2VjcmV0LWtleS1vdGhlci1zZWNyZXQta2U=");
  ASSERT_TRUE(other.ok()) << other.status();
  PgServerStore wrong(env_->pool, *other);
  auto keys = wrong.ListServersWithKeys();
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
  ExpectNoSecret(std::string(keys.status().message()), "the status");
  PgServerStore plain(env_->pool, SecretBox());
  keys = plain.ListServersWithKeys();
  ASSERT_FALSE(keys.ok());
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("DNSD_SECRET_KEY"));
  ASSERT_TRUE(Deregister("sealed-1").ok());
}

// Last: the keys used in every call above (and in a fresh round of them)
// never reached a log line, a response or an error message.
TEST_F(ServerServiceTest, KeysNeverLeak) {
  v1::Server s;
  ASSERT_TRUE(Register(ApiServer("leak-1"), &s).ok());
  EXPECT_EQ(Register(ApiServer("leak-2", kWrongKey)).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Register(ApiServer("leak-3", kBadKey)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Get("leak-1").ok());
  v1::ListServersResponse listed;
  ASSERT_TRUE(List(v1::ListServersRequest(), &listed).ok());
  v1::Server rotate;
  rotate.set_name("leak-1");
  rotate.set_api_key(kRotatedKey);
  ASSERT_TRUE(Update(rotate, {"api_key"}).ok());
  rotate.set_api_key(kWrongKey);
  rotate.set_api_url("ftp://nope");
  EXPECT_EQ(Update(rotate, {"api_key", "api_url"}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Deregister("leak-1").ok());

  spdlog::default_logger()->flush();
  const std::string log = env_->sink->Text();
  // The capture works: the calls above are in it.
  EXPECT_THAT(log, HasSubstr("RegisterServer"));
  EXPECT_THAT(log, HasSubstr("server registered"));
  EXPECT_THAT(log, HasSubstr("server registration refused"));
  ExpectNoSecret(log, "the log");
  // The check's HTTP calls were made with the key and logged without it.
  EXPECT_THAT(log, HasSubstr("/api/v1/servers/localhost"));
}

}  // namespace
}  // namespace dns::testing
