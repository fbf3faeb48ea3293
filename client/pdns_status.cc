#include "client/pdns_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "client/pdns_json.h"

namespace dns::pdns {

absl::Status StatusFromHttp(int http_status, absl::string_view body,
                            absl::string_view where) {
  if (http_status >= 200 && http_status < 300) return absl::OkStatus();
  const std::string text = ErrorTextFromBody(body);
  const std::string message =
      absl::StrCat(where, ": HTTP ", http_status, text.empty() ? "" : ": ", text);
  switch (http_status) {
    case 400:
    case 413:
    case 422:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 405:
    case 501:
      return absl::UnimplementedError(message);
    case 409:
      return absl::AlreadyExistsError(message);
    default:
      break;
  }
  if (IsServerFailure(http_status)) return absl::UnavailableError(message);
  if (http_status >= 400 && http_status < 500) {
    return absl::FailedPreconditionError(message);
  }
  // 1xx/3xx: we neither expect nor follow them.
  return absl::UnknownError(message);
}

bool IsServerFailure(int http_status) {
  return (http_status >= 500 && http_status != 501) || http_status == 429;
}

}  // namespace dns::pdns
