// ZoneService and RecordService through a real gRPC channel to a real dnsd on
// a private PostgreSQL.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/integration/grpc_test_util.h"

namespace dns::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::SizeIs;

class ZoneServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { DnsdEnvironment::Get().Start(); }
  static void TearDownTestSuite() { DnsdEnvironment::Get().Stop(); }

  void SetUp() override {
    auto channel = DnsdEnvironment::Get().channel();
    ASSERT_NE(channel, nullptr);
    zones_ = v1::ZoneService::NewStub(channel);
    records_ = v1::RecordService::NewStub(channel);
  }

  // A zone name unique to this test.
  std::string ZoneName(const std::string& suffix = "") {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = absl::StrCat(info->name(), suffix, ".test.");
    for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    return name;
  }

  grpc::Status Create(const std::string& name, v1::Zone* out = nullptr,
                      const std::string& account = "") {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(name);
    req.mutable_zone()->set_account(account);
    v1::Zone resp;
    auto status = zones_->CreateZone(Context().get(), req, &resp);
    if (out) *out = resp;
    return status;
  }

  v1::Zone MustCreate(const std::string& name, const std::string& account = "") {
    v1::Zone zone;
    auto status = Create(name, &zone, account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return zone;
  }

  static v1::RRsetChange Replace(const std::string& name, const std::string& type,
                                 std::vector<std::string> contents, uint32_t ttl = 300) {
    v1::RRsetChange change;
    change.set_changetype(v1::CHANGE_TYPE_REPLACE);
    change.mutable_rrset()->set_name(name);
    change.mutable_rrset()->set_type(type);
    change.mutable_rrset()->set_ttl(ttl);
    for (auto& c : contents) change.mutable_rrset()->add_records()->set_content(c);
    return change;
  }

  static v1::RRsetChange Delete(const std::string& name, const std::string& type) {
    v1::RRsetChange change;
    change.set_changetype(v1::CHANGE_TYPE_DELETE);
    change.mutable_rrset()->set_name(name);
    change.mutable_rrset()->set_type(type);
    return change;
  }

  grpc::Status Change(const std::string& zone, std::vector<v1::RRsetChange> changes,
                      v1::ChangeRRsetsResponse* out = nullptr,
                      const std::string& request_id = "") {
    v1::ChangeRRsetsRequest req;
    req.set_zone(zone);
    req.set_request_id(request_id);
    for (auto& c : changes) *req.add_changes() = c;
    v1::ChangeRRsetsResponse resp;
    auto status = records_->ChangeRRsets(Context().get(), req, &resp);
    if (out) *out = resp;
    return status;
  }

  grpc::Status GetRRset(const std::string& zone, const std::string& name,
                        const std::string& type, v1::RRset* out) {
    v1::GetRRsetRequest req;
    req.set_zone(zone);
    req.set_name(name);
    req.set_type(type);
    return records_->GetRRset(Context().get(), req, out);
  }

  v1::Zone MustGet(const std::string& zone, bool full = false) {
    v1::GetZoneRequest req;
    req.set_zone(zone);
    if (full) req.set_view(v1::ZONE_VIEW_FULL);
    v1::Zone resp;
    auto status = zones_->GetZone(Context().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }

  std::unique_ptr<v1::ZoneService::Stub> zones_;
  std::unique_ptr<v1::RecordService::Stub> records_;
};

TEST_F(ZoneServiceTest, CreateZoneCanonicalisesAndWritesSoaAndNs) {
  v1::Zone created;
  ASSERT_TRUE(Create("Create-Zone.TEST", &created).ok());
  EXPECT_EQ(created.name(), "create-zone.test.");
  EXPECT_EQ(created.kind(), v1::ZONE_KIND_NATIVE);
  EXPECT_THAT(created.nameservers(), ElementsAre("ns1.example.net.", "ns2.example.net."));
  EXPECT_GT(created.serial(), 2000000000u);
  EXPECT_FALSE(created.etag().empty());
  EXPECT_GT(created.create_time().seconds(), 0);

  v1::Zone full = MustGet("create-zone.test", /*full=*/true);
  ASSERT_THAT(full.rrsets(), SizeIs(2));
  std::map<std::string, v1::RRset> by_type;
  for (const auto& r : full.rrsets()) by_type[r.type()] = r;
  ASSERT_EQ(by_type.count("SOA"), 1u);
  EXPECT_THAT(by_type["SOA"].records(0).content(),
              HasSubstr(absl::StrCat("ns1.example.net. hostmaster.create-zone.test. ",
                                     created.serial(), " ")));
  ASSERT_EQ(by_type["NS"].records_size(), 2);
  EXPECT_EQ(by_type["NS"].records(0).content(), "ns1.example.net.");
}

TEST_F(ZoneServiceTest, CreateZoneTwiceIsAlreadyExists) {
  MustCreate(ZoneName());
  auto status = Create(ZoneName());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(DetailsOf(status).reason, "ZONE_ALREADY_EXISTS");
}

TEST_F(ZoneServiceTest, CreateZoneRejectsBadInputWithFieldViolations) {
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name("bad..name.test");
  req.mutable_zone()->add_nameservers("ns1..x");
  req.mutable_zone()->set_kind(v1::ZONE_KIND_SLAVE);
  v1::Zone resp;
  auto status = zones_->CreateZone(Context().get(), req, &resp);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto details = DetailsOf(status);
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.name")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.nameservers[0]")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.masters")));

  req.mutable_zone()->set_name("");
  EXPECT_EQ(zones_->CreateZone(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // An open proto3 enum carries any number a client sends: not silently NATIVE.
  req.mutable_zone()->set_name("kind99.test.");
  req.mutable_zone()->clear_nameservers();
  req.mutable_zone()->set_kind(static_cast<v1::ZoneKind>(99));
  status = zones_->CreateZone(Context().get(), req, &resp);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(status).violations, ::testing::Contains(Key("zone.kind")));
  v1::GetZoneRequest get;
  get.set_zone("kind99.test.");
  EXPECT_EQ(zones_->GetZone(Context().get(), get, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZoneServiceTest, CreateZoneCommitsItsInitialRRsetsUnderTheFirstSerial) {
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(ZoneName());
  for (const auto& change : {Replace("@", "A", {"192.0.2.10"}), Replace("www", "CNAME", {"@"}),
                             Replace("@", "MX", {"10 mail"}, /*ttl=*/0)}) {
    *req.mutable_zone()->add_rrsets() = change.rrset();
  }
  v1::Zone created;
  // validate_only: the full answer, nothing written.
  req.set_validate_only(true);
  ASSERT_TRUE(zones_->CreateZone(Context().get(), req, &created).ok());
  EXPECT_EQ(created.name(), ZoneName());
  v1::GetZoneRequest get;
  get.set_zone(ZoneName());
  v1::Zone none;
  EXPECT_EQ(zones_->GetZone(Context().get(), get, &none).error_code(), grpc::NOT_FOUND);
  req.set_validate_only(false);
  ASSERT_TRUE(zones_->CreateZone(Context().get(), req, &created).ok());
  req.set_validate_only(true);
  EXPECT_EQ(zones_->CreateZone(Context().get(), req, &none).error_code(),
            grpc::ALREADY_EXISTS);

  v1::Zone full = MustGet(ZoneName(), /*full=*/true);
  EXPECT_EQ(full.serial(), created.serial());  // one serial: the zone's first
  std::map<std::string, v1::RRset> by_key;
  for (const auto& r : full.rrsets()) by_key[absl::StrCat(r.name(), " ", r.type())] = r;
  ASSERT_THAT(by_key, SizeIs(5));  // SOA, NS and the three
  const std::string zone = ZoneName();
  EXPECT_EQ(by_key[zone + " A"].ttl(), 300u);
  EXPECT_EQ(by_key["www." + zone + " CNAME"].records(0).content(), zone);
  EXPECT_EQ(by_key[zone + " MX"].records(0).content(), "10 mail." + zone);
  EXPECT_EQ(by_key[zone + " MX"].ttl(), 3600u);  // no TTL given: the default
  EXPECT_EQ(by_key[zone + " MX"].ttl_seconds(), 3600u);
}

TEST_F(ZoneServiceTest, CreateZoneWithBadInitialRRsetsCreatesNothing) {
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(ZoneName());
  for (const auto& change :
       {Replace("www", "A", {"192.0.2.1"}), Replace("@", "SOA", {"a. b. 1 2 3 4 5"}),
        Replace("@", "NS", {"ns9.example.net."}), Replace("mail", "A", {"not-an-ip"}),
        Replace("www", "TXT", {"x"}, 5)}) {
    *req.mutable_zone()->add_rrsets() = change.rrset();
  }
  req.mutable_zone()->mutable_rrsets(0)->set_ttl_seconds(60);  // disagrees with ttl 300
  v1::Zone resp;
  auto status = zones_->CreateZone(Context().get(), req, &resp);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  auto details = DetailsOf(status);
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.rrsets[0].ttl")));
  // The rest is checked once the wire's fields are consistent.
  req.mutable_zone()->mutable_rrsets(0)->clear_ttl_seconds();
  status = zones_->CreateZone(Context().get(), req, &resp);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  details = DetailsOf(status);
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.rrsets[1].type")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.rrsets[2].type")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.rrsets[3].records[0].content")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("zone.rrsets[4].ttl")));
  EXPECT_THAT(details.violations, ::testing::Not(::testing::Contains(Key("zone.rrsets[0]"))));
  v1::GetZoneRequest get;
  get.set_zone(ZoneName());
  EXPECT_EQ(zones_->GetZone(Context().get(), get, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZoneServiceTest, AbsentAndZeroTtlsDiffer) {
  const std::string zone = ZoneName();
  MustCreate(zone);
  // ttl_seconds = 0 is a TTL of 0: below --min_ttl (60), refused, not replaced.
  v1::RRsetChange zero = Replace("www", "A", {"192.0.2.1"}, /*ttl=*/0);
  zero.mutable_rrset()->set_ttl_seconds(0);
  auto status = Change(zone, {zero});
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(status).violations,
              ElementsAre(::testing::Pair("changes[0].rrset.ttl", HasSubstr("got 0"))));
  v1::RRset stored;
  EXPECT_EQ(GetRRset(zone, "www", "A", &stored).error_code(), grpc::StatusCode::NOT_FOUND);
  // Neither field: the default, as before.
  ASSERT_TRUE(Change(zone, {Replace("www", "A", {"192.0.2.1"}, /*ttl=*/0)}).ok());
  ASSERT_TRUE(GetRRset(zone, "www", "A", &stored).ok());
  EXPECT_EQ(stored.ttl(), 3600u);
  // ttl_seconds alone.
  v1::RRsetChange explicit_ttl = Replace("www", "A", {"192.0.2.1"}, /*ttl=*/0);
  explicit_ttl.mutable_rrset()->set_ttl_seconds(120);
  ASSERT_TRUE(Change(zone, {explicit_ttl}).ok());
  ASSERT_TRUE(GetRRset(zone, "www", "A", &stored).ok());
  EXPECT_EQ(stored.ttl(), 120u);
  EXPECT_TRUE(stored.has_ttl_seconds());
  EXPECT_EQ(stored.ttl_seconds(), 120u);
}

TEST_F(ZoneServiceTest, ValidateOnlyAnswersAsAWriteWouldAndKeepsNothing) {
  const std::string zone = ZoneName();
  v1::ChangeRRsetsResponse first;
  MustCreate(zone);
  ASSERT_TRUE(Change(zone, {Replace("www", "A", {"192.0.2.1"})}, &first).ok());

  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  req.set_validate_only(true);
  req.set_return_rrsets(true);
  req.set_request_id("validate-1");
  *req.add_changes() = Replace("mail", "MX", {"10 MX1.Example.NET."});
  *req.add_changes() = Delete("www", "A");
  v1::ChangeRRsetsResponse resp;
  auto status = records_->ChangeRRsets(Context().get(), req, &resp);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(resp.serial(), first.serial());  // the serial it would have
  ASSERT_EQ(resp.rrsets_size(), 1);
  EXPECT_EQ(resp.rrsets(0).records(0).content(), "10 mx1.example.net.");
  EXPECT_TRUE(resp.propagation().empty());
  // Nothing kept: the zone, its records and the request id are as before.
  EXPECT_EQ(MustGet(zone).serial(), first.serial());
  v1::RRset rrset;
  EXPECT_EQ(GetRRset(zone, "mail", "MX", &rrset).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetRRset(zone, "www", "A", &rrset).ok());
  req.set_validate_only(false);
  ASSERT_TRUE(records_->ChangeRRsets(Context().get(), req, &resp).ok());  // same id, real
  EXPECT_TRUE(GetRRset(zone, "mail", "MX", &rrset).ok());

  // Checks that need the stored zone are made too.
  v1::ChangeRRsetsRequest stale;
  stale.set_zone(zone);
  stale.set_validate_only(true);
  stale.set_expected_serial(first.serial());
  *stale.add_changes() = Replace("x", "A", {"192.0.2.9"});
  EXPECT_EQ(records_->ChangeRRsets(Context().get(), stale, &resp).error_code(),
            grpc::StatusCode::ABORTED);
  v1::ChangeRRsetsRequest conflict;
  conflict.set_zone(zone);
  conflict.set_validate_only(true);
  *conflict.add_changes() = Replace("mail", "CNAME", {"elsewhere.example."});  // next to its MX
  EXPECT_EQ(records_->ChangeRRsets(Context().get(), conflict, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  conflict.set_zone("no-such-zone.test.");
  EXPECT_EQ(records_->ChangeRRsets(Context().get(), conflict, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZoneServiceTest, GetZoneRejectsAnUnknownView) {
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("view.test.");
  v1::Zone resp;
  ASSERT_TRUE(zones_->CreateZone(Context().get(), create, &resp).ok());
  v1::GetZoneRequest req;
  req.set_zone("view.test.");
  req.set_view(static_cast<v1::ZoneView>(77));
  auto status = zones_->GetZone(Context().get(), req, &resp);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(status).violations, ::testing::Contains(Key("view")));
}

TEST_F(ZoneServiceTest, GetMissingZoneIsNotFound) {
  v1::GetZoneRequest req;
  req.set_zone("missing.test.");
  v1::Zone resp;
  auto status = zones_->GetZone(Context().get(), req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(DetailsOf(status).reason, "ZONE_NOT_FOUND");
}

TEST_F(ZoneServiceTest, ChangeRRsetsStoresCanonicalRecordsAndBumpsSerialOnce) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone);
  v1::ChangeRRsetsResponse resp;
  ASSERT_TRUE(Change(zone,
                     {Replace("www", "a", {"192.0.2.10", "192.0.2.11"}),
                      Replace("@", "MX", {"10 Mail." + zone, "20 backup.example.net."}),
                      Replace("_sip._tcp", "SRV", {"10 5 5060 sip." + zone}),
                      Replace("txt", "TXT", {"\"v=spf1 -all\""}),
                      Replace("v6", "AAAA", {"2001:DB8:0:0::1"}),
                      Replace("alias", "CNAME", {"www." + zone})},
                     &resp)
                  .ok());
  EXPECT_EQ(resp.serial(), created.serial() + 1);
  EXPECT_NE(resp.etag(), created.etag());

  v1::RRset rrset;
  ASSERT_TRUE(GetRRset(zone, "WWW." + zone, "A", &rrset).ok());
  EXPECT_EQ(rrset.name(), "www." + zone);
  EXPECT_EQ(rrset.ttl(), 300u);
  ASSERT_EQ(rrset.records_size(), 2);
  ASSERT_TRUE(GetRRset(zone, "@", "MX", &rrset).ok());
  EXPECT_EQ(rrset.records(0).content(), "10 mail." + zone);
  EXPECT_EQ(rrset.records(1).content(), "20 backup.example.net.");
  ASSERT_TRUE(GetRRset(zone, "_sip._tcp", "SRV", &rrset).ok());
  EXPECT_EQ(rrset.records(0).content(), "10 5 5060 sip." + zone);
  ASSERT_TRUE(GetRRset(zone, "v6", "AAAA", &rrset).ok());
  EXPECT_EQ(rrset.records(0).content(), "2001:db8::1");

  EXPECT_EQ(MustGet(zone).serial(), resp.serial());
  v1::Zone full = MustGet(zone, true);
  for (const auto& r : full.rrsets()) {
    if (r.type() == "SOA") {
      EXPECT_THAT(r.records(0).content(), HasSubstr(absl::StrCat(" ", resp.serial(), " ")));
    }
  }

  // DELETE removes; deleting a missing RRset is fine.
  ASSERT_TRUE(Change(zone, {Delete("www", "A"), Delete("nothing", "A")}, &resp).ok());
  EXPECT_EQ(resp.serial(), created.serial() + 2);
  EXPECT_EQ(GetRRset(zone, "www", "A", &rrset).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZoneServiceTest, RejectedBatchChangesNothing) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone);
  v1::ChangeRRsetsResponse resp;
  auto status = Change(zone, {Replace("good", "A", {"192.0.2.1"}),
                              Replace("bad", "A", {"192.0.2.1", "999.1.1.1"}),
                              Replace("outside.example.org.", "A", {"192.0.2.1"}),
                              Replace("short", "A", {"192.0.2.1"}, 5)});
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto details = DetailsOf(status);
  EXPECT_THAT(details.violations, ::testing::Contains(Key("changes[1].rrset.records[1].content")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("changes[2].rrset.name")));
  EXPECT_THAT(details.violations, ::testing::Contains(Key("changes[3].rrset.ttl")));
  v1::RRset rrset;
  EXPECT_EQ(GetRRset(zone, "good", "A", &rrset).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(MustGet(zone).serial(), created.serial());

  // A CNAME next to stored data is caught under the zone lock.
  ASSERT_TRUE(Change(zone, {Replace("host", "A", {"192.0.2.1"})}, &resp).ok());
  status = Change(zone, {Replace("ok", "A", {"192.0.2.2"}),
                         Replace("host", "CNAME", {"www.example.net."})});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("CNAME"));
  // Named after the change that brought it, with a reason of its own.
  EXPECT_THAT(DetailsOf(status).violations, ::testing::Contains(Key("changes[1]")));
  EXPECT_EQ(DetailsOf(status).reason, "CNAME_CONFLICT");
  EXPECT_EQ(GetRRset(zone, "ok", "A", &rrset).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(MustGet(zone).serial(), resp.serial());

  // Unspecified change type and the SOA are refused.
  v1::RRsetChange unspecified = Replace("x", "A", {"192.0.2.1"});
  unspecified.set_changetype(v1::CHANGE_TYPE_UNSPECIFIED);
  EXPECT_EQ(Change(zone, {unspecified}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Change(zone, {Replace("@", "SOA", {"a. b. 1 2 3 4 5"})}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Change(zone, {}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Change("missing-zone.test", {Replace("x", "A", {"192.0.2.1"})}).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZoneServiceTest, ValidateOnlyOnZoneWritesAnswersAndKeepsNothing) {
  const std::string zone = ZoneName();
  const v1::Zone created = MustCreate(zone);

  // UpdateZone: the zone as the update would leave it; a stale etag is
  // ABORTED with where the zone stands.
  v1::UpdateZoneRequest update;
  update.mutable_zone()->set_name(zone);
  update.mutable_zone()->set_account("acct-would-be");
  update.mutable_update_mask()->add_paths("account");
  update.set_validate_only(true);
  v1::Zone answer;
  ASSERT_TRUE(zones_->UpdateZone(Context().get(), update, &answer).ok());
  EXPECT_EQ(answer.account(), "acct-would-be");
  EXPECT_EQ(MustGet(zone).account(), created.account());
  EXPECT_EQ(MustGet(zone).etag(), created.etag());
  update.mutable_zone()->set_etag("v999");
  grpc::Status status = zones_->UpdateZone(Context().get(), update, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(DetailsOf(status).metadata["etag"], created.etag());

  // DeleteZone: checked, not deleted.
  v1::DeleteZoneRequest del;
  del.set_zone(zone);
  del.set_validate_only(true);
  google::protobuf::Empty empty;
  ASSERT_TRUE(zones_->DeleteZone(Context().get(), del, &empty).ok());
  EXPECT_EQ(MustGet(zone).serial(), created.serial());
  del.set_zone("missing-" + zone);
  EXPECT_EQ(zones_->DeleteZone(Context().get(), del, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
  del.set_allow_missing(true);
  EXPECT_TRUE(zones_->DeleteZone(Context().get(), del, &empty).ok());

  // ImportZone: the file read and checked, nothing created.
  v1::ImportZoneRequest import;
  const std::string imported = "imported-" + zone;
  import.mutable_zone()->set_name(imported);
  import.set_zone_file("$TTL 300\n@ IN A 192.0.2.1\nwww IN A 192.0.2.1\n");
  import.set_validate_only(true);
  ASSERT_TRUE(zones_->ImportZone(Context().get(), import, &answer).ok());
  EXPECT_EQ(answer.name(), imported);
  v1::GetZoneRequest get;
  get.set_zone(imported);
  EXPECT_EQ(zones_->GetZone(Context().get(), get, &answer).error_code(),
            grpc::StatusCode::NOT_FOUND);
  import.set_zone_file("@ IN A 192.0.2.300\n");
  status = zones_->ImportZone(Context().get(), import, &answer);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  import.mutable_zone()->set_name(zone);
  import.set_zone_file("$TTL 300\n@ IN A 192.0.2.1\n");
  EXPECT_EQ(zones_->ImportZone(Context().get(), import, &answer).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(ZoneServiceTest, StaleSerialOrEtagIsAborted) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone);
  v1::ChangeRRsetsRequest req;
  req.set_zone(zone);
  *req.add_changes() = Replace("a", "A", {"192.0.2.1"});
  req.set_expected_serial(created.serial());
  v1::ChangeRRsetsResponse resp;
  ASSERT_TRUE(records_->ChangeRRsets(Context().get(), req, &resp).ok());
  // Same expectation again: now stale.
  auto status = records_->ChangeRRsets(Context().get(), req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(DetailsOf(status).reason, "STALE_ZONE");
  // Where the zone stands now, to re-read and retry without parsing text.
  const v1::Zone now = MustGet(zone);
  EXPECT_EQ(DetailsOf(status).metadata["serial"], absl::StrCat(now.serial()));
  EXPECT_EQ(DetailsOf(status).metadata["etag"], now.etag());
  req.clear_expected_serial();
  req.set_etag(created.etag());
  EXPECT_EQ(records_->ChangeRRsets(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::ABORTED);
  req.set_etag("garbage");
  EXPECT_EQ(records_->ChangeRRsets(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_etag(MustGet(zone).etag());
  EXPECT_TRUE(records_->ChangeRRsets(Context().get(), req, &resp).ok());
}

TEST_F(ZoneServiceTest, RetriedRequestIdAppliesOnce) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone);
  v1::ChangeRRsetsResponse first, second;
  ASSERT_TRUE(Change(zone, {Replace("r", "A", {"192.0.2.1"})}, &first, "req-" + zone).ok());
  ASSERT_TRUE(Change(zone, {Replace("r", "A", {"192.0.2.1"})}, &second, "req-" + zone).ok());
  EXPECT_EQ(first.serial(), second.serial());
  EXPECT_EQ(MustGet(zone).serial(), first.serial());
  auto status = Change(zone, {Replace("r", "A", {"192.0.2.2"})}, nullptr, "req-" + zone);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(DetailsOf(status).violations, ::testing::Contains(Key("request_id")));

  // CreateZone retried with the same id returns the zone instead of ALREADY_EXISTS.
  v1::CreateZoneRequest req;
  req.mutable_zone()->set_name(ZoneName("-created"));
  req.set_request_id("create-" + zone);
  v1::Zone a, b;
  ASSERT_TRUE(zones_->CreateZone(Context().get(), req, &a).ok());
  ASSERT_TRUE(zones_->CreateZone(Context().get(), req, &b).ok());
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(a.serial(), b.serial());
}

TEST_F(ZoneServiceTest, ListZonesPaginatesWithFilters) {
  std::set<std::string> expected;
  for (int i = 0; i < 23; ++i) {
    std::string name = absl::StrCat("page", i, ".list.test.");
    MustCreate(name, i % 2 == 0 ? "acct-even" : "acct-odd");
    if (i % 2 == 0) expected.insert(name);
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListZonesRequest req;
    req.set_account("acct-even");
    req.set_page_size(5);
    req.set_page_token(token);
    v1::ListZonesResponse resp;
    ASSERT_TRUE(zones_->ListZones(Context().get(), req, &resp).ok());
    for (const auto& z : resp.zones()) {
      EXPECT_EQ(z.account(), "acct-even");
      seen.push_back(z.name());
    }
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(seen.size(), expected.size());

  // Prefix filter, and a token reused with other filters is refused.
  v1::ListZonesRequest req;
  req.set_name_prefix("PAGE1");
  req.set_page_size(2);
  v1::ListZonesResponse resp;
  ASSERT_TRUE(zones_->ListZones(Context().get(), req, &resp).ok());
  ASSERT_EQ(resp.zones_size(), 2);
  EXPECT_EQ(resp.zones(0).name(), "page1.list.test.");
  EXPECT_FALSE(resp.next_page_token().empty());
  req.set_name_prefix("page2");
  req.set_page_token(resp.next_page_token());
  EXPECT_EQ(zones_->ListZones(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_token("not-a-token");
  EXPECT_EQ(zones_->ListZones(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_token("");
  req.set_page_size(-1);
  EXPECT_EQ(zones_->ListZones(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ZoneServiceTest, ListRRsetsPaginatesWholeRRsetsAndFilters) {
  const std::string zone = ZoneName();
  MustCreate(zone);
  std::vector<v1::RRsetChange> changes;
  for (int i = 0; i < 12; ++i) {
    changes.push_back(Replace(absl::StrCat("h", i), "A", {"192.0.2.1", "192.0.2.2"}));
    changes.push_back(Replace(absl::StrCat("h", i), "TXT", {"\"x\""}));
  }
  ASSERT_TRUE(Change(zone, changes).ok());
  std::vector<std::pair<std::string, std::string>> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListRRsetsRequest req;
    req.set_zone(zone);
    req.set_page_size(7);
    req.set_page_token(token);
    v1::ListRRsetsResponse resp;
    ASSERT_TRUE(records_->ListRRsets(Context().get(), req, &resp).ok());
    for (const auto& r : resp.rrsets()) {
      seen.emplace_back(r.name(), r.type());
      if (r.type() == "A") {
        EXPECT_EQ(r.records_size(), 2);
      }
    }
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_EQ(seen.size(), 24u + 2u);  // + SOA and NS
  using Key2 = std::pair<std::string, std::string>;
  EXPECT_EQ(std::set<Key2>(seen.begin(), seen.end()).size(), seen.size());
  EXPECT_EQ(pages, 4);

  v1::ListRRsetsRequest req;
  req.set_zone(zone);
  req.set_type("txt");
  v1::ListRRsetsResponse resp;
  ASSERT_TRUE(records_->ListRRsets(Context().get(), req, &resp).ok());
  EXPECT_EQ(resp.rrsets_size(), 12);
  req.set_name("h3");
  ASSERT_TRUE(records_->ListRRsets(Context().get(), req, &resp).ok());
  ASSERT_EQ(resp.rrsets_size(), 1);
  EXPECT_EQ(resp.rrsets(0).name(), "h3." + zone);
  req.set_type("BOGUS");
  EXPECT_EQ(records_->ListRRsets(Context().get(), req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ZoneServiceTest, UpdateZoneHonoursMaskAndEtag) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone, "before");
  v1::UpdateZoneRequest req;
  req.mutable_zone()->set_name(zone);
  req.mutable_zone()->set_account("after");
  req.mutable_zone()->set_customer_id("not-in-mask");
  (*req.mutable_zone()->mutable_labels())["plan"] = "gold";
  req.mutable_zone()->set_etag(created.etag());
  req.mutable_update_mask()->add_paths("account");
  req.mutable_update_mask()->add_paths("labels");
  v1::Zone updated;
  ASSERT_TRUE(zones_->UpdateZone(Context().get(), req, &updated).ok());
  EXPECT_EQ(updated.account(), "after");
  EXPECT_EQ(updated.customer_id(), "");
  EXPECT_EQ(updated.labels().at("plan"), "gold");
  EXPECT_NE(updated.etag(), created.etag());
  EXPECT_EQ(updated.serial(), created.serial());

  // The old etag is stale now.
  EXPECT_EQ(zones_->UpdateZone(Context().get(), req, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  req.mutable_zone()->clear_etag();
  req.mutable_update_mask()->add_paths("serial");
  EXPECT_EQ(zones_->UpdateZone(Context().get(), req, &updated).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // New nameservers rewrite the apex NS and the SOA MNAME, bumping the serial.
  v1::UpdateZoneRequest ns;
  ns.mutable_zone()->set_name(zone);
  ns.mutable_zone()->add_nameservers("a.ns.example.org");
  ns.mutable_update_mask()->add_paths("nameservers");
  ASSERT_TRUE(zones_->UpdateZone(Context().get(), ns, &updated).ok());
  EXPECT_GT(updated.serial(), created.serial());
  v1::RRset rrset;
  ASSERT_TRUE(GetRRset(zone, "@", "NS", &rrset).ok());
  ASSERT_EQ(rrset.records_size(), 1);
  EXPECT_EQ(rrset.records(0).content(), "a.ns.example.org.");
  ASSERT_TRUE(GetRRset(zone, "@", "SOA", &rrset).ok());
  EXPECT_THAT(rrset.records(0).content(),
              HasSubstr(absl::StrCat("a.ns.example.org. hostmaster.", zone, " ", updated.serial())));
}

TEST_F(ZoneServiceTest, DeleteZone) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone);
  v1::DeleteZoneRequest req;
  req.set_zone(zone);
  req.set_etag("v999999");
  google::protobuf::Empty empty;
  EXPECT_EQ(zones_->DeleteZone(Context().get(), req, &empty).error_code(),
            grpc::StatusCode::ABORTED);
  req.set_etag(created.etag());
  ASSERT_TRUE(zones_->DeleteZone(Context().get(), req, &empty).ok());
  v1::GetZoneRequest get;
  get.set_zone(zone);
  v1::Zone z;
  EXPECT_EQ(zones_->GetZone(Context().get(), get, &z).error_code(), grpc::StatusCode::NOT_FOUND);
  req.clear_etag();
  EXPECT_EQ(zones_->DeleteZone(Context().get(), req, &empty).error_code(),
            grpc::StatusCode::NOT_FOUND);
  req.set_allow_missing(true);
  EXPECT_TRUE(zones_->DeleteZone(Context().get(), req, &empty).ok());
  // The name is free again.
  EXPECT_TRUE(Create(zone).ok());
}

TEST_F(ZoneServiceTest, ImportAndExportRoundTrip) {
  const std::string zone = ZoneName();
  const std::string text = R"($ORIGIN )" + zone + R"(
$TTL 1h
@   IN SOA ns1.provider.example. admin.provider.example. (
        4000000000 ; serial ahead of any date serial
        7200 3600 1209600 300 )
    IN NS  ns1.provider.example.
    IN NS  ns2.provider.example.
    IN MX  10 mail
www 300 IN A 192.0.2.80
        IN AAAA 2001:db8::80
mail    IN A 192.0.2.25
txt     IN TXT "v=spf1 mx -all" "second; string"
)";
  v1::ImportZoneRequest req;
  req.mutable_zone()->set_name(zone);
  req.mutable_zone()->set_customer_id("42");
  req.set_zone_file(text);
  v1::Zone imported;
  auto status = zones_->ImportZone(Context().get(), req, &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(imported.serial(), 4000000000u);
  EXPECT_THAT(imported.nameservers(), ElementsAre("ns1.provider.example.", "ns2.provider.example."));
  v1::RRset rrset;
  ASSERT_TRUE(GetRRset(zone, "@", "MX", &rrset).ok());
  EXPECT_EQ(rrset.records(0).content(), "10 mail." + zone);
  ASSERT_TRUE(GetRRset(zone, "www", "A", &rrset).ok());
  EXPECT_EQ(rrset.ttl(), 300u);
  ASSERT_TRUE(GetRRset(zone, "www", "AAAA", &rrset).ok());
  EXPECT_EQ(rrset.ttl(), 3600u);  // $TTL, not the previous line's TTL (RFC 2308)
  ASSERT_TRUE(GetRRset(zone, "txt", "TXT", &rrset).ok());
  EXPECT_EQ(rrset.records(0).content(), "\"v=spf1 mx -all\" \"second; string\"");

  v1::ExportZoneRequest ereq;
  ereq.set_zone(zone);
  v1::ExportZoneResponse exported;
  ASSERT_TRUE(zones_->ExportZone(Context().get(), ereq, &exported).ok());
  EXPECT_EQ(exported.serial(), 4000000000u);

  // The export imports again as an equal zone.
  const std::string copy = ZoneName("-copy");
  std::string text2 = exported.zone_file();
  size_t pos;
  while ((pos = text2.find(zone)) != std::string::npos) text2.replace(pos, zone.size(), copy);
  req.mutable_zone()->set_name(copy);
  req.set_zone_file(text2);
  ASSERT_TRUE(zones_->ImportZone(Context().get(), req, &imported).ok()) << text2;
  v1::Zone a = MustGet(zone, true), b = MustGet(copy, true);
  ASSERT_EQ(a.rrsets_size(), b.rrsets_size());
  for (int i = 0; i < a.rrsets_size(); ++i) {
    EXPECT_EQ(a.rrsets(i).type(), b.rrsets(i).type());
    EXPECT_EQ(a.rrsets(i).records_size(), b.rrsets(i).records_size());
  }

  // Broken files are refused with the line, and create nothing.
  req.mutable_zone()->set_name(ZoneName("-broken"));
  req.set_zone_file("www IN A 192.0.2.1\nbad IN A 300.1.1.1\n");
  status = zones_->ImportZone(Context().get(), req, &imported);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("line 2"));
  v1::GetZoneRequest get;
  get.set_zone(ZoneName("-broken"));
  EXPECT_EQ(zones_->GetZone(Context().get(), get, &imported).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ZoneServiceTest, ConcurrentWritersLoseNothing) {
  const std::string zone = ZoneName();
  v1::Zone created = MustCreate(zone);
  constexpr int kThreads = 8, kPerThread = 20;
  std::vector<std::vector<uint32_t>> serials(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::RecordService::NewStub(DnsdEnvironment::Get().channel());
      for (int i = 0; i < kPerThread; ++i) {
        v1::ChangeRRsetsRequest req;
        req.set_zone(zone);
        *req.add_changes() = Replace(absl::StrCat("t", t, "-", i), "A", {"192.0.2.1"});
        v1::ChangeRRsetsResponse resp;
        auto status = stub->ChangeRRsets(Context().get(), req, &resp);
        if (!status.ok()) {
          ++failures;
          continue;
        }
        serials[t].push_back(resp.serial());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<uint32_t> all;
  for (const auto& s : serials) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));  // all distinct
  v1::Zone final_zone = MustGet(zone, true);
  EXPECT_EQ(final_zone.serial(), created.serial() + kThreads * kPerThread);
  EXPECT_EQ(final_zone.rrsets_size(), kThreads * kPerThread + 2);
}

TEST_F(ZoneServiceTest, RequestIdIsEchoedOrMinted) {
  v1::GetZoneRequest req;
  req.set_zone("whatever.test");
  v1::Zone resp;
  auto context = Context("my-request-1");
  zones_->GetZone(context.get(), req, &resp);
  auto md = context->GetServerInitialMetadata();
  ASSERT_EQ(md.count("x-request-id"), 1u);
  EXPECT_EQ(std::string(md.find("x-request-id")->second.data(), md.find("x-request-id")->second.size()),
            "my-request-1");
  auto context2 = Context();
  zones_->GetZone(context2.get(), req, &resp);
  auto md2 = context2->GetServerInitialMetadata();
  ASSERT_EQ(md2.count("x-request-id"), 1u);
  EXPECT_EQ(md2.find("x-request-id")->second.size(), 32u);
  EXPECT_THAT(DnsdEnvironment::Get().dnsd().ReadLog(), HasSubstr("request_id=my-request-1"));
}

}  // namespace
}  // namespace dns::testing

namespace dns::testing {
namespace {

// Row ids of an RRset's records, in the order the service keeps them.
std::string RecordIds(const std::string& name, const std::string& type) {
  absl::StatusOr<std::string> ids = DnsdEnvironment::Get().pg().Psql(
      "dns", absl::StrCat("SELECT string_agg(id::text, ',' ORDER BY id) FROM records WHERE name = '",
                          name, "' AND type = '", type, "'"));
  return ids.ok() ? std::string(absl::StripAsciiWhitespace(*ids)) : "error";
}

// A REPLACE rewrites the RRset's rows where it can instead of deleting and
// inserting them: the updates stay on their page (HOT), so a zone written
// over and over leaves no dead index entries behind (a hot zone used to
// slow down by a third within minutes).
TEST_F(ZoneServiceTest, ReplaceRewritesRowsInPlace) {
  const std::string zone = ZoneName();
  MustCreate(zone);
  const std::string www = "www." + zone.substr(0, zone.size() - 1);
  ASSERT_TRUE(Change(zone, {Replace("www", "A", {"192.0.2.1", "192.0.2.2"})}).ok());
  const std::string before = RecordIds(www, "A");
  ASSERT_EQ(std::count(before.begin(), before.end(), ','), 1) << before;

  // Same number of records: the same rows, new contents, order kept.
  ASSERT_TRUE(Change(zone, {Replace("www", "A", {"192.0.2.9", "192.0.2.8"}, 600)}).ok());
  EXPECT_EQ(RecordIds(www, "A"), before);
  v1::RRset rrset;
  ASSERT_TRUE(GetRRset(zone, "www", "A", &rrset).ok());
  ASSERT_EQ(rrset.records_size(), 2);
  EXPECT_EQ(rrset.records(0).content(), "192.0.2.9");
  EXPECT_EQ(rrset.records(1).content(), "192.0.2.8");
  EXPECT_EQ(rrset.ttl(), 600u);

  // Fewer: the first row stays, the other goes.
  ASSERT_TRUE(Change(zone, {Replace("www", "A", {"192.0.2.7"})}).ok());
  EXPECT_EQ(RecordIds(www, "A"), before.substr(0, before.find(',')));
  // More: the row stays, two are added after it.
  ASSERT_TRUE(Change(zone, {Replace("www", "A", {"192.0.2.7", "192.0.2.6", "192.0.2.5"})}).ok());
  ASSERT_TRUE(GetRRset(zone, "www", "A", &rrset).ok());
  ASSERT_EQ(rrset.records_size(), 3);
  EXPECT_EQ(rrset.records(0).content(), "192.0.2.7");
  EXPECT_EQ(rrset.records(2).content(), "192.0.2.5");
  EXPECT_TRUE(absl::StartsWith(RecordIds(www, "A"), before.substr(0, before.find(',')) + ","));

  // A type change at a name is a DELETE and a REPLACE: both land.
  ASSERT_TRUE(Change(zone, {Delete("www", "A"), Replace("www", "CNAME", {"web"})}).ok());
  EXPECT_EQ(RecordIds(www, "A"), "");
  ASSERT_TRUE(GetRRset(zone, "www", "CNAME", &rrset).ok());
  EXPECT_EQ(rrset.records(0).content(), "web." + zone);
}

// jemalloc with prompt purging gives back what large imports used: with
// glibc's malloc six imports of a 40,000-RRset zone left dnsd at about
// 450 MB resident for good.
TEST_F(ZoneServiceTest, MemoryIsGivenBackAfterLargeImports) {
#ifdef DNS_SANITIZED
  GTEST_SKIP() << "the sanitizers bring their own allocator";
#endif
  const pid_t pid = DnsdEnvironment::Get().dnsd().pid();
  auto rss_mb = [pid] {
    std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
    std::string line;
    while (std::getline(status, line)) {
      if (absl::StartsWith(line, "VmRSS:")) return std::stol(line.substr(6)) / 1024;
    }
    return -1L;
  };
  for (int i = 0; i < 6; ++i) {
    const std::string zone = ZoneName(absl::StrCat("-", i));
    std::string file = absl::StrCat("$ORIGIN ", zone, "\n$TTL 300\n@ NS ns1.example.net.\n");
    for (int r = 0; r < 40000; ++r) absl::StrAppend(&file, "h", r, " A 192.0.2.", r % 250 + 1, "\n");
    v1::ImportZoneRequest req;
    req.mutable_zone()->set_name(zone);
    req.set_zone_file(file);
    v1::Zone imported;
    auto status = zones_->ImportZone(Context().get(), req, &imported);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  // Polled, not timed: freed pages go back within seconds.
  long rss = rss_mb();
  for (int i = 0; i < 300 && rss > 150; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rss = rss_mb();
  }
  EXPECT_LE(rss, 150) << "dnsd keeps " << rss << " MB resident after the imports";
}

}  // namespace
}  // namespace dns::testing
