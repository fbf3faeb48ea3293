#include "storage/pg_errors.h"

#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"
#include "common/status_details.h"

namespace dns {
namespace {

// libpq's text is "ERROR:  message\nDETAIL: ..."; callers want the message.
std::string PrimaryMessage(const char* what) {
  absl::string_view text(what);
  absl::ConsumePrefix(&text, "ERROR:");
  text = absl::StripLeadingAsciiWhitespace(text);
  auto newline = text.find('\n');
  if (newline != absl::string_view::npos) text = text.substr(0, newline);
  return std::string(text);
}

absl::Status FromSqlError(const pqxx::sql_error& e, const std::string& operation) {
  const std::string& state = e.sqlstate();
  std::string message = PrimaryMessage(e.what());
  // Our own SQLSTATEs, raised by the functions in storage/sql/.
  if (state == "DN404") {
    return WithReason(absl::NotFoundError(message), "ZONE_NOT_FOUND");
  }
  if (state == "DN409") {
    return WithReason(absl::AbortedError(message), "STALE_ZONE");
  }
  if (state == "DN400") return InvalidField("changes", message);
  if (state == "DN412") return InvalidField("request_id", message);
  if (state == "23505") {
    return WithReason(absl::AlreadyExistsError(message), "ALREADY_EXISTS");
  }
  if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03" || state == "53300") {
    return WithReason(absl::UnavailableError(absl::StrCat(
                          "database unavailable during ", operation, ": ", message)),
                      "DATABASE_UNAVAILABLE");
  }
  if (state == "40001" || state == "40P01") {
    return WithReason(absl::AbortedError(message), kTransientReason);
  }
  if (state == "57014") {
    return absl::DeadlineExceededError(absl::StrCat(operation, ": ", message));
  }
  // The primary message only: DETAIL can quote a row (a constraint failure
  // on the servers table would show its sealed key).
  spdlog::error("database error in {}: [{}] {}", operation, state, message);
  return absl::InternalError(absl::StrCat("database error in ", operation));
}

}  // namespace

absl::Status StatusFromCurrentException(const std::string& operation) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return WithReason(absl::UnavailableError(absl::StrCat(
                          "database unavailable during ", operation)),
                      "DATABASE_UNAVAILABLE");
  } catch (const pqxx::sql_error& e) {
    return FromSqlError(e, operation);
  } catch (const pqxx::transaction_rollback& e) {
    return WithReason(absl::AbortedError(PrimaryMessage(e.what())), kTransientReason);
  } catch (const pqxx::in_doubt_error& e) {
    return absl::UnavailableError(absl::StrCat(
        operation, ": the database connection broke during commit; the outcome "
                   "is unknown, retry with the same request_id"));
  } catch (const std::exception& e) {
    spdlog::error("unexpected error in {}: {}", operation, PrimaryMessage(e.what()));
    return absl::InternalError(absl::StrCat("internal error in ", operation));
  }
}

bool IsTransient(const absl::Status& status) {
  return ReasonOf(status) == kTransientReason;
}

}  // namespace dns
