#include "server/propagation/workers.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "server/request_id.h"
#include "common/logging.h"

namespace dns {
namespace {

absl::Duration Backoff(const WorkerOptions& o, int attempts) {
  absl::Duration d = o.initial_backoff;
  for (int i = 0; i < attempts && d < o.max_backoff; ++i) d *= 2;
  d = std::min(d, o.max_backoff);
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return d * jitter(rng);
}

template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

}  // namespace

PropagationWorkers::PropagationWorkers(PropagationStore& store, ServerDirectory& directory,
                                       ApiPusher& pusher, SharedDbConfirmer& confirmer,
                                       ServerRecovery& recovery, Claimer& claimer,
                                       EventHub& hub, WorkerOptions options,
                                       std::shared_ptr<Clock> clock)
    : store_(store),
      directory_(directory),
      pusher_(pusher),
      confirmer_(confirmer),
      recovery_(recovery),
      claimer_(claimer),
      hub_(hub),
      options_(options),
      clock_(std::move(clock)),
      pool_(Executor::Options{std::max(1, options.threads), 100000}) {}

PropagationWorkers::~PropagationWorkers() { Stop(); }

void PropagationWorkers::Stop() {
  stopping_ = true;
  pool_.Shutdown();
}

void PropagationWorkers::Submit(PropagationTask task) {
  absl::Status scheduled = pool_.Schedule([this, task]() mutable { Process(task); });
  if (!scheduled.ok()) claimer_.Done(task);  // stopping: the lease is given back
}

template <typename Fn>
auto PropagationWorkers::Record(const PropagationTask& task, Fn record) -> decltype(record()) {
  // A row stays leased until its outcome is recorded, so giving up at the
  // first failure would park the zone for a lease after a database blip.
  const absl::Time give_up = clock_->Now() + options_.record_for;
  absl::Duration pause = absl::Milliseconds(100);
  auto result = record();
  while (!StatusOf(result).ok() &&
         (absl::IsUnavailable(StatusOf(result)) || absl::IsDeadlineExceeded(StatusOf(result))) &&
         clock_->Now() + pause < give_up && !stopping_) {
    clock_->SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(2));
    result = record();
  }
  if (!StatusOf(result).ok()) {
    Log(spdlog::level::warn, "cannot record a propagation outcome; the row waits for its lease",
        {{"zone", task.zone},
         {"server", task.server},
         {"error", std::string(StatusOf(result).message())}});
  }
  return result;
}

void PropagationWorkers::Process(const PropagationTask& task) {
  const absl::Time start = clock_->Now();
  pdns::CallContext ctx;
  ctx.request_id = task.request_id.empty() ? NewRequestId() : task.request_id;
  ctx.deadline = start + options_.push_timeout;

  absl::Status status;
  bool did_full_sync = false;
  std::optional<ServerDirectory::Entry> entry = directory_.Find(task.server);
  if (!entry) {
    status = absl::UnavailableError("server is not registered any more");
  } else if (entry->server.mode == ServerMode::kApi) {
    status = pusher_.Push(*entry->client, task, ctx, &did_full_sync);
  } else {
    status = confirmer_.Confirm(entry->server, *entry->client, task, ctx);
  }

  absl::StatusOr<Recorded> recorded = absl::CancelledError("not recorded");
  if (stopping_ && !status.ok()) {
    // Interrupted by shutdown: no attempt counted, the lease is given back.
  } else if (status.ok()) {
    recorded = Record(task, [&] { return store_.MarkApplied(task, did_full_sync); });
  } else {
    recorded = Record(task, [&] {
      return store_.MarkFailed(task, std::string(status.message()),
                               Backoff(options_, task.attempts), absl::IsNotFound(status));
    });
  }
  if (status.ok()) {
    recovery_.Succeeded(task.server);
  } else if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    recovery_.Failed(task.server);
    if (!stopping_ && options_.on_unreachable) options_.on_unreachable(task.server, status);
  }
  if (recorded.ok() && !recorded->current) {
    Log(spdlog::level::warn, "propagation outcome discarded: the claim was taken over",
        {{"zone", task.zone}, {"server", task.server}, {"claim", absl::StrCat(task.claim)}});
  }
  Log(status.ok() ? spdlog::level::debug : spdlog::level::warn, "propagation",
      {{"request_id", ctx.request_id},
       {"zone", task.zone},
       {"server", task.server},
       {"serial", absl::StrCat(task.desired_serial)},
       {"deleted", task.zone_deleted ? "true" : "false"},
       {"full_sync", did_full_sync ? "true" : "false"},
       {"code", absl::StatusCodeToString(status.code())},
       {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(clock_->Now() - start))},
       {"error", std::string(status.message())}});
  if (recorded.ok() && recorded->current && recorded->row) {
    Event event;
    event.type = EventType::kPropagationProgress;
    event.zone = task.zone;
    event.server = task.server;
    event.serial = task.desired_serial;
    event.progress = *recorded->row;
    hub_.Publish(event);
  }
  // Newer changes arrived while this push was under way: they go out
  // together once the claim's hold has passed (the claimer holds the kick).
  if (recorded.ok() && recorded->more && !stopping_) claimer_.Kick(task.zone);
  claimer_.Done(task);
}

}  // namespace dns
