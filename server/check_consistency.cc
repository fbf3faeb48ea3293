#include "server/check_consistency.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "server/consistency_proto.h"
#include "server/domain/server_name.h"
#include "server/grpc_status.h"
#include "server/call_observer.h"
#include "server/stream_reactor.h"

namespace dns {

bool BackgroundCalls::Enter() {
  absl::MutexLock lock(&mu_);
  if (draining_ || running_ >= max_running_) return false;
  ++running_;
  return true;
}

void BackgroundCalls::Leave() {
  absl::MutexLock lock(&mu_);
  --running_;
}

void BackgroundCalls::Drain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  mu_.Await(absl::Condition(
      +[](int* running) { return *running == 0; }, &running_));
}

namespace {

// Messages waiting for the client: the check waits beyond this.
constexpr size_t kMaxQueued = 4;

class CheckReactor final
    : public QueuedStreamReactor<CheckReactor, v1::CheckConsistencyResponse> {
 public:
  CheckReactor(ConsistencyChecker& checker, BackgroundCalls& calls, std::string request_id)
      : checker_(checker), calls_(calls), request_id_(std::move(request_id)) {}

  // On the check's own thread; holds the starter's reference until done.
  void Run(CheckRequest request, int batch_size) {
    request.request_id = request_id_;
    Log(spdlog::level::info, "consistency check started",
        {{"request_id", request_id_},
         {"server", request.server.empty() ? "all" : request.server},
         {"depth", absl::StrCat(static_cast<int>(request.depth))}});
    v1::CheckConsistencyResponse pending;
    absl::StatusOr<CheckSummary> summary =
        checker_.Check(request, [&](std::vector<Finding> findings) {
          for (const Finding& f : findings) {
            FindingToProto(f, pending.add_findings());
            if (pending.findings_size() < batch_size) continue;
            v1::CheckConsistencyResponse full;
            full.Swap(&pending);
            if (!Queue(std::move(full))) return false;
          }
          return true;
        });
    if (summary.ok()) {
      CheckSummaryToProto(*summary, pending.mutable_summary());
      Log(spdlog::level::info, "consistency check done",
          {{"request_id", request_id_},
           {"zones", absl::StrCat(summary->zones_in_scope)},
           {"findings", absl::StrCat(summary->findings)},
           {"ms", absl::StrCat(absl::ToInt64Milliseconds(summary->duration))}});
      Queue(std::move(pending));
      Done(absl::OkStatus());
    } else {
      Done(summary.status());
    }
    calls_.Leave();
    Release();
  }

  void OnDone() override {
    Unlink();
    Release();
  }

 private:
  // False when the stream has ended (the check should stop).
  bool Queue(v1::CheckConsistencyResponse message) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CheckReactor* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return r->finished_ || r->queue_.size() < kMaxQueued;
          },
          this));
      if (finished_) return false;
      queue_.push_back(std::move(message));
    }
    Pump();
    return true;
  }

  ConsistencyChecker& checker_;
  BackgroundCalls& calls_;
  const std::string request_id_;
};

}  // namespace

grpc::ServerWriteReactor<v1::CheckConsistencyResponse>* StartCheckConsistency(
    grpc::CallbackServerContext* context, const v1::CheckConsistencyRequest* request,
    ConsistencyChecker& checker, BackgroundCalls& calls) {
  auto* reactor = new CheckReactor(checker, calls, RequestIdOf(*context));
  std::vector<FieldViolation> violations;
  CheckRequest check;
  check.server = request->server();
  if (!check.server.empty()) {
    if (auto bad = CheckServerName(check.server)) violations.push_back({"server", *bad});
  }
  check.scope = ScopeFromProto(request->zones(), request->name_prefix(), request->account(),
                               violations);
  std::optional<ConsistencyDepth> depth =
      DepthFromProto(request->depth(), ConsistencyDepth::kSerials);
  if (!depth) {
    violations.push_back({"depth", "must be ZONES, SERIALS or CONTENT"});
  } else {
    check.depth = *depth;
  }
  int batch = request->batch_size() == 0 ? 100 : request->batch_size();
  if (batch < 1 || batch > 1000) violations.push_back({"batch_size", "must be 0 to 1000"});
  if (!violations.empty()) {
    reactor->End(InvalidFields(violations));
    reactor->Release();
    return reactor;
  }
  if (!calls.Enter()) {
    reactor->End(WithReason(
        absl::ResourceExhaustedError("too many consistency checks and reconciles are running; "
                                     "try again when one has finished"),
        "TOO_MANY_CHECKS"));
    reactor->Release();
    return reactor;
  }
  std::thread([reactor, check, batch]() mutable { reactor->Run(std::move(check), batch); })
      .detach();
  return reactor;
}

}  // namespace dns
