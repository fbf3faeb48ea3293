// The one place where absl::Status becomes grpc::Status: the code is carried
// over (the numbering is the same) and the reason and field violations become
// google.rpc.ErrorInfo and google.rpc.BadRequest details.
#ifndef DNS_SERVER_GRPC_STATUS_H_
#define DNS_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace dns {

inline constexpr char kErrorDomain[] = "dns.v1";

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace dns

#endif  // DNS_SERVER_GRPC_STATUS_H_
