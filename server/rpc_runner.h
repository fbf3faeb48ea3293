// Runs the body of every RPC of the callback API. gRPC's callback threads
// must never block, so the body — which talks to PostgreSQL and PowerDNS —
// runs on a bounded executor of its own; a body that waits for propagation
// hands its Reply to the wait and returns, so a waiting call holds no thread.
// An exception escaping a body is the last resort here: logged with the
// request id and answered INTERNAL, never gRPC's anonymous UNKNOWN.
#ifndef DNS_SERVER_RPC_RUNNER_H_
#define DNS_SERVER_RPC_RUNNER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/executor.h"
#include "common/auth.h"
#include "server/auth/authenticator.h"
#include "server/core/weighted_gate.h"

namespace dns {

// What a body knows about its call.
struct CallInfo {
  std::string request_id;
  const char* method = "";
  // The call's deadline, capped by the runner's longest call.
  absl::Time deadline;
  // Who is calling (authenticated and allowed `method` before the body runs).
  Principal principal;
  std::string client_subject;  // the verified client certificate's subject (mTLS), else empty
};

// Finishes the call with a status; the first call wins, later ones are
// ignored. Safe from any thread.
class Reply {
 public:
  Reply() = default;
  explicit Reply(grpc::ServerUnaryReactor* reactor);
  void operator()(const absl::Status& status) const;
  explicit operator bool() const { return state_ != nullptr; }

 private:
  struct State {
    grpc::ServerUnaryReactor* reactor;
    std::atomic<bool> done{false};
  };
  std::shared_ptr<State> state_;
};

class RpcRunner {
 public:
  struct Options {
    // Bodies in progress at once; more wait in the queue. Sized like the
    // database pool: nearly every body holds a connection while it runs.
    int threads = 16;
    size_t max_queued = 10000;
    // A call without a deadline (or a longer one) is treated as having this.
    absl::Duration longest_call = absl::Minutes(5);
    // Null: every call runs as "anonymous" with every right.
    Authenticator* auth = nullptr;
  };

  explicit RpcRunner(Options options);
  ~RpcRunner();  // Shutdown()

  using Body = std::function<void(const CallInfo&, Reply)>;
  // Returns the call's reactor at once; `body` runs on the executor. With a
  // `gate`, the body first waits (until the call's deadline) for `weight` of
  // it: large requests are admitted a bounded number of bytes at a time.
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context, const char* method,
                                  Body body, WeightedGate* gate = nullptr, int64_t weight = 0);
  // Who calls, and may they call `method`? For the streams, which start
  // outside Serve. May read the database (a token not cached yet).
  absl::StatusOr<Principal> Authorize(const grpc::ServerContextBase& context,
                                      absl::string_view method);
  // Runs `task` on the runner's threads (streams' blocking parts).
  absl::Status Post(Executor::Task task) { return executor_.Schedule(std::move(task)); }
  // Runs what is queued, then stops the threads.
  void Shutdown();

  int threads() const { return executor_.threads(); }

 private:
  const Options options_;
  Executor executor_;
};

}  // namespace dns

#endif  // DNS_SERVER_RPC_RUNNER_H_
