// Machine-readable error details carried on absl::Status between layers,
// without protobuf: a reason (google.rpc.ErrorInfo.reason at the edge) and
// field violations (google.rpc.BadRequest at the edge).
#ifndef DNS_COMMON_STATUS_DETAILS_H_
#define DNS_COMMON_STATUS_DETAILS_H_

#include <string>
#include "absl/strings/string_view.h"
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace dns {

struct FieldViolation {
  std::string field;        // proto path, e.g. "changes[2].rrset.records[0].content"
  std::string description;  // a sentence a person can act on

  friend bool operator==(const FieldViolation&, const FieldViolation&) = default;
};

inline constexpr char kReasonPayload[] = "dns.v1/reason";
inline constexpr char kViolationsPayload[] = "dns.v1/violations";
inline constexpr char kMetadataPayload[] = "dns.v1/metadata";

// Unit and record separators cannot appear in field paths or our messages.
inline constexpr char kFieldSep = '\x1f';
inline constexpr char kViolationSep = '\x1e';

inline absl::Status WithReason(absl::Status status, absl::string_view reason) {
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

inline std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  return payload ? std::string(*payload) : std::string();
}

// A reason plus key/value metadata (google.rpc.ErrorInfo.metadata at the
// edge), e.g. the id a watcher resumes after.
inline absl::Status WithReasonAndMetadata(
    absl::Status status, absl::string_view reason,
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : metadata) parts.push_back(key + kFieldSep + value);
  status.SetPayload(kMetadataPayload,
                    absl::Cord(absl::StrJoin(parts, std::string(1, kViolationSep))));
  return WithReason(std::move(status), reason);
}

inline std::vector<std::pair<std::string, std::string>> MetadataOf(const absl::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  auto payload = status.GetPayload(kMetadataPayload);
  if (!payload) return out;
  for (absl::string_view part :
       absl::StrSplit(std::string(*payload), kViolationSep, absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(part, absl::MaxSplits(kFieldSep, 1));
    out.push_back(std::move(kv));
  }
  return out;
}

// INVALID_ARGUMENT listing every violation; the message names the first.
// The ErrorInfo reason of a violation, by what it is about, so a client can
// act without parsing text: INVALID_TTL, INVALID_RECORD_CONTENT,
// INVALID_RECORD_TYPE, INVALID_NAME, INVALID_ADDRESS, CNAME_CONFLICT,
// INVALID_PAGE_TOKEN, INVALID_REQUEST_ID; anything else INVALID_ARGUMENT.
inline std::string ViolationReason(const FieldViolation& v) {
  if (v.description.find("CNAME") != std::string::npos &&
      (v.description.find("other data") != std::string::npos ||
       v.description.find("only RRset") != std::string::npos)) {
    return "CNAME_CONFLICT";
  }
  // The field's last part without its index: "changes[2].rrset.ttl" -> "ttl".
  absl::string_view last = v.field;
  const size_t dot = last.rfind('.');
  if (dot != absl::string_view::npos) last.remove_prefix(dot + 1);
  last = last.substr(0, last.find('['));
  if (last == "ttl" || last == "ttl_seconds") return "INVALID_TTL";
  if (last == "content" || last == "records") return "INVALID_RECORD_CONTENT";
  if (last == "type") return "INVALID_RECORD_TYPE";
  if (last == "name" || last == "zone" || last == "zones" || last == "domain" ||
      last == "nameservers" || last == "hostmaster") {
    return "INVALID_NAME";
  }
  if (last == "from_ip" || last == "to_ip" || last == "ip" || last == "ipv6" ||
      last == "dns_address" || last == "masters") {
    return "INVALID_ADDRESS";
  }
  if (last == "page_token") return "INVALID_PAGE_TOKEN";
  if (last == "request_id") return "INVALID_REQUEST_ID";
  return "INVALID_ARGUMENT";
}

// INVALID_ARGUMENT with every violation; the reason is the first one's kind
// (ViolationReason).
inline absl::Status InvalidFields(const std::vector<FieldViolation>& violations) {
  std::vector<std::string> parts;
  for (const auto& v : violations) {
    parts.push_back(v.field + kFieldSep + v.description);
  }
  std::string message =
      violations.empty()
          ? "invalid argument"
          : violations.front().field + ": " + violations.front().description;
  if (violations.size() > 1) {
    message += " (and " + std::to_string(violations.size() - 1) + " more)";
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kViolationsPayload,
                    absl::Cord(absl::StrJoin(parts, std::string(1, kViolationSep))));
  return WithReason(std::move(status), violations.empty() ? std::string("INVALID_ARGUMENT")
                                                          : ViolationReason(violations.front()));
}

inline constexpr char kRetryPayload[] = "dns.v1/retry_after_ms";

// The client may retry after `delay` (google.rpc.RetryInfo at the edge).
inline absl::Status WithRetryAfter(absl::Status status, absl::Duration delay) {
  status.SetPayload(kRetryPayload, absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(delay))));
  return status;
}

inline std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryPayload);
  int64_t ms = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &ms)) return std::nullopt;
  return absl::Milliseconds(ms);
}

inline absl::Status InvalidField(std::string field, std::string description) {
  return InvalidFields({{std::move(field), std::move(description)}});
}

inline std::vector<FieldViolation> ViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kViolationsPayload);
  if (!payload) return out;
  for (absl::string_view part :
       absl::StrSplit(std::string(*payload), kViolationSep, absl::SkipEmpty())) {
    std::pair<std::string, std::string> fd =
        absl::StrSplit(part, absl::MaxSplits(kFieldSep, 1));
    out.push_back({fd.first, fd.second});
  }
  return out;
}

}  // namespace dns

#endif  // DNS_COMMON_STATUS_DETAILS_H_
