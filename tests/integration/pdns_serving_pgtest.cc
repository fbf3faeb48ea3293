// A real pdns_server on gpgsql, reading the database dnsd writes, answers over
// DNS what was created through the gRPC API, and stops answering after
// deletes. Caches are off in the fixture's pdns.conf.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/pdns_server.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;

class PdnsServingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    DnsdEnvironment::Get().Start();
    PdnsServer::Options options;
    options.backend = PdnsServer::Options::Backend::kGpgsql;
    options.pg_port = DnsdEnvironment::Get().pg().port();
    options.pg_dbname = "dns";
    auto pdns = PdnsServer::Start(options);
    ASSERT_TRUE(pdns.ok()) << pdns.status();
    pdns_ = pdns->release();
  }
  static void TearDownTestSuite() {
    delete pdns_;
    pdns_ = nullptr;
    DnsdEnvironment::Get().Stop();
  }

  void SetUp() override {
    ASSERT_NE(pdns_, nullptr);
    zones_ = v1::ZoneService::NewStub(DnsdEnvironment::Get().channel());
    records_ = v1::RecordService::NewStub(DnsdEnvironment::Get().channel());
  }

  void Change(const std::string& zone, v1::ChangeType type, const std::string& name,
              const std::string& rrtype, std::vector<std::string> contents) {
    v1::ChangeRRsetsRequest req;
    req.set_zone(zone);
    auto* change = req.add_changes();
    change->set_changetype(type);
    change->mutable_rrset()->set_name(name);
    change->mutable_rrset()->set_type(rrtype);
    change->mutable_rrset()->set_ttl(120);
    for (auto& c : contents) change->mutable_rrset()->add_records()->set_content(c);
    v1::ChangeRRsetsResponse resp;
    auto status = records_->ChangeRRsets(Context().get(), req, &resp);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::string Dig(const std::string& name, const std::string& type) {
    auto out = pdns_->Dig(name, type);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  static PdnsServer* pdns_;
  std::unique_ptr<v1::ZoneService::Stub> zones_;
  std::unique_ptr<v1::RecordService::Stub> records_;
};

PdnsServer* PdnsServingTest::pdns_ = nullptr;

TEST_F(PdnsServingTest, AnswersWhatTheApiWrote) {
  const std::string zone = "served.test.";
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name(zone);
  v1::Zone created;
  ASSERT_TRUE(zones_->CreateZone(Context().get(), create, &created).ok());

  // The SOA carries the zone's serial right after creation.
  EXPECT_THAT(Dig(zone, "SOA"), HasSubstr(absl::StrCat(" ", created.serial(), " ")));
  EXPECT_THAT(Dig(zone, "NS"), HasSubstr("ns1.example.net."));

  Change(zone, v1::CHANGE_TYPE_REPLACE, "www", "A", {"192.0.2.10", "192.0.2.11"});
  Change(zone, v1::CHANGE_TYPE_REPLACE, "www", "AAAA", {"2001:db8::10"});
  Change(zone, v1::CHANGE_TYPE_REPLACE, "@", "MX", {"10 mail.served.test.", "20 mx2.example.net."});
  Change(zone, v1::CHANGE_TYPE_REPLACE, "_sip._tcp", "SRV", {"10 60 5060 sip.served.test."});
  Change(zone, v1::CHANGE_TYPE_REPLACE, "@", "TXT", {"\"v=spf1 mx -all\"", "\"hello world\""});
  Change(zone, v1::CHANGE_TYPE_REPLACE, "alias", "CNAME", {"www.served.test."});

  std::string a = Dig("www.served.test", "A");
  EXPECT_THAT(a, HasSubstr("192.0.2.10"));
  EXPECT_THAT(a, HasSubstr("192.0.2.11"));
  EXPECT_EQ(Dig("www.served.test", "AAAA"), "2001:db8::10");
  std::string mx = Dig(zone, "MX");
  EXPECT_THAT(mx, HasSubstr("10 mail.served.test."));
  EXPECT_THAT(mx, HasSubstr("20 mx2.example.net."));
  EXPECT_EQ(Dig("_sip._tcp.served.test", "SRV"), "10 60 5060 sip.served.test.");
  std::string txt = Dig(zone, "TXT");
  EXPECT_THAT(txt, HasSubstr("\"v=spf1 mx -all\""));
  EXPECT_THAT(txt, HasSubstr("\"hello world\""));
  EXPECT_THAT(Dig("alias.served.test", "CNAME"), HasSubstr("www.served.test."));

  // The SOA serial moves with every batch.
  v1::GetZoneRequest get;
  get.set_zone(zone);
  v1::Zone now;
  ASSERT_TRUE(zones_->GetZone(Context().get(), get, &now).ok());
  EXPECT_EQ(now.serial(), created.serial() + 6);
  EXPECT_THAT(Dig(zone, "SOA"), HasSubstr(absl::StrCat(" ", now.serial(), " ")));

  // Deleting an RRset stops the answer; the name goes away with its last RRset.
  Change(zone, v1::CHANGE_TYPE_DELETE, "www", "AAAA", {});
  EXPECT_EQ(Dig("www.served.test", "AAAA"), "");
  EXPECT_THAT(Dig("www.served.test", "A"), HasSubstr("192.0.2.10"));
  Change(zone, v1::CHANGE_TYPE_DELETE, "www", "A", {});
  Change(zone, v1::CHANGE_TYPE_DELETE, "alias", "CNAME", {});
  auto rcode = pdns_->DigRcode("www.served.test", "A");
  ASSERT_TRUE(rcode.ok());
  EXPECT_EQ(*rcode, "NXDOMAIN");

  // Deleting the zone: the server no longer claims it.
  v1::DeleteZoneRequest del;
  del.set_zone(zone);
  google::protobuf::Empty empty;
  ASSERT_TRUE(zones_->DeleteZone(Context().get(), del, &empty).ok());
  rcode = pdns_->DigRcode(zone, "SOA");
  ASSERT_TRUE(rcode.ok());
  EXPECT_EQ(*rcode, "REFUSED");
}

TEST_F(PdnsServingTest, DelegationsAreNotAuthoritative) {
  const std::string zone = "parent.test.";
  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name(zone);
  v1::Zone created;
  ASSERT_TRUE(zones_->CreateZone(Context().get(), create, &created).ok());
  Change(zone, v1::CHANGE_TYPE_REPLACE, "child", "NS", {"ns.child.parent.test."});
  Change(zone, v1::CHANGE_TYPE_REPLACE, "ns.child", "A", {"192.0.2.53"});
  // A referral, not an authoritative answer: the NS shows up in AUTHORITY.
  auto out = RunCommand(absl::StrCat("dig +norecurse @127.0.0.1 -p ", pdns_->dns_port(),
                                     " www.child.parent.test A"));
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(*out, HasSubstr("NOERROR"));
  EXPECT_THAT(*out, ::testing::Not(HasSubstr(" aa")));
  EXPECT_THAT(*out, HasSubstr("ns.child.parent.test."));
}

}  // namespace
}  // namespace dns::testing
