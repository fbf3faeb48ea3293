// The CheckConsistency stream. A check reads every zone of its scope from
// the truth and from the servers, which can take minutes at 100,000 zones:
// it runs on a thread of its own (at most a few checks at once), never on
// the runner's, and hands findings to the stream through a short bounded
// queue. When the client reads slowly the check waits for it, so memory
// stays bounded by that queue; a client that goes away stops the check.
#ifndef DNS_SERVER_CHECK_CONSISTENCY_H_
#define DNS_SERVER_CHECK_CONSISTENCY_H_

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/mutex.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "server/consistency/consistency_checker.h"

namespace dns {

// Long calls running on threads of their own: bounded, and waited for at
// shutdown (they use the application's parts).
class BackgroundCalls {
 public:
  explicit BackgroundCalls(int max_running) : max_running_(max_running) {}
  // False when max_running are running already (or stopping).
  bool Enter();
  void Leave();
  // Refuses new calls and waits for the running ones.
  void Drain();

 private:
  const int max_running_;
  absl::Mutex mu_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::ServerWriteReactor<v1::CheckConsistencyResponse>* StartCheckConsistency(
    grpc::CallbackServerContext* context, const v1::CheckConsistencyRequest* request,
    ConsistencyChecker& checker, BackgroundCalls& calls);

}  // namespace dns

#endif  // DNS_SERVER_CHECK_CONSISTENCY_H_
