// The one place where absl::Status becomes grpc::Status: the code is carried
// over (the numbering is the same) and the reason and field violations become
// google.rpc.ErrorInfo and google.rpc.BadRequest details.
#ifndef DNS_SERVER_GRPC_STATUS_H_
#define DNS_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace dns {

inline constexpr char kErrorDomain[] = "dns.v1";

// What one error may carry. gRPC sends the details base64-encoded in the
// grpc-status-details-bin trailer and the message percent-encoded in
// grpc-message; clients refuse trailers over their metadata limit (8 KiB by
// default) with RESOURCE_EXHAUSTED, which would hide the real error. These
// bounds keep every error within it.
inline constexpr size_t kMaxViolationsCarried = 20;
inline constexpr size_t kMaxFieldLength = 128;
inline constexpr size_t kMaxDescriptionLength = 256;
inline constexpr size_t kMaxDetailsBytes = 3072;
inline constexpr size_t kMaxMessageLength = 512;

// The code is carried over; the message and details are bounded as above.
// Where violations are left out, the message says how many there were and
// ErrorInfo.metadata["violations"] carries the total.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace dns

#endif  // DNS_SERVER_GRPC_STATUS_H_
