// Per-call bookkeeping at the gRPC edge: the request id (the caller's
// x-request-id or a new one, echoed back), one log line per call with its
// outcome and duration, and the conversion of the result to grpc::Status.
#ifndef DNS_SERVER_CALL_CONTEXT_H_
#define DNS_SERVER_CALL_CONTEXT_H_

#include <grpcpp/server_context.h>

#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/weighted_gate.h"

namespace dns {

inline constexpr char kRequestIdHeader[] = "x-request-id";

class CallContext {
 public:
  CallContext(grpc::ServerContext* context, const char* method);
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  const std::string& request_id() const { return request_id_; }
  const char* method() const { return method_; }

  // Logs the call's outcome and converts it for gRPC.
  grpc::Status Finish(const absl::Status& status);

  // Runs a handler's body (-> absl::Status) and finishes the call with its
  // outcome. An exception escaping the body is the last resort here: it is
  // logged with the request id and answered INTERNAL (RESOURCE_EXHAUSTED
  // for std::bad_alloc), never gRPC's anonymous UNKNOWN, and the process
  // goes on serving.
  template <typename Body>
  grpc::Status Run(Body&& body) {
    absl::Status status;
    try {
      status = body();
    } catch (const std::bad_alloc&) {
      status = Escaped("std::bad_alloc", absl::StatusCode::kResourceExhausted);
    } catch (const std::exception& e) {
      status = Escaped(e.what(), absl::StatusCode::kInternal);
    } catch (...) {
      status = Escaped("non-standard exception", absl::StatusCode::kInternal);
    }
    return Finish(status);
  }

 private:
  absl::Status Escaped(const char* what, absl::StatusCode code);

  grpc::ServerContext* context_;
  const char* method_;
  std::string request_id_;
  absl::Time start_;
};

// A fresh random id (32 hex digits).
std::string NewRequestId();

// Admission of a large request through `gate` (null: none), weighted by its
// size in bytes; waits at most until the call's deadline (and a minute).
absl::StatusOr<WeightedGate::Ticket> AdmitLargeRequest(WeightedGate* gate, size_t bytes,
                                                       grpc::ServerContext* context);

}  // namespace dns

#endif  // DNS_SERVER_CALL_CONTEXT_H_
