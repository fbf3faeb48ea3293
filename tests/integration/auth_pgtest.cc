// Authentication and roles on two real dnsd replicas (--auth=true) over one
// PostgreSQL: the first token from `dnsd token create`, the rest through
// TokenService; revocation heard by the other replica; secrets never in a
// response or a log line.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "dns/v1/audit_service.grpc.pb.h"
#include "dns/v1/failover_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/token_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "server/auth/method_roles.h"
#include "tests/testing/contract_methods.h"
#include "gtest/gtest.h"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/process.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    ASSERT_TRUE(pg_->CreateDatabase("dns").ok());
    // The bootstrap: the first admin token straight on the database.
    auto out = CreateTokenOnDatabase(DNSD_PATH, pg_->Url("dns"), "root", "admin");
    ASSERT_TRUE(out.ok()) << out.status();
    admin_ = new std::string(*out);
    ASSERT_EQ(admin_->rfind("dnsv1_", 0), 0u) << *admin_;
    for (int i = 0; i < 2; ++i) {
      auto dnsd = DnsdProcess::Start(
          DNSD_PATH, pg_->Url("dns"),
          {"--auth=true", "--default_nameservers=ns1.example.net.,ns2.example.net."});
      ASSERT_TRUE(dnsd.ok()) << dnsd.status();
      replicas_[i] = dnsd->release();
      channels_[i] = new std::shared_ptr<grpc::Channel>(
          grpc::CreateChannel(replicas_[i]->target(), grpc::InsecureChannelCredentials()));
    }
  }

  static void TearDownTestSuite() {
    for (auto*& r : replicas_) {
      delete r;
      r = nullptr;
    }
    delete pg_;
    pg_ = nullptr;
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& secret) {
    auto ctx = Context();
    if (!secret.empty()) ctx->AddMetadata("authorization", "Bearer " + secret);
    return ctx;
  }

  static std::shared_ptr<grpc::Channel> channel(int i) { return *channels_[i]; }

  // A token made through TokenService by the admin; returns its secret.
  static std::string Make(const std::string& name, v1::Role role,
                          std::vector<std::string> accounts = {}) {
    v1::CreateTokenRequest req;
    req.set_name(name);
    req.set_role(role);
    for (const auto& a : accounts) req.add_accounts(a);
    v1::CreateTokenResponse resp;
    auto st = v1::TokenService::NewStub(channel(0))->CreateToken(As(*admin_).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.token().name(), name);
    EXPECT_EQ(resp.token().created_by(), "root");
    return resp.secret();
  }

  static grpc::Status GetZone(int replica, const std::string& secret, const std::string& zone) {
    v1::GetZoneRequest req;
    req.set_zone(zone);
    v1::Zone out;
    return v1::ZoneService::NewStub(channel(replica))->GetZone(As(secret).get(), req, &out);
  }

  static grpc::Status CreateZone(const std::string& secret, const std::string& zone) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(zone);
    v1::Zone out;
    return v1::ZoneService::NewStub(channel(0))->CreateZone(As(secret).get(), req, &out);
  }

  static PostgresServer* pg_;
  static DnsdProcess* replicas_[2];
  static std::shared_ptr<grpc::Channel>* channels_[2];
  static std::string* admin_;
};

PostgresServer* AuthTest::pg_ = nullptr;
DnsdProcess* AuthTest::replicas_[2] = {nullptr, nullptr};
std::shared_ptr<grpc::Channel>* AuthTest::channels_[2] = {nullptr, nullptr};
std::string* AuthTest::admin_ = nullptr;

