#include "server/watch_health.h"

#include <atomic>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "server/consistency_proto.h"
#include "server/domain/dns_name.h"
#include "server/domain/server_name.h"
#include "server/grpc_status.h"
#include "server/proto_convert.h"
#include "server/call_observer.h"
#include "server/stream_reactor.h"

namespace dns {
namespace {

std::atomic<int64_t> open_streams{0};

// How each stream's message is made: WatchHealth's HealthEvent or
// WatchConsistency's ConsistencyEvent, from the same feed.
template <typename Message>
struct WatchTraits;

template <>
struct WatchTraits<v1::HealthEvent> {
  static constexpr const char* kName = "health watch";
  static void Encode(const HealthEvent& e, v1::HealthEvent* m) { HealthEventToProto(e, m); }
  static void Heartbeat(v1::HealthEvent* m) { m->set_type(v1::HEALTH_EVENT_TYPE_HEARTBEAT); }
};

template <>
struct WatchTraits<v1::ConsistencyEvent> {
  static constexpr const char* kName = "consistency watch";
  static void Encode(const HealthEvent& e, v1::ConsistencyEvent* m) {
    ConsistencyEventToProto(e, m);
  }
  static void Heartbeat(v1::ConsistencyEvent* m) {
    m->set_type(v1::CONSISTENCY_EVENT_TYPE_HEARTBEAT);
  }
};

template <typename Message>
class WatchReactor final : public StreamReactor<WatchReactor<Message>, Message> {
  using Base = StreamReactor<WatchReactor<Message>, Message>;
  using Link = typename Base::Link;
  using Base::mu_;
  using Base::finished_;
  using Base::weak_link;
  using Base::WithReactor;

 public:
  using Base::End;
  using Base::Release;

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
          Log(spdlog::level::info, absl::StrCat(WatchTraits<Message>::kName, " started"),
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
    this->Unlink();
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
        WatchTraits<Message>::Encode(*next, &message_);
        writing_ = true;
        wrote_since_heartbeat_ = true;
        action = kWrite;
      } else if (heartbeat_due_) {
        heartbeat_due_ = false;
        message_.Clear();
        WatchTraits<Message>::Heartbeat(&message_);
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
    if (action == kWrite) this->StartWrite(&message_);
    if (action == kFinish) this->Finish(ToGrpcStatus(end));
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
  Message message_;  // owned by the write in flight
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool heartbeat_due_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_since_heartbeat_ ABSL_GUARDED_BY(mu_) = false;
  TimerQueue::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
};

// Validates what both watches share, then starts the stream on a runner
// thread (subscribing may read the database).
template <typename Message>
grpc::ServerWriteReactor<Message>* StartWatch(grpc::CallbackServerContext* context,
                                              HealthFilter filter,
                                              std::vector<FieldViolation> violations,
                                              bool has_resume_after, int64_t resume_after_id,
                                              const google::protobuf::Duration* heartbeat_interval,
                                              HealthFeed& feed, TimerQueue& timers,
                                              RpcRunner& runner, Metrics* metrics,
                                              const WatchHealthOptions& options) {
  auto* reactor = new WatchReactor<Message>(feed, timers, metrics, RequestIdOf(*context));
  if (resume_after_id < 0) violations.push_back({"resume_after", "must not be negative"});
  absl::Duration heartbeat = options.default_heartbeat;
  if (heartbeat_interval != nullptr) {
    heartbeat = absl::Microseconds(
        google::protobuf::util::TimeUtil::DurationToMicroseconds(*heartbeat_interval));
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
  if (has_resume_after) resume_after = resume_after_id;
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

void CheckServers(const google::protobuf::RepeatedPtrField<std::string>& servers,
                  HealthFilter& filter, std::vector<FieldViolation>& violations) {
  for (int i = 0; i < servers.size(); ++i) {
    if (auto bad = CheckServerName(servers[i])) {
      violations.push_back({absl::StrCat("servers[", i, "]"), *bad});
    }
    filter.servers.insert(servers[i]);
  }
}

}  // namespace

grpc::ServerWriteReactor<v1::HealthEvent>* StartWatchHealth(
    grpc::CallbackServerContext* context, const v1::WatchHealthRequest* request,
    HealthFeed& feed, TimerQueue& timers, RpcRunner& runner, Metrics* metrics,
    const WatchHealthOptions& options) {
  std::vector<FieldViolation> violations;
  HealthFilter filter;
  CheckServers(request->servers(), filter, violations);
  for (int i = 0; i < request->event_types_size(); ++i) {
    std::optional<HealthEventType> type = HealthEventTypeFromProto(request->event_types(i));
    if (!type) {
      violations.push_back({absl::StrCat("event_types[", i, "]"),
                            "must be STATUS_CHANGED, ALERT_RAISED, ALERT_CLEARED or CHECK_FAILED"});
    } else {
      filter.types.insert(*type);
    }
  }
  return StartWatch<v1::HealthEvent>(
      context, std::move(filter), std::move(violations), request->has_resume_after(),
      request->resume_after(),
      request->has_heartbeat_interval() ? &request->heartbeat_interval() : nullptr, feed, timers,
      runner, metrics, options);
}

grpc::ServerWriteReactor<v1::ConsistencyEvent>* StartWatchConsistency(
    grpc::CallbackServerContext* context, const v1::WatchConsistencyRequest* request,
    HealthFeed& feed, TimerQueue& timers, RpcRunner& runner, Metrics* metrics,
    const WatchHealthOptions& options) {
  std::vector<FieldViolation> violations;
  HealthFilter filter;
  filter.consistency = true;
  CheckServers(request->servers(), filter, violations);
  for (int i = 0; i < request->zones_size(); ++i) {
    absl::StatusOr<std::string> zone = CanonicalZoneName(request->zones(i));
    if (!zone.ok()) {
      violations.push_back({absl::StrCat("zones[", i, "]"), std::string(zone.status().message())});
    } else {
      filter.zones.insert(*zone);
    }
  }
  for (int i = 0; i < request->kinds_size(); ++i) {
    std::optional<FindingKind> kind = FindingKindFromProto(request->kinds(i));
    if (!kind) {
      violations.push_back({absl::StrCat("kinds[", i, "]"), "must be a FindingKind other than UNSPECIFIED"});
    } else {
      filter.kinds.insert(FindingKindName(*kind));
    }
  }
  for (int i = 0; i < request->event_types_size(); ++i) {
    switch (request->event_types(i)) {
      case v1::CONSISTENCY_EVENT_TYPE_DRIFT_FOUND:
        filter.types.insert(HealthEventType::kDriftFound);
        break;
      case v1::CONSISTENCY_EVENT_TYPE_DRIFT_RESOLVED:
        filter.types.insert(HealthEventType::kDriftResolved);
        break;
      case v1::CONSISTENCY_EVENT_TYPE_RECONCILE_APPLIED:
        filter.types.insert(HealthEventType::kReconcileApplied);
        break;
      default:
        violations.push_back({absl::StrCat("event_types[", i, "]"),
                              "must be DRIFT_FOUND, DRIFT_RESOLVED or RECONCILE_APPLIED"});
    }
  }
  return StartWatch<v1::ConsistencyEvent>(
      context, std::move(filter), std::move(violations), request->has_resume_after(),
      request->resume_after(),
      request->has_heartbeat_interval() ? &request->heartbeat_interval() : nullptr, feed, timers,
      runner, metrics, options);
}

}  // namespace dns
