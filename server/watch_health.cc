#include "server/watch_health.h"

#include <atomic>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "server/domain/server_name.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"
#include "server/call_observer.h"
#include "server/stream_reactor.h"

namespace dns {
namespace {

std::atomic<int64_t> open_streams{0};

class WatchReactor final : public StreamReactor<WatchReactor, v1::HealthEvent> {
 public:
  WatchReactor(HealthFeed& feed, TimerQueue& timers, Metrics* metrics, std::string request_id)
      : feed_(feed), timers_(timers), metrics_(metrics), request_id_(std::move(request_id)) {
    if (metrics_) metrics_->SetHealthWatchers(++open_streams);
  }

  // On a runner thread (subscribing may read the database). The reactor
  // lives until both this and OnDone are over.
  void Begin(HealthFilter filter, std::optional<int64_t> resume_after,
             absl::Duration heartbeat) {
    heartbeat_ = heartbeat;
    bool finished;
    {
      absl::MutexLock lock(&mu_);
      finished = finished_;
    }
    if (!finished) {
      std::weak_ptr<Link> weak = weak_link();
      absl::StatusOr<std::shared_ptr<HealthSubscriber>> sub =
          feed_.Subscribe(std::move(filter), resume_after, [weak] { Poke(weak); });
      if (!sub.ok()) {
        End(sub.status());
      } else {
        {
          absl::MutexLock lock(&mu_);
          // Cancelled meanwhile: OnDone may have run already.
          finished = finished_;
          if (!finished) subscriber_ = *sub;
        }
        if (finished) {
          feed_.Unsubscribe(*sub);
        } else {
          Log(spdlog::level::info, "health watch started",
              {{"request_id", request_id_},
               {"resume_after", resume_after ? absl::StrCat(*resume_after) : "none"}});
          ScheduleHeartbeat();
          Pump();
        }
      }
    }
    Release();
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (ok && subscriber_ && message_.id() > 0) subscriber_->Sent(message_.id());
    }
    if (!ok) {
      End(absl::CancelledError("the client went away"));
      return;
    }
    Pump();
  }

  void OnDone() override {
    Unlink();
    std::shared_ptr<HealthSubscriber> sub;
    {
      absl::MutexLock lock(&mu_);
      sub = std::move(subscriber_);
      if (timer_) timers_.Cancel(timer_);
    }
    if (sub) feed_.Unsubscribe(sub);
    if (metrics_) metrics_->SetHealthWatchers(--open_streams);
    Release();
  }

  static void Poke(const std::weak_ptr<Link>& weak) {
    WithReactor(weak, [](WatchReactor& r) { r.Pump(); });
  }

