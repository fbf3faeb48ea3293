// Tokens and roles on a fake store and a fake clock: every RPC × every
// role, and each way a token stops working.
#include "server/auth/authenticator.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/auth/method_roles.h"
#include "server/auth/token_secret.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/fake_token_store.h"

namespace dns {
namespace {

using ::testing::HasSubstr;

class AuthenticatorTest : public ::testing::Test {
 protected:
  // A token with `role` (and `accounts`); returns the header to send.
  std::string Make(const std::string& name, Role role, std::vector<std::string> accounts = {},
                   std::optional<absl::Time> expire = std::nullopt) {
    const std::string secret = *GenerateTokenSecret();
    TokenInfo t;
    t.name = name;
    t.role = role;
    t.accounts = std::move(accounts);
    t.expire_time = expire;
    EXPECT_TRUE(store_.CreateToken(t, HashTokenSecret(secret), {}).ok());
    return "Bearer " + secret;
  }

  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  FakeTokenStore store_;
  Authenticator auth_{&store_, AuthOptions{}, clock_};
};

TEST_F(AuthenticatorTest, EveryRpcTimesEveryRole) {
  const std::vector<Role> roles = {Role::kReader, Role::kEditor, Role::kOperator, Role::kAdmin};
  std::map<Role, std::string> header;
  for (Role r : roles) header[r] = Make(RoleName(r), r);
  for (const std::string& method : MethodsWithRoles()) {
    const Role needed = *RequiredRole(method);
    for (Role r : roles) {
      absl::StatusOr<Principal> p = auth_.Authorize(header[r], method);
      if (static_cast<int>(r) >= static_cast<int>(needed)) {
        ASSERT_TRUE(p.ok()) << method << " as " << RoleName(r) << ": " << p.status();
        EXPECT_EQ(p->name, RoleName(r));
        EXPECT_EQ(p->role, r);
      } else {
        EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied)
            << method << " as " << RoleName(r);
        EXPECT_THAT(p.status().message(), HasSubstr(RoleName(needed)));
      }
    }
  }
  // An RPC missing from the table is open to nobody.
  EXPECT_EQ(auth_.Authorize(header[Role::kAdmin], "NoSuchMethod").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AuthenticatorTest, MissingMalformedAndUnknownTokensAreUnauthenticated) {
  Make("praho", Role::kEditor);
  for (const char* bad : {"", "   ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ",
                          "Bearer dnsv1_not-a-real-token", "dnsv1_abc"}) {
    absl::StatusOr<Principal> p = auth_.Authorize(bad, "GetZone");
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << "'" << bad << "'";
  }
  EXPECT_THAT(auth_.Authorize("", "GetZone").status().message(), HasSubstr("Bearer"));
  EXPECT_EQ(auth_.Authorize("Bearer " + std::string(300, 'x'), "GetZone").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, TheSchemeIsCaseInsensitiveAndTheSecretExact) {
  const std::string header = Make("praho", Role::kEditor);
  const std::string secret = header.substr(7);
  EXPECT_TRUE(auth_.Authorize("bearer " + secret, "GetZone").ok());
  EXPECT_TRUE(auth_.Authorize("BEARER  " + secret + " ", "GetZone").ok());
  std::string changed = secret;
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(auth_.Authorize("Bearer " + changed, "GetZone").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, ARevokedTokenIsRefusedOnceTheCacheIsInvalidated) {
  const std::string header = Make("praho", Role::kEditor);
  ASSERT_TRUE(auth_.Authorize(header, "GetZone").ok());
  const int finds = store_.finds();
  ASSERT_TRUE(auth_.Authorize(header, "GetZone").ok());
  EXPECT_EQ(store_.finds(), finds);  // cached
  ASSERT_TRUE(store_.RevokeToken("praho", {}).ok());
  auth_.Invalidate();  // the event every replica hears on commit
  absl::StatusOr<Principal> p = auth_.Authorize(header, "GetZone");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(p.status().message(), HasSubstr("revoked"));
}

TEST_F(AuthenticatorTest, WithoutTheEventTheCacheLifetimeBoundsARevokedTokensUse) {
  const std::string header = Make("praho", Role::kEditor);
  ASSERT_TRUE(auth_.Authorize(header, "GetZone").ok());
  ASSERT_TRUE(store_.RevokeToken("praho", {}).ok());
  clock_->Advance(AuthOptions{}.cache_ttl);
  EXPECT_EQ(auth_.Authorize(header, "GetZone").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, AnExpiredTokenIsRefused) {
  const std::string header = Make("temp", Role::kReader, {}, clock_->Now() + absl::Hours(1));
  EXPECT_TRUE(auth_.Authorize(header, "GetZone").ok());
  clock_->Advance(absl::Hours(1));
  absl::StatusOr<Principal> p = auth_.Authorize(header, "GetZone");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(p.status().message(), HasSubstr("expired"));
}

TEST_F(AuthenticatorTest, ATokenCreatedElsewhereIsFoundAfterTheNegativeCache) {
  const std::string secret = *GenerateTokenSecret();
  EXPECT_FALSE(auth_.Authorize("Bearer " + secret, "GetZone").ok());
  TokenInfo t;
  t.name = "late";
  t.role = Role::kReader;
  ASSERT_TRUE(store_.CreateToken(t, HashTokenSecret(secret), {}).ok());
  EXPECT_FALSE(auth_.Authorize("Bearer " + secret, "GetZone").ok());  // remembered as unknown
  clock_->Advance(AuthOptions{}.negative_ttl);
  EXPECT_TRUE(auth_.Authorize("Bearer " + secret, "GetZone").ok());
}

TEST_F(AuthenticatorTest, LastUseIsWrittenAboutOnceAMinute) {
  const std::string header = Make("praho", Role::kEditor);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(auth_.Authorize(header, "GetZone").ok());
  EXPECT_EQ(store_.touches(), 1);
  clock_->Advance(absl::Seconds(30));
  ASSERT_TRUE(auth_.Authorize(header, "GetZone").ok());
  EXPECT_EQ(store_.touches(), 1);
  clock_->Advance(absl::Seconds(31));
  ASSERT_TRUE(auth_.Authorize(header, "GetZone").ok());
  EXPECT_EQ(store_.touches(), 2);
  auto listed = store_.ListTokens("", 10, false);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->items[0].last_use_time, clock_->Now());
}

TEST_F(AuthenticatorTest, ADatabaseOutageIsUnavailableNotUnauthenticated) {
  const std::string header = Make("praho", Role::kEditor);
  store_.FailFinds(absl::UnavailableError("connection refused"));
  EXPECT_EQ(auth_.Authorize(header, "GetZone").status().code(), absl::StatusCode::kUnavailable);
  store_.FailFinds(absl::OkStatus());
  EXPECT_TRUE(auth_.Authorize(header, "GetZone").ok());
}

// A token limited to accounts reaches the calls that keep it to them, and
// none of the fleet-wide ones, whatever its role.
TEST_F(AuthenticatorTest, AScopedTokenReachesOnlyTheCallsThatKeepItToItsAccounts) {
  const std::string header = Make("shop", Role::kAdmin, {"acct-1", "acct-2"});
  absl::StatusOr<Principal> p = auth_.Authorize(header, "ChangeRRsets");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->accounts, (std::vector<std::string>{"acct-1", "acct-2"}));
  for (const std::string& method : MethodsWithRoles()) {
    absl::StatusOr<Principal> q = auth_.Authorize(header, method);
    EXPECT_EQ(q.ok(), OpenToScopedCallers(method)) << method;
  }
  for (const char* fleet_wide : {"ListServers", "WatchHealth", "CheckConsistency", "ListFailovers",
                                 "CreateToken", "RegisterServer"}) {
    absl::StatusOr<Principal> q = auth_.Authorize(header, fleet_wide);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kPermissionDenied) << fleet_wide;
    EXPECT_THAT(q.status().message(), HasSubstr("without accounts"));
  }
  for (const char* zone_call : {"GetZone", "ListZones", "CreateZone", "ChangeRRsets",
                                "ProvisionDomain", "PlanFailover"}) {
    EXPECT_TRUE(auth_.Authorize(header, zone_call).ok()) << zone_call;
  }
}

TEST(PrincipalTest, AccountScope) {
  Principal p{"shop", Role::kEditor, {"acct-1", "acct-2"}};
  EXPECT_TRUE(p.Scoped());
  EXPECT_TRUE(p.MayUseAccount("acct-2"));
  EXPECT_FALSE(p.MayUseAccount("acct-3"));
  EXPECT_FALSE(p.MayUseAccount(""));
  const Principal all{"all", Role::kReader, {}};
  EXPECT_TRUE(all.MayUseAccount("anything"));
}

TEST(AuthenticatorRateTest, ATokenOverItsRateIsToldWhenToRetryAndOthersGoOn) {
  auto clock = std::make_shared<FakeClock>();
  FakeTokenStore store;
  AuthOptions options;
  options.rate_limit_qps = 2;
  options.rate_limit_burst = 3;
  Authenticator auth(&store, options, clock);
  auto make = [&](const std::string& name) {
    const std::string secret = *GenerateTokenSecret();
    TokenInfo t;
    t.name = name;
    t.role = Role::kReader;
    EXPECT_TRUE(store.CreateToken(t, HashTokenSecret(secret), {}).ok());
    return "Bearer " + secret;
  };
  const std::string busy = make("busy");
  const std::string quiet = make("quiet");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(auth.Authorize(busy, "GetZone").ok()) << i;  // the burst
  absl::StatusOr<Principal> over = auth.Authorize(busy, "GetZone");
  ASSERT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(over.status()), "RATE_LIMITED");
  ASSERT_TRUE(RetryAfterOf(over.status()).has_value());
  EXPECT_EQ(*RetryAfterOf(over.status()), absl::Milliseconds(500));
  EXPECT_TRUE(auth.Authorize(quiet, "GetZone").ok());  // a bucket per token
  clock->Advance(absl::Milliseconds(500));
  EXPECT_TRUE(auth.Authorize(busy, "GetZone").ok());
  EXPECT_FALSE(auth.Authorize(busy, "GetZone").ok());
}

TEST(AuthenticatorOffTest, EveryCallRunsAsAnonymousWithEveryRight) {
  FakeTokenStore store;
  Authenticator auth(&store, AuthOptions{false});
  absl::StatusOr<Principal> p = auth.Authorize("", "CreateToken");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "anonymous");
  EXPECT_EQ(p->role, Role::kAdmin);
  EXPECT_FALSE(p->Scoped());
  EXPECT_EQ(store.finds(), 0);
}

}  // namespace
}  // namespace dns
