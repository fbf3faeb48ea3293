#include "server/propagation/propagation_waiter.h"

#include <map>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "common/serial.h"

namespace dns {
namespace {

// The server serves the write (or a later one), whatever it is doing next.
bool WriteServed(const ServerPropagation& p, uint32_t serial, bool deleted) {
  if (deleted) return p.state == PropagationState::kInSync;
  return p.applied_serial != 0 && SerialAtOrAfter(p.applied_serial, serial);
}

// One wait's state, shared by the hub's handler and the timer.
class Wait : public std::enable_shared_from_this<Wait> {
 public:
  Wait(TimerQueue& timers, WaitRequest request, StateReader read_state, WaitDone done)
      : timers_(timers),
        request_(std::move(request)),
        read_state_(std::move(read_state)),
        done_(std::move(done)) {}

  void Begin(EventHub& hub) {
    std::weak_ptr<Wait> weak = weak_from_this();
    // Subscribed before the state is read: an event in between is kept and
    // merged, never lost.
    subscription_ = hub.Subscribe(request_.zone, [weak](const Event& event) {
      if (auto self = weak.lock()) self->OnEvent(event);
    });
    // The timer's callback holds the wait until it finishes: finishing
    // early cancels the timer and so lets it go.
    {
      absl::MutexLock lock(&mu_);
      timer_ = timers_.Schedule(request_.deadline,
                                [self = shared_from_this()] { self->Finish(); });
    }
    Load();
  }

 private:
  void Load() {
    absl::StatusOr<std::vector<ServerPropagation>> states = read_state_();
    absl::MutexLock lock(&mu_);
    if (states.ok()) {
      for (ServerPropagation& p : *states) {
        auto it = by_server_.find(p.server);
        // An event recorded after the read is newer than what it read.
        if (it == by_server_.end() || it->second.update_time < p.update_time) {
          by_server_[p.server] = std::move(p);
        }
      }
      loaded_ = true;
    }
    CheckLocked();
  }

  void OnEvent(const Event& event) {
    if (event.type == EventType::kShutdown) {
      Finish();
      return;
    }
    if (event.type == EventType::kResync) {
      Load();
      return;
    }
    if (event.type != EventType::kPropagationProgress || event.zone != request_.zone) return;
    absl::MutexLock lock(&mu_);
    auto it = by_server_.find(event.server);
    if (it == by_server_.end() || it->second.update_time <= event.progress.update_time) {
      by_server_[event.server] = event.progress;
    }
    CheckLocked();
  }

  void CheckLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || !loaded_) return;
    if (!PropagationSettled(States(), request_.serial, request_.deleted, request_.since)) return;
    FinishLocked();
  }

  void Finish() {
    absl::MutexLock lock(&mu_);
    FinishLocked();
  }

  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    timers_.Cancel(timer_);
    subscription_.Cancel();
    done_(AsSeenByWrite(States(), request_.serial, request_.deleted));
  }

  std::vector<ServerPropagation> States() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<ServerPropagation> out;
    out.reserve(by_server_.size());
    for (const auto& [name, p] : by_server_) out.push_back(p);
    return out;
  }

  TimerQueue& timers_;
  const WaitRequest request_;
  const StateReader read_state_;
  const WaitDone done_;
  absl::Mutex mu_;
  std::map<std::string, ServerPropagation> by_server_ ABSL_GUARDED_BY(mu_);
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  EventHub::Subscription subscription_;
  TimerQueue::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

bool PropagationSettled(const std::vector<ServerPropagation>& states, uint32_t serial,
                        bool deleted, absl::Time since) {
  for (const ServerPropagation& p : states) {
    const bool reached = WriteServed(p, serial, deleted);
    const bool failed_now =
        p.state == PropagationState::kError && p.update_time >= since && p.attempts >= 2;
    if (!reached && !failed_now && p.state != PropagationState::kSkipped) return false;
  }
  return true;
}

std::vector<ServerPropagation> AsSeenByWrite(std::vector<ServerPropagation> states,
                                             uint32_t serial, bool deleted) {
  for (ServerPropagation& p : states) {
    if (p.state == PropagationState::kInSync || !WriteServed(p, serial, deleted)) continue;
    p.state = PropagationState::kInSync;
    p.last_error.clear();
  }
  return states;
}

void WaitForPropagation(EventHub& hub, TimerQueue& timers, WaitRequest request,
                        StateReader read_state, WaitDone done) {
  auto wait = std::make_shared<Wait>(timers, std::move(request), std::move(read_state),
                                     std::move(done));
  wait->Begin(hub);
}

}  // namespace dns