 private:
  // Starts the next write or ends the stream; gRPC is called outside mu_
  // (a completion may run inline on this thread).
  void Pump() {
    enum { kNothing, kWrite, kFinish } action = kNothing;
    absl::Status end;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_ || !subscriber_) return;
      if (subscriber_->overflowed()) {
        const int64_t last = subscriber_->last_sent();
        end = WithReasonAndMetadata(
            absl::ResourceExhaustedError(absl::StrCat(
                "this watcher fell behind the events; resume with resume_after=", last)),
            "SUBSCRIBER_TOO_SLOW", {{"last_id", absl::StrCat(last)}});
        finished_ = true;
        action = kFinish;
      } else if (std::optional<HealthEvent> next = subscriber_->Next()) {
        message_.Clear();
        HealthEventToProto(*next, &message_);
        writing_ = true;
        wrote_since_heartbeat_ = true;
        action = kWrite;
      } else if (heartbeat_due_) {
        heartbeat_due_ = false;
        message_.Clear();
        message_.set_type(v1::HEALTH_EVENT_TYPE_HEARTBEAT);
        *message_.mutable_time() =
            google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(absl::Now()));
        writing_ = true;
        action = kWrite;
      } else if (feed_.stopped()) {
        const int64_t last = subscriber_->last_sent();
        end = WithReasonAndMetadata(
            absl::UnavailableError(absl::StrCat("dnsd is stopping; resume with resume_after=",
                                                last, " on another replica")),
            "SHUTTING_DOWN", {{"last_id", absl::StrCat(last)}});
        finished_ = true;
        action = kFinish;
      }
    }
    if (action == kWrite) StartWrite(&message_);
    if (action == kFinish) Finish(ToGrpcStatus(end));
  }

  void ScheduleHeartbeat() {
    std::weak_ptr<Link> weak = weak_link();
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    timer_ = timers_.Schedule(timers_.clock().Now() + heartbeat_, [weak] {
      WithReactor(weak, [](WatchReactor& r) { r.HeartbeatTick(); });
    });
  }

  void HeartbeatTick() {
    {
      absl::MutexLock lock(&mu_);
      timer_ = 0;
      // Only an idle stream needs one.
      if (!wrote_since_heartbeat_) heartbeat_due_ = true;
      wrote_since_heartbeat_ = false;
    }
    ScheduleHeartbeat();
    Pump();
  }

  HealthFeed& feed_;
  TimerQueue& timers_;
  Metrics* const metrics_;
  const std::string request_id_;
  absl::Duration heartbeat_ = absl::Seconds(15);
  std::shared_ptr<HealthSubscriber> subscriber_ ABSL_GUARDED_BY(mu_);
  v1::HealthEvent message_;  // owned by the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool heartbeat_due_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_since_heartbeat_ ABSL_GUARDED_BY(mu_) = false;
  TimerQueue::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

grpc::ServerWriteReactor<v1::HealthEvent>* StartWatchHealth(
    grpc::CallbackServerContext* context, const v1::WatchHealthRequest* request,
    HealthFeed& feed, TimerQueue& timers, RpcRunner& runner, Metrics* metrics,
    const WatchHealthOptions& options) {
  auto* reactor = new WatchReactor(feed, timers, metrics, RequestIdOf(*context));
  std::vector<FieldViolation> violations;
  HealthFilter filter;
  for (int i = 0; i < request->servers_size(); ++i) {
    if (auto bad = CheckServerName(request->servers(i))) {
      violations.push_back({absl::StrCat("servers[", i, "]"), *bad});
    }
    filter.servers.insert(request->servers(i));
  }
  for (int i = 0; i < request->event_types_size(); ++i) {
    std::optional<HealthEventType> type = HealthEventTypeFromProto(request->event_types(i));
    if (!type) {
      violations.push_back({absl::StrCat("event_types[", i, "]"),
                            "must be STATUS_CHANGED, ALERT_RAISED, ALERT_CLEARED or CHECK_FAILED"});
    } else {
      filter.types.insert(*type);
    }
  }
  if (request->resume_after() < 0) violations.push_back({"resume_after", "must not be negative"});
  absl::Duration heartbeat = options.default_heartbeat;
  if (request->has_heartbeat_interval()) {
    heartbeat = absl::Microseconds(google::protobuf::util::TimeUtil::DurationToMicroseconds(
        request->heartbeat_interval()));
    if (heartbeat < absl::Seconds(1) || heartbeat > absl::Minutes(5)) {
      violations.push_back({"heartbeat_interval", "must be between 1 s and 5 min"});
    }
  }
  if (!violations.empty()) {
    reactor->End(InvalidFields(violations));
    reactor->Release();
    return reactor;
  }
  std::optional<int64_t> resume_after;
  if (request->has_resume_after()) resume_after = request->resume_after();
  absl::Status scheduled = runner.Post([reactor, filter, resume_after, heartbeat]() mutable {
    reactor->Begin(std::move(filter), resume_after, heartbeat);
  });
  if (!scheduled.ok()) {
    reactor->End(absl::UnavailableError(
        absl::StrCat("the service is overloaded or stopping (", scheduled.message(), ")")));
    reactor->Release();
  }
  return reactor;
}

}  // namespace dns
