// Runs one unit of database work with a pooled connection: exceptions
// become Status, a broken connection is not reused, and transient conflicts
// (serialization failure, deadlock) are retried a bounded number of times.
#ifndef DNS_STORAGE_PG_RUN_H_
#define DNS_STORAGE_PG_RUN_H_

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "storage/connection_pool.h"
#include "storage/pg_errors.h"
#include "common/status_details.h"

namespace dns {

inline constexpr int kMaxTransientAttempts = 4;

// fn(pqxx::connection&) -> absl::StatusOr<T>. Only pass work that is safe
// to repeat as a whole after a transient failure (one transaction).
template <typename T, typename Fn>
absl::StatusOr<T> RunPg(ConnectionPool& pool, const char* operation, Fn&& fn,
                        int attempts = kMaxTransientAttempts) {
  absl::Status last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    absl::StatusOr<ConnectionPool::Lease> lease = pool.Acquire();
    if (!lease.ok()) return lease.status();
    absl::StatusOr<T> result = GuardPg(operation, [&]() -> absl::StatusOr<T> { return fn(**lease); });
    if (!result.ok() && absl::IsUnavailable(result.status())) lease->Discard();
    if (result.ok() || !IsTransient(result.status())) return result;
    last = result.status();
  }
  return WithReason(absl::AbortedError(absl::StrCat(operation, ": gave up after ", attempts,
                                                    " conflicting attempts: ", last.message())),
                    "CONCURRENT_MODIFICATION");
}

}  // namespace dns

#endif  // DNS_STORAGE_PG_RUN_H_
