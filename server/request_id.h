// Request ids: every call has one (the caller's x-request-id, or a new one),
// written on every log line and sent on every PowerDNS call made for it.
#ifndef DNS_SERVER_REQUEST_ID_H_
#define DNS_SERVER_REQUEST_ID_H_

#include <string>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"

namespace dns {

// A fresh random id (32 hex digits).
inline std::string NewRequestId() {
  // absl::BitGen seeds from a shared pool: cheap on short-lived threads,
  // unlike a std::random_device per thread.
  thread_local absl::BitGen rng;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(rng),
                         absl::Uniform<uint64_t>(rng));
}

}  // namespace dns

#endif  // DNS_SERVER_REQUEST_ID_H_
