// libpqxx exceptions end here: everything above storage/ sees absl::Status.
#ifndef DNS_STORAGE_PG_ERRORS_H_
#define DNS_STORAGE_PG_ERRORS_H_

#include <exception>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dns {

// Reason attached to statuses that are worth retrying as a whole transaction
// (serialization failure, deadlock).
inline constexpr char kTransientReason[] = "DB_TRANSIENT";

// Maps the exception in flight (call from a catch block) to a Status.
absl::Status StatusFromCurrentException(const std::string& operation);

// Runs fn, turning any exception into a Status.
template <typename Fn>
auto GuardPg(const std::string& operation, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    return StatusFromCurrentException(operation);
  }
}

bool IsTransient(const absl::Status& status);

}  // namespace dns

#endif  // DNS_STORAGE_PG_ERRORS_H_
