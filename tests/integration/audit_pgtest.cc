// The audit trail on a real dnsd (--auth=true) over a real PostgreSQL: every
// mutation recorded with who, when, what and the RRsets before and after; a
// refused or validate-only write and every read record nothing; reverts as
// new audited changes; account scopes; bad input.
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "dns/v1/audit_service.grpc.pb.h"
#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "dns/v1/token_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/process.h"

namespace dns::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class AuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    ASSERT_TRUE(pg_->CreateDatabase("dns").ok());
    auto out = CreateTokenOnDatabase(DNSD_PATH, pg_->Url("dns"), "root", "admin");
    ASSERT_TRUE(out.ok()) << out.status();
    admin_ = new std::string(*out);
    auto dnsd = DnsdProcess::Start(
        DNSD_PATH, pg_->Url("dns"),
        {"--auth=true", "--default_nameservers=ns1.example.net.,ns2.example.net."});
    ASSERT_TRUE(dnsd.ok()) << dnsd.status();
    dnsd_ = dnsd->release();
    channel_ = new std::shared_ptr<grpc::Channel>(
        grpc::CreateChannel(dnsd_->target(), grpc::InsecureChannelCredentials()));
    editor_ = new std::string(Make("praho", v1::ROLE_EDITOR));
  }

  static void TearDownTestSuite() {
    delete dnsd_;
    dnsd_ = nullptr;
    delete pg_;
    pg_ = nullptr;
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& secret,
                                                 const std::string& request_id = "") {
    auto ctx = Context(request_id);
    ctx->AddMetadata("authorization", "Bearer " + secret);
    return ctx;
  }

  static std::string Make(const std::string& name, v1::Role role,
                          std::vector<std::string> accounts = {}) {
    v1::CreateTokenRequest req;
    req.set_name(name);
    req.set_role(role);
    for (const auto& a : accounts) req.add_accounts(a);
    v1::CreateTokenResponse resp;
    auto st = v1::TokenService::NewStub(*channel_)->CreateToken(As(*admin_).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.secret();
  }

  static v1::Zone CreateZone(const std::string& secret, const std::string& zone,
                             const std::string& account = "") {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(zone);
    req.mutable_zone()->set_account(account);
    v1::Zone out;
    auto st = v1::ZoneService::NewStub(*channel_)->CreateZone(As(secret).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  static grpc::Status SetA(const std::string& secret, const std::string& zone,
                           const std::string& name, std::vector<std::string> addresses,
                           uint32_t ttl, v1::ChangeRRsetsResponse* out,
                           const std::string& request_id = "", bool validate_only = false,
                           std::optional<uint32_t> expected_serial = std::nullopt) {
    v1::ChangeRRsetsRequest req;
    req.set_zone(zone);
    req.set_request_id(request_id);
    req.set_validate_only(validate_only);
    if (expected_serial) req.set_expected_serial(*expected_serial);
    auto* change = req.add_changes();
    change->set_changetype(addresses.empty() ? v1::CHANGE_TYPE_DELETE : v1::CHANGE_TYPE_REPLACE);
    change->mutable_rrset()->set_name(name);
    change->mutable_rrset()->set_type("A");
    change->mutable_rrset()->set_ttl(ttl);
    for (const auto& a : addresses) change->mutable_rrset()->add_records()->set_content(a);
    return v1::RecordService::NewStub(*channel_)->ChangeRRsets(As(secret).get(), req, out);
  }

  static std::vector<v1::AuditEntry> List(const std::string& secret,
                                          v1::ListAuditEntriesRequest req) {
    v1::ListAuditEntriesResponse resp;
    auto st = v1::AuditService::NewStub(*channel_)->ListAuditEntries(As(secret).get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return {resp.entries().begin(), resp.entries().end()};
  }

  static std::vector<v1::AuditEntry> ListZone(const std::string& zone) {
    v1::ListAuditEntriesRequest req;
    req.set_zone(zone);
    return List(*admin_, req);
  }

  static v1::AuditEntry Get(const std::string& id) {
    v1::GetAuditEntryRequest req;
    req.set_id(id);
    v1::AuditEntry out;
    auto st = v1::AuditService::NewStub(*channel_)->GetAuditEntry(As(*admin_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  static grpc::Status Revert(const std::string& secret, const std::string& id, bool force,
                             v1::RevertChangeResponse* out, const std::string& request_id = "") {
    v1::RevertChangeRequest req;
    req.set_id(id);
    req.set_force(force);
    req.set_request_id(request_id);
    return v1::AuditService::NewStub(*channel_)->RevertChange(As(secret).get(), req, out);
  }

  static std::vector<std::string> Contents(const v1::RRset& rrset) {
    std::vector<std::string> out;
    for (const auto& r : rrset.records()) out.push_back(r.content());
    return out;
  }

  static v1::RRset GetA(const std::string& zone, const std::string& name) {
    v1::GetRRsetRequest req;
    req.set_zone(zone);
    req.set_name(name);
    req.set_type("A");
    v1::RRset out;
    auto st = v1::RecordService::NewStub(*channel_)->GetRRset(As(*admin_).get(), req, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  static PostgresServer* pg_;
  static DnsdProcess* dnsd_;
  static std::shared_ptr<grpc::Channel>* channel_;
  static std::string* admin_;
  static std::string* editor_;
};

PostgresServer* AuditTest::pg_ = nullptr;
DnsdProcess* AuditTest::dnsd_ = nullptr;
std::shared_ptr<grpc::Channel>* AuditTest::channel_ = nullptr;
std::string* AuditTest::admin_ = nullptr;
std::string* AuditTest::editor_ = nullptr;

TEST_F(AuditTest, WritesAreRecordedWithWhoWhatAndTheRRsetsBeforeAndAfter) {
  const v1::Zone zone = CreateZone(*editor_, "audit-who.example.", "acme");
  v1::ChangeRRsetsResponse first, second;
  ASSERT_TRUE(SetA(*editor_, "audit-who.example.", "www", {"192.0.2.1"}, 300, &first, "req-who-1")
                  .ok());
  ASSERT_TRUE(SetA(*editor_, "audit-who.example.", "www", {"192.0.2.2", "192.0.2.3"}, 600,
                   &second)
                  .ok());

  const std::vector<v1::AuditEntry> entries = ListZone("audit-who.example.");
  ASSERT_EQ(entries.size(), 3u);
  // Newest first.
  EXPECT_EQ(entries[0].rpc(), "ChangeRRsets");
  EXPECT_EQ(entries[1].rpc(), "ChangeRRsets");
  EXPECT_EQ(entries[2].rpc(), "CreateZone");
  EXPECT_GT(std::stoll(entries[0].id()), std::stoll(entries[1].id()));
  for (const auto& e : entries) {
    EXPECT_EQ(e.actor(), "praho");
    EXPECT_EQ(e.zone(), "audit-who.example.");
    EXPECT_EQ(e.account(), "acme");
    EXPECT_THAT(e.peer(), HasSubstr("127.0.0.1"));
    EXPECT_FALSE(e.request_id().empty());
    EXPECT_TRUE(e.rrsets_before().empty()) << "lists leave the RRsets out";
  }
  EXPECT_EQ(entries[1].request_id(), "req-who-1");
  EXPECT_FALSE(entries[2].has_serial_before());
  EXPECT_EQ(entries[2].serial_after(), zone.serial());
  EXPECT_EQ(entries[1].serial_before(), zone.serial());
  EXPECT_EQ(entries[1].serial_after(), first.serial());
  EXPECT_EQ(entries[0].serial_before(), first.serial());
  EXPECT_EQ(entries[0].serial_after(), second.serial());
  EXPECT_THAT(entries[0].changed_rrsets(), ElementsAre("www.audit-who.example. A"));

  const v1::AuditEntry created = Get(entries[2].id());
  EXPECT_TRUE(created.rrsets_before().empty());
  std::set<std::string> types;
  for (const auto& r : created.rrsets_after()) types.insert(r.type());
  EXPECT_EQ(types, (std::set<std::string>{"NS", "SOA"}));

  const v1::AuditEntry added = Get(entries[1].id());
  EXPECT_TRUE(added.rrsets_before().empty());
  ASSERT_EQ(added.rrsets_after_size(), 1);
  EXPECT_THAT(Contents(added.rrsets_after(0)), ElementsAre("192.0.2.1"));
  EXPECT_EQ(added.rrsets_after(0).ttl(), 300u);

  const v1::AuditEntry replaced = Get(entries[0].id());
  ASSERT_EQ(replaced.rrsets_before_size(), 1);
  EXPECT_THAT(Contents(replaced.rrsets_before(0)), ElementsAre("192.0.2.1"));
  EXPECT_EQ(replaced.rrsets_before(0).ttl(), 300u);
  ASSERT_EQ(replaced.rrsets_after_size(), 1);
  EXPECT_THAT(Contents(replaced.rrsets_after(0)), ElementsAre("192.0.2.2", "192.0.2.3"));
  EXPECT_EQ(replaced.rrsets_after(0).ttl(), 600u);
  const int64_t age = absl::ToInt64Seconds(
      absl::Now() - absl::FromUnixSeconds(replaced.time().seconds()));
  EXPECT_LT(std::abs(age), 300) << "the entry's time is the change's";
}

TEST_F(AuditTest, RefusedRetriedAndValidateOnlyWritesAndReadsRecordNothing) {
  const v1::Zone zone = CreateZone(*editor_, "audit-none.example.");
  v1::ChangeRRsetsResponse out;
  ASSERT_TRUE(SetA(*editor_, "audit-none.example.", "a", {"192.0.2.1"}, 300, &out, "req-n").ok());
  const size_t before = ListZone("audit-none.example.").size();
  ASSERT_EQ(before, 2u);
  // A retry of the same request id is the same change.
  ASSERT_TRUE(SetA(*editor_, "audit-none.example.", "a", {"192.0.2.1"}, 300, &out, "req-n").ok());
  // Stale serial: refused, so nothing happened and nothing is recorded.
  grpc::Status stale =
      SetA(*editor_, "audit-none.example.", "b", {"192.0.2.9"}, 300, &out, "", false, 1);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  // Invalid content.
  EXPECT_EQ(SetA(*editor_, "audit-none.example.", "c", {"not-an-address"}, 300, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // validate_only.
  ASSERT_TRUE(SetA(*editor_, "audit-none.example.", "d", {"192.0.2.4"}, 300, &out, "", true).ok());
  // Reads.
  v1::GetZoneRequest get;
  get.set_zone("audit-none.example.");
  v1::Zone z;
  ASSERT_TRUE(v1::ZoneService::NewStub(*channel_)->GetZone(As(*editor_).get(), get, &z).ok());
  GetA("audit-none.example.", "a.audit-none.example.");
  EXPECT_EQ(ListZone("audit-none.example.").size(), before);
}

TEST_F(AuditTest, RevertPutsTheRRsetsBackAsANewAuditedChange) {
  CreateZone(*editor_, "audit-revert.example.");
  v1::ChangeRRsetsResponse out;
  ASSERT_TRUE(SetA(*editor_, "audit-revert.example.", "www", {"192.0.2.1"}, 300, &out).ok());
  ASSERT_TRUE(SetA(*editor_, "audit-revert.example.", "www", {"198.51.100.7"}, 60, &out).ok());
  ASSERT_TRUE(SetA(*editor_, "audit-revert.example.", "new", {"192.0.2.50"}, 300, &out).ok());
  std::vector<v1::AuditEntry> entries = ListZone("audit-revert.example.");
  ASSERT_EQ(entries.size(), 4u);
  const std::string added_new = entries[0].id();
  const std::string moved_www = entries[1].id();

  // An editor may not revert.
  v1::RevertChangeResponse reverted;
  EXPECT_EQ(Revert(*editor_, moved_www, false, &reverted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  {
    grpc::Status st = Revert(*admin_, moved_www, false, &reverted, "rev-1");
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_EQ(reverted.zone(), "audit-revert.example.");
  EXPECT_GT(reverted.serial(), out.serial());
  v1::RRset www = GetA("audit-revert.example.", "www.audit-revert.example.");
  EXPECT_THAT(Contents(www), ElementsAre("192.0.2.1"));
  EXPECT_EQ(www.ttl(), 300u);
  // A retry of the same revert answers it again.
  v1::RevertChangeResponse again;
  {
    grpc::Status st = Revert(*admin_, moved_www, false, &again, "rev-1");
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_EQ(again.serial(), reverted.serial());

  entries = ListZone("audit-revert.example.");
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].rpc(), "RevertChange");
  EXPECT_EQ(entries[0].actor(), "root");
  EXPECT_EQ(entries[0].reverts(), moved_www);
  EXPECT_EQ(Get(moved_www).reverted_by(), entries[0].id());

  // Reverted once: again only with force.
  grpc::Status twice = Revert(*admin_, moved_www, false, &again);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(twice).reason, "ALREADY_REVERTED");

  // Reverting the addition of a name deletes it.
  {
    grpc::Status st = Revert(*admin_, added_new, false, &reverted);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_THAT(reverted.deleted_rrsets(), ElementsAre("new.audit-revert.example. A"));
  v1::GetRRsetRequest missing;
  missing.set_zone("audit-revert.example.");
  missing.set_name("new.audit-revert.example.");
  missing.set_type("A");
  v1::RRset gone;
  EXPECT_EQ(v1::RecordService::NewStub(*channel_)
                ->GetRRset(As(*admin_).get(), missing, &gone)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A creation is not an RRset change.
  grpc::Status create = Revert(*admin_, entries.back().id(), false, &again);
  EXPECT_EQ(create.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(DetailsOf(create).reason, "NOT_REVERTIBLE");
}

TEST_F(AuditTest, RevertOfRRsetsChangedSinceIsAbortedUnlessForced) {
  CreateZone(*editor_, "audit-since.example.");
  v1::ChangeRRsetsResponse out;
  ASSERT_TRUE(SetA(*editor_, "audit-since.example.", "www", {"192.0.2.1"}, 300, &out).ok());
  ASSERT_TRUE(SetA(*editor_, "audit-since.example.", "www", {"192.0.2.2"}, 300, &out).ok());
  const std::string target = ListZone("audit-since.example.")[0].id();
  ASSERT_TRUE(SetA(*editor_, "audit-since.example.", "www", {"192.0.2.3"}, 300, &out).ok());

  v1::RevertChangeResponse reverted;
  grpc::Status refused = Revert(*admin_, target, false, &reverted);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(DetailsOf(refused).reason, "CHANGED_SINCE");
  EXPECT_THAT(refused.error_message(), HasSubstr("www.audit-since.example. A"));
  EXPECT_THAT(Contents(GetA("audit-since.example.", "www.audit-since.example.")),
              ElementsAre("192.0.2.3"));
  EXPECT_EQ(ListZone("audit-since.example.").size(), 4u) << "a refused revert records nothing";

  {
    grpc::Status st = Revert(*admin_, target, true, &reverted);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  EXPECT_THAT(Contents(GetA("audit-since.example.", "www.audit-since.example.")),
              ElementsAre("192.0.2.1"));
}

TEST_F(AuditTest, AScopedReaderSeesOnlyItsAccountsEntries) {
  CreateZone(*admin_, "audit-mine.example.", "mine");
  CreateZone(*admin_, "audit-theirs.example.", "theirs");
  const std::string reader = Make("mine-reader", v1::ROLE_READER, {"mine"});
  const std::vector<v1::AuditEntry> seen = List(reader, v1::ListAuditEntriesRequest());
  ASSERT_FALSE(seen.empty());
  for (const auto& e : seen) {
    EXPECT_EQ(e.account(), "mine") << e.ShortDebugString();
  }
  const std::string theirs = ListZone("audit-theirs.example.")[0].id();
  v1::GetAuditEntryRequest req;
  req.set_id(theirs);
  v1::AuditEntry out;
  grpc::Status st =
      v1::AuditService::NewStub(*channel_)->GetAuditEntry(As(reader).get(), req, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  req.set_id("999999999");
  grpc::Status missing =
      v1::AuditService::NewStub(*channel_)->GetAuditEntry(As(reader).get(), req, &out);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(st).reason, DetailsOf(missing).reason);
}

TEST_F(AuditTest, TokensAndServersAreAuditedWithoutTheirSecrets) {
  const std::string secret = Make("audited-token", v1::ROLE_READER);
  v1::RevokeTokenRequest revoke;
  revoke.set_name("audited-token");
  v1::Token token;
  ASSERT_TRUE(
      v1::TokenService::NewStub(*channel_)->RevokeToken(As(*admin_).get(), revoke, &token).ok());

  v1::RegisterServerRequest reg;
  reg.mutable_server()->set_name("audit-ns1");
  reg.mutable_server()->set_api_url("http://127.0.0.1:1");
  reg.mutable_server()->set_api_key("very-secret-api-key-5521");
  reg.mutable_server()->set_dns_address("127.0.0.1:1");
  reg.mutable_server()->set_mode(v1::SERVER_MODE_SHARED_DB);
  reg.set_skip_check(true);
  v1::Server server;
  ASSERT_TRUE(
      v1::ServerService::NewStub(*channel_)->RegisterServer(As(*admin_).get(), reg, &server).ok());
  v1::DeregisterServerRequest dereg;
  dereg.set_name("audit-ns1");
  google::protobuf::Empty empty;
  ASSERT_TRUE(v1::ServerService::NewStub(*channel_)
                  ->DeregisterServer(As(*admin_).get(), dereg, &empty)
                  .ok());

  v1::ListAuditEntriesRequest by_root;
  by_root.set_actor("root");
  std::map<std::string, std::vector<std::string>> rpcs_by_target;
  for (const auto& e : List(*admin_, by_root)) {
    rpcs_by_target[e.target()].push_back(e.rpc());
    const v1::AuditEntry full = Get(e.id());
    const std::string all = full.DebugString();
    EXPECT_THAT(all, Not(HasSubstr(secret)));
    EXPECT_THAT(all, Not(HasSubstr("very-secret-api-key-5521")));
    EXPECT_THAT(all, Not(HasSubstr(*admin_)));
  }
  EXPECT_THAT(rpcs_by_target["token audited-token"], ElementsAre("RevokeToken", "CreateToken"));
  EXPECT_THAT(rpcs_by_target["server audit-ns1"],
              ElementsAre("DeregisterServer", "RegisterServer"));

  // The bootstrap token made on the command line is there too.
  v1::ListAuditEntriesRequest by_cli;
  by_cli.set_actor("dnsd token create");
  const std::vector<v1::AuditEntry> cli = List(*admin_, by_cli);
  ASSERT_EQ(cli.size(), 1u);
  EXPECT_EQ(cli[0].target(), "token root");
  EXPECT_THAT(cli[0].details_json(), HasSubstr("\"admin\""));
}

TEST_F(AuditTest, FiltersAndPagesComposeAndBadInputIsNamed) {
  CreateZone(*editor_, "audit-pages.example.");
  v1::ChangeRRsetsResponse out;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(SetA(*editor_, "audit-pages.example.", absl::StrCat("h", i),
                     {absl::StrCat("192.0.2.", i + 1)}, 300, &out)
                    .ok());
  }
  const std::vector<v1::AuditEntry> all = ListZone("audit-pages.example.");
  ASSERT_EQ(all.size(), 5u);
  std::vector<std::string> paged;
  v1::ListAuditEntriesRequest req;
  req.set_zone("AUDIT-PAGES.example");  // canonicalised
  req.set_page_size(2);
  do {
    v1::ListAuditEntriesResponse resp;
    ASSERT_TRUE(
        v1::AuditService::NewStub(*channel_)->ListAuditEntries(As(*admin_).get(), req, &resp).ok());
    for (const auto& e : resp.entries()) paged.push_back(e.id());
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  std::vector<std::string> ids;
  for (const auto& e : all) ids.push_back(e.id());
  EXPECT_EQ(paged, ids);

  v1::ListAuditEntriesRequest rpc;
  rpc.set_zone("audit-pages.example.");
  rpc.set_rpc("CreateZone");
  EXPECT_EQ(List(*admin_, rpc).size(), 1u);
  v1::ListAuditEntriesRequest future;
  future.set_zone("audit-pages.example.");
  *future.mutable_start_time() =
      google::protobuf::util::TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(absl::Now()) + 3600);
  EXPECT_TRUE(List(*admin_, future).empty());

  auto bad_list = [&](v1::ListAuditEntriesRequest r) {
    v1::ListAuditEntriesResponse resp;
    return v1::AuditService::NewStub(*channel_)->ListAuditEntries(As(*admin_).get(), r, &resp);
  };
  v1::ListAuditEntriesRequest bad_zone;
  bad_zone.set_zone("bad..zone");
  grpc::Status st = bad_list(bad_zone);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(DetailsOf(st).violations.count("zone"));
  v1::ListAuditEntriesRequest bad_size;
  bad_size.set_page_size(-1);
  EXPECT_TRUE(DetailsOf(bad_list(bad_size)).violations.count("page_size"));
  v1::ListAuditEntriesRequest bad_token;
  bad_token.set_page_token("garbage");
  EXPECT_EQ(bad_list(bad_token).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListAuditEntriesRequest reversed;
  *reversed.mutable_start_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(2000);
  *reversed.mutable_end_time() = google::protobuf::util::TimeUtil::SecondsToTimestamp(1000);
  EXPECT_TRUE(DetailsOf(bad_list(reversed)).violations.count("end_time"));
  v1::ListAuditEntriesRequest bad_time;
  bad_time.mutable_start_time()->set_seconds(-99999999999999);
  EXPECT_TRUE(DetailsOf(bad_list(bad_time)).violations.count("start_time"));

  v1::GetAuditEntryRequest get;
  v1::AuditEntry entry;
  EXPECT_EQ(v1::AuditService::NewStub(*channel_)->GetAuditEntry(As(*admin_).get(), get, &entry)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  get.set_id("abc");
  EXPECT_EQ(v1::AuditService::NewStub(*channel_)->GetAuditEntry(As(*admin_).get(), get, &entry)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::RevertChangeResponse reverted;
  EXPECT_EQ(Revert(*admin_, "-5", false, &reverted).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuditTest, TheBootstrapTokenFileMakesAnAdminTokenAndFollowsTheFile) {
  const std::string dir = ::testing::TempDir();
  const std::string file = absl::StrCat(dir, "/bootstrap-token");
  auto write = [&](const std::string& secret) {
    std::ofstream(file, std::ios::trunc) << secret << "\n";
  };
  auto list_tokens = [&](int port, const std::string& secret) {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                       grpc::InsecureChannelCredentials());
    v1::ListTokensRequest req;
    v1::ListTokensResponse resp;
    return v1::TokenService::NewStub(channel)->ListTokens(As(secret).get(), req, &resp);
  };
  const std::string first = "dnsv1_first-bootstrap-secret-0123456789abcdefghijk";
  const std::string second = "dnsv1_second-bootstrap-secret-0123456789abcdefghij";
  write(first);
  const std::vector<std::string> flags = {"--auth=true",
                                          absl::StrCat("--auth_bootstrap_token_file=", file)};
  {
    auto dnsd = DnsdProcess::Start(DNSD_PATH, pg_->Url("dns"), flags);
    ASSERT_TRUE(dnsd.ok()) << dnsd.status();
    grpc::Status st = list_tokens((*dnsd)->port(), first);
    EXPECT_TRUE(st.ok()) << st.error_message();
    EXPECT_THAT((*dnsd)->ReadLog(), Not(HasSubstr(first)));
  }
  // The Secret rotated: the new one works, the old one no longer does.
  write(second);
  {
    auto dnsd = DnsdProcess::Start(DNSD_PATH, pg_->Url("dns"), flags);
    ASSERT_TRUE(dnsd.ok()) << dnsd.status();
    EXPECT_TRUE(list_tokens((*dnsd)->port(), second).ok());
    EXPECT_EQ(list_tokens((*dnsd)->port(), first).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  v1::ListAuditEntriesRequest req;
  req.set_rpc("bootstrap token");
  const std::vector<v1::AuditEntry> entries = List(*admin_, req);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].target(), "token bootstrap-admin");
  EXPECT_THAT(entries[0].details_json(), HasSubstr("replaced"));
  EXPECT_THAT(entries[0].DebugString(), Not(HasSubstr(second)));

  // A file too short to hold a safe secret stops the start, naming the flag.
  write("short");
  auto refused = DnsdProcess::Start(DNSD_PATH, pg_->Url("dns"), flags);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("auth_bootstrap_token_file"));
  EXPECT_THAT(std::string(refused.status().message()), Not(HasSubstr("short\n")));
}

}  // namespace
}  // namespace dns::testing
