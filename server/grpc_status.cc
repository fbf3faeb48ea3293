#include "server/grpc_status.h"

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "common/status_details.h"

namespace dns {
namespace {

std::string DefaultReason(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kNotFound:
      return "NOT_FOUND";
    case absl::StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case absl::StatusCode::kAborted:
      return "ABORTED";
    case absl::StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case absl::StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case absl::StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case absl::StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case absl::StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    default:
      return "INTERNAL";
  }
}

// Bounded text, cut on a character boundary (UTF-8 continuation bytes are
// never split off their lead byte).
std::string Shorten(absl::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(text.substr(0, cut), "...");
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message = Shorten(status.message(), kMaxMessageLength);

  google::rpc::ErrorInfo info;
  std::string reason = ReasonOf(status);
  info.set_reason(reason.empty() ? DefaultReason(status.code()) : reason);
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : MetadataOf(status)) {
    (*info.mutable_metadata())[Shorten(key, 64)] = Shorten(value, 256);
  }
  std::vector<FieldViolation> violations = ViolationsOf(status);
  google::rpc::BadRequest bad_request;
  for (const auto& v : violations) {
    if (static_cast<size_t>(bad_request.field_violations_size()) == kMaxViolationsCarried) break;
    auto* fv = bad_request.add_field_violations();
    fv->set_field(Shorten(v.field, kMaxFieldLength));
    fv->set_description(Shorten(v.description, kMaxDescriptionLength));
  }
  auto build = [&] {
    google::rpc::Status details;
    details.set_code(static_cast<int>(status.code()));
    details.set_message(message);
    details.add_details()->PackFrom(info);
    if (bad_request.field_violations_size() > 0) details.add_details()->PackFrom(bad_request);
    if (std::optional<absl::Duration> retry = RetryAfterOf(status)) {
      google::rpc::RetryInfo info;
      const int64_t ms = absl::ToInt64Milliseconds(*retry);
      info.mutable_retry_delay()->set_seconds(ms / 1000);
      info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
      details.add_details()->PackFrom(info);
    }
    return details;
  };
  google::rpc::Status details = build();
  while (details.ByteSizeLong() > kMaxDetailsBytes && bad_request.field_violations_size() > 1) {
    bad_request.mutable_field_violations()->RemoveLast();
    details = build();
  }
  const size_t carried = static_cast<size_t>(bad_request.field_violations_size());
  if (carried < violations.size()) {
    (*info.mutable_metadata())["violations"] = std::to_string(violations.size());
    const std::string note =
        absl::StrCat(" [", violations.size(), " violations, the first ", carried, " in the details]");
    message = absl::StrCat(Shorten(status.message(), kMaxMessageLength - note.size()), note);
    details = build();
  }
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace dns
