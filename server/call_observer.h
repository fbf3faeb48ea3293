// The server interceptor every call passes through: it settles the call's
// request id (the caller's x-request-id, else a new one, echoed back in the
// initial metadata and seen by the handler in the client metadata), writes
// the access log line with the outcome and duration, and counts the call in
// the gRPC metrics. Handlers do none of this by hand.
#ifndef DNS_SERVER_CALL_OBSERVER_H_
#define DNS_SERVER_CALL_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <string>

#include "server/core/metrics.h"

namespace dns {

class CallObserverFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `metrics` may be null.
  explicit CallObserverFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics* const metrics_;
};

// The request id of the call `context` serves (set by the interceptor;
// a new one if the call did not pass through it).
std::string RequestIdOf(const grpc::ServerContextBase& context);

}  // namespace dns

#endif  // DNS_SERVER_CALL_OBSERVER_H_