TEST_F(AuthTest, WithoutAValidTokenNothingButHealthAnswers) {
  for (const std::string& bad : {std::string(), std::string("dnsv1_forged"), *admin_ + "x"}) {
    grpc::Status st = GetZone(0, bad, "example.com.");
    EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << bad;
    EXPECT_EQ(DetailsOf(st).reason, "UNAUTHENTICATED");
  }
  // Malformed scheme.
  auto ctx = Context();
  ctx->AddMetadata("authorization", "Basic " + *admin_);
  v1::ListServersRequest list;
  v1::ListServersResponse servers;
  EXPECT_EQ(v1::ServerService::NewStub(channel(0))->ListServers(ctx.get(), list, &servers)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A stream is refused the same way.
  v1::WatchHealthRequest watch;
  auto wctx = Context();
  auto reader = v1::ServerService::NewStub(channel(0))->WatchHealth(wctx.get(), watch);
  v1::HealthEvent event;
  EXPECT_FALSE(reader->Read(&event));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // Kubernetes probes need no token.
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  auto hst = grpc::health::v1::Health::NewStub(channel(0))->Check(Context().get(), hreq, &hresp);
  EXPECT_TRUE(hst.ok()) << hst.error_message();
}

TEST_F(AuthTest, RolesDecideWhatATokenMayDo) {
  const std::string reader = Make("reader-1", v1::ROLE_READER);
  const std::string editor = Make("editor-1", v1::ROLE_EDITOR);
  const std::string op = Make("operator-1", v1::ROLE_OPERATOR);

  grpc::Status st = CreateZone(reader, "roles.test.");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(st.error_message(), HasSubstr("editor"));
  ASSERT_TRUE(CreateZone(editor, "roles.test.").ok());
  EXPECT_TRUE(GetZone(1, reader, "roles.test.").ok());  // any replica

  v1::RegisterServerRequest reg;
  reg.mutable_server()->set_name("ns-x");
  v1::Server server;
  EXPECT_EQ(v1::ServerService::NewStub(channel(0))
                ->RegisterServer(As(editor).get(), reg, &server)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An operator gets past the role check (and on to validation).
  EXPECT_EQ(v1::ServerService::NewStub(channel(0))
                ->RegisterServer(As(op).get(), reg, &server)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Only admins manage tokens.
  v1::ListTokensRequest list;
  v1::ListTokensResponse tokens;
  EXPECT_EQ(v1::TokenService::NewStub(channel(0))->ListTokens(As(op).get(), list, &tokens)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Every RPC of every dns.v1 service (from the descriptors, so a new one is
// covered by itself) x every role x scoped or not, against the real dnsd
// with an empty request: the role and scope checks come before the body, so
// a refusal is PERMISSION_DENIED and anything else (INVALID_ARGUMENT for the
// empty request, say) means the caller was let through.
TEST_F(AuthTest, EveryRpcTimesEveryRoleInAndOutOfAccountScope) {
  const std::vector<std::pair<v1::Role, Role>> roles = {{v1::ROLE_READER, Role::kReader},
                                                        {v1::ROLE_EDITOR, Role::kEditor},
                                                        {v1::ROLE_OPERATOR, Role::kOperator},
                                                        {v1::ROLE_ADMIN, Role::kAdmin}};
  const std::vector<ContractMethod> methods = ContractMethods();
  ASSERT_GT(methods.size(), 30u);
  grpc::GenericStub stub(channel(0));
  grpc::CompletionQueue cq;
  auto call = [&](const std::string& secret, const std::string& path) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    ctx.AddMetadata("authorization", "Bearer " + secret);
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1);
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc =
        stub.PrepareUnaryCall(&ctx, path, request, &cq);
    rpc->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    rpc->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    return status;
  };
  int allowed = 0, refused = 0;
  for (const auto& [proto_role, role] : roles) {
    for (const bool scoped : {false, true}) {
      const std::string name =
          absl::StrCat("matrix-", RoleName(role), scoped ? "-scoped" : "");
      const std::string secret =
          Make(name, proto_role, scoped ? std::vector<std::string>{"acct-a"}
                                        : std::vector<std::string>{});
      for (const auto& [path, method] : methods) {
        const std::optional<Role> required = RequiredRole(method);
        ASSERT_TRUE(required.has_value()) << method;
        const bool may = role >= *required && (!scoped || OpenToScopedCallers(method));
        const grpc::Status st = call(secret, path);
        if (may) {
          ++allowed;
          // An empty request names no account: a scoped caller let through
          // is then stopped by its scope, with that reason.
          if (st.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
            EXPECT_TRUE(scoped) << name << " " << method << ": " << st.error_message();
            EXPECT_EQ(DetailsOf(st).reason, "ACCOUNT_OUT_OF_SCOPE") << name << " " << method;
          }
          EXPECT_NE(st.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << " " << method;
        } else {
          ++refused;
          EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << name << " " << method << ": " << st.error_message();
          EXPECT_EQ(DetailsOf(st).reason, "PERMISSION_DENIED") << name << " " << method;
        }
      }
    }
  }
  EXPECT_GT(allowed, 100);
  EXPECT_GT(refused, 100);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(AuthTest, TokensAreListedWithoutSecretsAndBadInputIsNamed) {
  const std::string secret = Make("lister", v1::ROLE_READER, {"acct-1"});
  const std::string used = Make("user-1", v1::ROLE_READER);
  EXPECT_EQ(GetZone(0, used, "nothing.test.").error_code(), grpc::StatusCode::NOT_FOUND);
  v1::ListTokensRequest list;
  list.set_page_size(2);
  std::vector<v1::Token> all;
  std::string serialized;
  auto stub = v1::TokenService::NewStub(channel(1));
  do {
    v1::ListTokensResponse page;
    ASSERT_TRUE(stub->ListTokens(As(*admin_).get(), list, &page).ok());
    serialized += page.SerializeAsString();
    all.insert(all.end(), page.tokens().begin(), page.tokens().end());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  bool found = false;
  for (const auto& t : all) {
    if (t.name() == "user-1") {
      EXPECT_TRUE(t.has_last_use_time());
    }
    if (t.name() != "lister") continue;
    found = true;
    EXPECT_EQ(t.role(), v1::ROLE_READER);
    ASSERT_EQ(t.accounts_size(), 1);
    EXPECT_EQ(t.accounts(0), "acct-1");
  }
  EXPECT_TRUE(found);
  EXPECT_THAT(serialized, Not(HasSubstr(secret)));
  EXPECT_THAT(serialized, Not(HasSubstr(used)));
  EXPECT_THAT(serialized, Not(HasSubstr(*admin_)));

  v1::CreateTokenRequest bad;
  bad.set_name("Bad Name");
  v1::CreateTokenResponse resp;
  grpc::Status st = stub->CreateToken(As(*admin_).get(), bad, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(DetailsOf(st).violations.count("name"));
  EXPECT_TRUE(DetailsOf(st).violations.count("role"));
  v1::CreateTokenRequest dup;
  dup.set_name("lister");
  dup.set_role(v1::ROLE_READER);
  EXPECT_EQ(stub->CreateToken(As(*admin_).get(), dup, &resp).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::RevokeTokenRequest unknown;
  unknown.set_name("nobody");
  v1::Token revoked;
  EXPECT_EQ(stub->RevokeToken(As(*admin_).get(), unknown, &revoked).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Revoked on one replica (or by `dnsd token revoke` on the database): the
// other refuses it within seconds, although it had the token cached.
TEST_F(AuthTest, ARevokedTokenIsRefusedOnEveryReplicaWithinSeconds) {
  for (const bool by_command : {false, true}) {
    const std::string name = by_command ? "revoked-by-cli" : "revoked-by-rpc";
    const std::string secret = Make(name, v1::ROLE_READER);
    ASSERT_EQ(GetZone(1, secret, "x.test.").error_code(), grpc::StatusCode::NOT_FOUND);  // cached
    if (by_command) {
      auto out = RunCommand(absl::StrCat(DNSD_PATH, " token revoke ", name, " --database_url='",
                                         pg_->Url("dns"), "' --log_level=warn"));
      ASSERT_TRUE(out.ok()) << out.status();
    } else {
      v1::RevokeTokenRequest req;
      req.set_name(name);
      v1::Token revoked;
      ASSERT_TRUE(
          v1::TokenService::NewStub(channel(0))->RevokeToken(As(*admin_).get(), req, &revoked).ok());
      EXPECT_TRUE(revoked.has_revoke_time());
    }
    grpc::StatusCode code = grpc::StatusCode::OK;
    // Bounded: the cache's own lifetime (30 s) is the fallback; the event
    // makes it far quicker.
    for (int i = 0; i < 100; ++i) {
      code = GetZone(1, secret, "x.test.").error_code();
      if (code == grpc::StatusCode::UNAUTHENTICATED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED) << name;
  }
}

// A token limited to an account sees and changes that account's zones only;
// another account's zone looks exactly like a missing one.
TEST_F(AuthTest, AScopedTokenStaysInItsAccounts) {
  const std::string shop = Make("shop-editor", v1::ROLE_EDITOR, {"acct-a"});
  const std::string shop_op = Make("shop-operator", v1::ROLE_OPERATOR, {"acct-a"});
  auto zones = v1::ZoneService::NewStub(channel(0));
  auto create = [&](const std::string& secret, const std::string& name,
                    const std::string& account) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(name);
    req.mutable_zone()->set_account(account);
    v1::Zone out;
    return zones->CreateZone(As(secret).get(), req, &out);
  };
  ASSERT_TRUE(create(*admin_, "other.scope.test.", "acct-b").ok());
  ASSERT_TRUE(create(shop, "mine.scope.test.", "acct-a").ok());
  grpc::Status st = create(shop, "theirs.scope.test.", "acct-b");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DetailsOf(st).reason, "ACCOUNT_OUT_OF_SCOPE");
  EXPECT_EQ(create(shop, "none.scope.test.", "").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Another account's zone and a missing one answer alike.
  const grpc::Status theirs = GetZone(1, shop, "other.scope.test.");
  const grpc::Status missing = GetZone(1, shop, "missing.scope.test.");
  EXPECT_EQ(theirs.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(theirs).reason, DetailsOf(missing).reason);
  EXPECT_EQ(theirs.error_message(),
            absl::StrReplaceAll(missing.error_message(), {{"missing.", "other."}}));
  EXPECT_TRUE(GetZone(1, shop, "mine.scope.test.").ok());

  // Lists hold its accounts' zones only.
  v1::ListZonesRequest list;
  list.set_name_prefix("");
  v1::ListZonesResponse listed;
  ASSERT_TRUE(zones->ListZones(As(shop).get(), list, &listed).ok());
  ASSERT_GT(listed.zones_size(), 0);
  for (const auto& z : listed.zones()) EXPECT_EQ(z.account(), "acct-a") << z.name();
  list.set_account("acct-b");
  listed.Clear();
  ASSERT_TRUE(zones->ListZones(As(shop).get(), list, &listed).ok());
  EXPECT_EQ(listed.zones_size(), 0);

  // Records: its zone yes, the other no.
  auto records = v1::RecordService::NewStub(channel(0));
  auto change = [&](const std::string& zone) {
    v1::ChangeRRsetsRequest req;
    req.set_zone(zone);
    auto* c = req.add_changes();
    c->set_changetype(v1::CHANGE_TYPE_REPLACE);
    c->mutable_rrset()->set_name("www." + zone);
    c->mutable_rrset()->set_type("A");
    c->mutable_rrset()->set_ttl(300);
    c->mutable_rrset()->add_records()->set_content("192.0.2.1");
    v1::ChangeRRsetsResponse resp;
    return records->ChangeRRsets(As(shop).get(), req, &resp);
  };
  EXPECT_TRUE(change("mine.scope.test.").ok());
  EXPECT_EQ(change("other.scope.test.").error_code(), grpc::StatusCode::NOT_FOUND);

  // It cannot move its zone out of its accounts.
  v1::UpdateZoneRequest move;
  move.mutable_zone()->set_name("mine.scope.test.");
  move.mutable_zone()->set_account("acct-b");
  move.mutable_update_mask()->add_paths("account");
  v1::Zone moved;
  EXPECT_EQ(zones->UpdateZone(As(shop).get(), move, &moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Deleting another account's zone: not found, allow_missing or not, and
  // the zone stays.
  v1::DeleteZoneRequest del;
  del.set_zone("other.scope.test.");
  google::protobuf::Empty empty;
  EXPECT_EQ(zones->DeleteZone(As(shop).get(), del, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
  del.set_allow_missing(true);
  EXPECT_TRUE(zones->DeleteZone(As(shop).get(), del, &empty).ok());
  EXPECT_TRUE(GetZone(0, *admin_, "other.scope.test.").ok());

  // Fleet-wide calls are not for scoped tokens; failovers only within.
  v1::ListServersRequest servers;
  v1::ListServersResponse server_list;
  EXPECT_EQ(v1::ServerService::NewStub(channel(0))
                ->ListServers(As(shop_op).get(), servers, &server_list)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto failovers = v1::FailoverService::NewStub(channel(0));
  v1::PlanFailoverRequest plan;
  plan.set_from_ip("192.0.2.1");
  plan.set_to_ip("192.0.2.2");
  plan.mutable_scope()->set_all_zones(true);
  v1::FailoverPlan planned;
  EXPECT_EQ(failovers->PlanFailover(As(shop_op).get(), plan, &planned).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  plan.mutable_scope()->Clear();
  plan.mutable_scope()->add_zones("other.scope.test.");
  EXPECT_EQ(failovers->PlanFailover(As(shop_op).get(), plan, &planned).error_code(),
            grpc::StatusCode::NOT_FOUND);
  plan.mutable_scope()->Clear();
  plan.mutable_scope()->set_account("acct-a");
  ASSERT_TRUE(failovers->PlanFailover(As(shop_op).get(), plan, &planned).ok());
  v1::ProvisionDomainRequest provision;
  provision.set_domain("prov.scope.test.");
  provision.set_account("acct-b");
  provision.set_ip("192.0.2.5");
  v1::Zone provisioned;
  EXPECT_EQ(failovers->ProvisionDomain(As(shop).get(), provision, &provisioned).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// Over its rate, a token is told to come back, with a RetryInfo; another
// token is not held up.
TEST_F(AuthTest, ATokenOverItsRateIsToldWhenToRetry) {
  auto limited = DnsdProcess::Start(
      DNSD_PATH, pg_->Url("dns"),
      {"--auth=true", "--auth_rate_limit_qps=0.1", "--auth_rate_limit_burst=2",
       "--default_nameservers=ns1.example.net.,ns2.example.net."});
  ASSERT_TRUE(limited.ok()) << limited.status();
  auto channel = grpc::CreateChannel((*limited)->target(), grpc::InsecureChannelCredentials());
  auto zones = v1::ZoneService::NewStub(channel);
  const std::string busy = Make("busy", v1::ROLE_READER);
  const std::string quiet = Make("quiet", v1::ROLE_READER);
  v1::GetZoneRequest req;
  req.set_zone("nothing.test.");
  v1::Zone out;
  grpc::Status st;
  int refused_after = -1;
  for (int i = 0; i < 5 && refused_after < 0; ++i) {
    st = zones->GetZone(As(busy).get(), req, &out);
    if (st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) refused_after = i;
  }
  EXPECT_EQ(refused_after, 2);  // the burst of 2, then refused
  EXPECT_EQ(DetailsOf(st).reason, "RATE_LIMITED");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(st.error_details()));
  bool retry = false;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo info;
    if (any.UnpackTo(&info)) {
      retry = true;
      EXPECT_GT(info.retry_delay().seconds() * 1000 + info.retry_delay().nanos() / 1000000, 0);
      EXPECT_LE(info.retry_delay().seconds(), 10);
    }
  }
  EXPECT_TRUE(retry);
  EXPECT_EQ(zones->GetZone(As(quiet).get(), req, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthTest, SecretsNeverReachTheLogs) {
  const std::string secret = Make("logged", v1::ROLE_EDITOR);
  ASSERT_TRUE(CreateZone(secret, "logs.test.").ok());
  EXPECT_FALSE(GetZone(0, secret + "x", "logs.test.").ok());
  for (DnsdProcess* r : replicas_) {
    const std::string log = r->ReadLog();
    EXPECT_THAT(log, Not(HasSubstr(secret)));
    EXPECT_THAT(log, Not(HasSubstr(*admin_)));
    EXPECT_THAT(log, Not(HasSubstr(secret.substr(6, 20))));
  }
}

}  // namespace
}  // namespace dns::testing
