// The edge conversion of absl::Status to grpc::Status with google.rpc details.
#include "server/grpc_status.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "common/status_details.h"

namespace dns {
namespace {

using ::testing::HasSubstr;

struct Decoded {
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad_request;
  google::rpc::RetryInfo retry;
  bool has_retry = false;
};

Decoded Decode(const grpc::Status& st) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(st.error_details()));
  Decoded out;
  for (const auto& any : details.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) any.UnpackTo(&out.info);
    if (any.Is<google::rpc::BadRequest>()) any.UnpackTo(&out.bad_request);
    if (any.Is<google::rpc::RetryInfo>()) out.has_retry = any.UnpackTo(&out.retry);
  }
  return out;
}

TEST(GrpcStatusTest, ARetryDelayTravelsAsRetryInfo) {
  grpc::Status st = ToGrpcStatus(WithRetryAfter(
      WithReason(absl::ResourceExhaustedError("slow down"), "RATE_LIMITED"), absl::Milliseconds(1500)));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  Decoded d = Decode(st);
  EXPECT_EQ(d.info.reason(), "RATE_LIMITED");
  ASSERT_TRUE(d.has_retry);
  EXPECT_EQ(d.retry.retry_delay().seconds(), 1);
  EXPECT_EQ(d.retry.retry_delay().nanos(), 500000000);
  // Without a delay, no RetryInfo; the code's own reason.
  Decoded plain = Decode(ToGrpcStatus(absl::ResourceExhaustedError("full")));
  EXPECT_FALSE(plain.has_retry);
  EXPECT_EQ(plain.info.reason(), "RESOURCE_EXHAUSTED");
}

TEST(GrpcStatusTest, CarriesCodeReasonAndEveryViolationOfASmallError) {
  absl::Status status = InvalidFields({{"zone.name", "is empty"}, {"zone.account", "too long"}});
  grpc::Status st = ToGrpcStatus(status);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "zone.name: is empty (and 1 more)");
  Decoded d = Decode(st);
  EXPECT_EQ(d.info.reason(), "INVALID_NAME");  // the first violation's kind
  EXPECT_EQ(d.info.domain(), "dns.v1");
  EXPECT_TRUE(d.info.metadata().empty());
  ASSERT_EQ(d.bad_request.field_violations_size(), 2);
  EXPECT_EQ(d.bad_request.field_violations(1).field(), "zone.account");
}

TEST(GrpcStatusTest, TheReasonSaysWhatKindOfViolationCameFirst) {
  const std::vector<std::pair<FieldViolation, std::string>> cases = {
      {{"changes[2].rrset.ttl", "must be at least 60"}, "INVALID_TTL"},
      {{"zone.rrsets[0].ttl", "must be at least 60"}, "INVALID_TTL"},
      {{"changes[0].rrset.records[1].content", "bad"}, "INVALID_RECORD_CONTENT"},
      {{"changes[0].rrset.type", "not supported"}, "INVALID_RECORD_TYPE"},
      {{"zone.name", "is empty"}, "INVALID_NAME"},
      {{"zone.nameservers[1]", "bad"}, "INVALID_NAME"},
      {{"scope.zones[0]", "bad"}, "INVALID_NAME"},
      {{"to_ip", "must differ"}, "INVALID_ADDRESS"},
      {{"changes[3]", "a. would hold a CNAME next to other data"}, "CNAME_CONFLICT"},
      {{"page_token", "malformed"}, "INVALID_PAGE_TOKEN"},
      {{"request_id", "was used before"}, "INVALID_REQUEST_ID"},
      {{"zone.account", "too long"}, "INVALID_ARGUMENT"},
  };
  for (const auto& [violation, reason] : cases) {
    EXPECT_EQ(ViolationReason(violation), reason) << violation.field;
    EXPECT_EQ(Decode(ToGrpcStatus(InvalidFields({violation}))).info.reason(), reason)
        << violation.field;
  }
}

// 101 violations with long descriptions used to make a 13 KB trailer that
// clients with the default 8 KiB metadata limit refused (RESOURCE_EXHAUSTED).
TEST(GrpcStatusTest, HugeErrorsFitAClientsDefaultMetadataLimit) {
  std::vector<FieldViolation> violations;
  for (int i = 0; i < 101; ++i) {
    violations.push_back({absl::StrCat("zone_file", std::string(300, 'f')),
                          absl::StrCat("line ", i, ": ", std::string(1000, '\x01'))});
  }
  absl::Status status = InvalidFields(violations);
  status = absl::Status(status.code(), std::string(5000, 'm'));
  status.SetPayload(kViolationsPayload, *InvalidFields(violations).GetPayload(kViolationsPayload));
  grpc::Status st = ToGrpcStatus(status);

  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(st.error_details().size(), kMaxDetailsBytes);
  EXPECT_LE(st.error_message().size(), kMaxMessageLength);
  // Base64 of the details plus the message, far below 8 KiB.
  EXPECT_LT(st.error_details().size() * 4 / 3 + st.error_message().size() * 3, 8192u - 1024);
  Decoded d = Decode(st);
  EXPECT_GE(d.bad_request.field_violations_size(), 1);
  EXPECT_LE(d.bad_request.field_violations_size(), 20);
  EXPECT_EQ(d.info.metadata().at("violations"), "101");
  EXPECT_THAT(st.error_message(), HasSubstr("101 violations"));
}

TEST(GrpcStatusTest, TwentyViolationsAtMost) {
  std::vector<FieldViolation> violations;
  for (int i = 0; i < 50; ++i) violations.push_back({absl::StrCat("changes[", i, "]"), "bad"});
  grpc::Status st = ToGrpcStatus(InvalidFields(violations));
  Decoded d = Decode(st);
  ASSERT_EQ(d.bad_request.field_violations_size(), 20);
  EXPECT_EQ(d.bad_request.field_violations(19).field(), "changes[19]");
  EXPECT_THAT(st.error_message(), HasSubstr("[50 violations, the first 20 in the details]"));
}

TEST(GrpcStatusTest, ShortensWithoutSplittingACharacter) {
  // 'é' is two bytes; 300 of them cannot fit in 256.
  std::string description;
  for (int i = 0; i < 300; ++i) description += "\xc3\xa9";
  grpc::Status st = ToGrpcStatus(InvalidField("name", description));
  const std::string got = Decode(st).bad_request.field_violations(0).description();
  EXPECT_LE(got.size(), kMaxDescriptionLength);
  EXPECT_EQ(got.substr(got.size() - 3), "...");
  EXPECT_EQ((got.size() - 3) % 2, 0u);
}

}  // namespace
}  // namespace dns
