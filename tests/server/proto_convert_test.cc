// The wire's TTL: `ttl` 0 (unset) is the default, as it always was;
// `ttl_seconds` has presence, so a TTL of 0 can be asked for.
#include "server/proto_convert.h"

#include <functional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

google::protobuf::RepeatedPtrField<v1::RRsetChange> OneReplace(
    const std::function<void(v1::RRset&)>& fill) {
  google::protobuf::RepeatedPtrField<v1::RRsetChange> changes;
  v1::RRsetChange* change = changes.Add();
  change->set_changetype(v1::CHANGE_TYPE_REPLACE);
  change->mutable_rrset()->set_name("www");
  change->mutable_rrset()->set_type("A");
  change->mutable_rrset()->add_records()->set_content("192.0.2.1");
  fill(*change->mutable_rrset());
  return changes;
}

TEST(ChangesFromProtoTest, NoTtlAtAllIsTheDefault) {
  std::vector<FieldViolation> violations;
  auto changes = ChangesFromProto(OneReplace([](v1::RRset&) {}), violations);
  EXPECT_THAT(violations, IsEmpty());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_TRUE(changes[0].default_ttl);
}

TEST(ChangesFromProtoTest, TtlSecondsZeroIsAZeroTtl) {
  std::vector<FieldViolation> violations;
  auto changes =
      ChangesFromProto(OneReplace([](v1::RRset& r) { r.set_ttl_seconds(0); }), violations);
  EXPECT_THAT(violations, IsEmpty());
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].default_ttl);
  EXPECT_EQ(changes[0].rrset.ttl, 0u);
}

TEST(ChangesFromProtoTest, EitherFieldGivesTheTtlAndBothMustAgree) {
  for (auto fill : std::vector<std::function<void(v1::RRset&)>>{
           [](v1::RRset& r) { r.set_ttl(300); },
           [](v1::RRset& r) { r.set_ttl_seconds(300); },
           [](v1::RRset& r) {
             r.set_ttl(300);
             r.set_ttl_seconds(300);
           }}) {
    std::vector<FieldViolation> violations;
    auto changes = ChangesFromProto(OneReplace(fill), violations);
    EXPECT_THAT(violations, IsEmpty());
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_FALSE(changes[0].default_ttl);
    EXPECT_EQ(changes[0].rrset.ttl, 300u);
  }
  std::vector<FieldViolation> violations;
  ChangesFromProto(OneReplace([](v1::RRset& r) {
                     r.set_ttl(300);
                     r.set_ttl_seconds(60);
                   }),
                   violations);
  ASSERT_THAT(violations, ElementsAre(Field(&FieldViolation::field, "changes[0].rrset.ttl")));
  EXPECT_THAT(violations[0].description, HasSubstr("ttl_seconds"));
}

TEST(RRsetToProtoTest, OutputsCarryTheTtlInBothFields) {
  v1::RRset proto;
  RRsetToProto(RRset{"www.example.com.", "A", 0, {{"192.0.2.1", false}}}, &proto);
  EXPECT_EQ(proto.ttl(), 0u);
  EXPECT_TRUE(proto.has_ttl_seconds());  // a zero TTL is not "unset" on output
  EXPECT_EQ(proto.ttl_seconds(), 0u);
}

}  // namespace
}  // namespace dns
