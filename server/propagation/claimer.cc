#include "server/propagation/claimer.h"

#include <vector>

#include "common/logging.h"

namespace dns {

Claimer::Claimer(PropagationStore& store, Dispatch dispatch, ClaimerOptions options,
                 std::shared_ptr<Clock> clock, Failing failing, ServerCount servers)
    : store_(store),
      dispatch_(std::move(dispatch)),
      options_(std::move(options)),
      clock_(std::move(clock)),
      failing_(std::move(failing)),
      servers_(std::move(servers)) {}

Claimer::~Claimer() { Stop(); }

void Claimer::Kick(const std::string& zone, const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = kicked_.find(zone);
  if (it != kicked_.end()) {
    // A worker's re-kick (no id) must not hide the write that asked.
    if (!request_id.empty()) it->second = request_id;
  } else if (kicked_.size() < options_.max_kicked) {
    kicked_.emplace(zone, request_id);
  } else {
    sweep_ = true;
  }
}

void Claimer::Wake() {
  absl::MutexLock lock(&mu_);
  sweep_ = true;
}

void Claimer::Done(const std::string& server) {
  absl::MutexLock lock(&mu_);
  --in_flight_;
  auto it = in_flight_by_server_.find(server);
  if (it != in_flight_by_server_.end() && --it->second <= 0) in_flight_by_server_.erase(it);
}

ClaimRoom Claimer::Room() {
  const int servers = servers_ ? std::max(1, servers_()) : 1;
  const int share = std::max(1, std::min(options_.per_server, options_.capacity / servers));
  ClaimRoom room;
  room.default_room = share;
  const std::vector<std::string> down = failing_ ? failing_() : std::vector<std::string>();
  absl::MutexLock lock(&mu_);
  for (const auto& [server, n] : in_flight_by_server_) room.room[server] = std::max(0, share - n);
  // A server that is down keeps one slot: its pushes go on failing at
  // their backoff (its breaker opens, its rows say why) without holding
  // more than one worker.
  for (const std::string& server : down) {
    const auto it = in_flight_by_server_.find(server);
    room.room[server] = it == in_flight_by_server_.end() ? 1 : 0;
  }
  return room;
}

int Claimer::in_flight() {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

size_t Claimer::kicked() {
  absl::MutexLock lock(&mu_);
  return kicked_.size();
}

bool Claimer::HasWork() {
  if (stopping_) return true;
  const absl::Time now = clock_->Now();
  if (in_flight_ > 0 && now >= next_renew_) return true;
  if (in_flight_ >= options_.capacity) return false;
  return !kicked_.empty() || sweep_ || now >= next_sweep_;
}

void Claimer::RunOnce() {
  std::vector<std::pair<std::string, std::string>> zones;  // (zone, request id)
  int free = 0;
  bool renew = false;
  bool sweep = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (in_flight_ > 0 && now >= next_renew_) {
      renew = true;
      next_renew_ = now + options_.renew_every;
    }
    free = options_.capacity - in_flight_;
    if (free > 0) {
      while (!kicked_.empty() && static_cast<int>(zones.size()) < free) {
        zones.push_back(*kicked_.begin());
        kicked_.erase(kicked_.begin());
      }
      if (sweep_ || now >= next_sweep_) {
        sweep = true;
        sweep_ = false;
        next_sweep_ = now + options_.sweep_every;
      }
    }
  }
  if (renew) {
    absl::StatusOr<int64_t> renewed = store_.RenewLeases(options_.owner, options_.lease);
    if (!renewed.ok()) {
      Log(spdlog::level::warn, "cannot renew propagation leases",
          {{"error", std::string(renewed.status().message())}});
    }
  }
  // The kicked zones' rows in one statement, then the sweep's.
  auto claim = [&](const std::vector<std::pair<std::string, std::string>>& kicked, int limit) {
    std::vector<std::string> names;
    for (const auto& [zone, request_id] : kicked) names.push_back(zone);
    absl::StatusOr<std::vector<PropagationTask>> tasks =
        store_.ClaimDue(options_.owner, limit, options_.lease, names, Room());
    if (!tasks.ok()) {
      Log(spdlog::level::warn, "cannot claim propagation work",
          {{"zones", std::to_string(names.size())},
           {"error", std::string(tasks.status().message())}});
      // Try again on the next pass rather than losing the kicks.
      absl::MutexLock lock(&mu_);
      for (const auto& [zone, request_id] : kicked) kicked_.emplace(zone, request_id);
      return 0;
    }
    {
      absl::MutexLock lock(&mu_);
      in_flight_ += static_cast<int>(tasks->size());
      for (const PropagationTask& task : *tasks) ++in_flight_by_server_[task.server];
    }
    for (PropagationTask& task : *tasks) {
      for (const auto& [zone, request_id] : kicked) {
        if (zone == task.zone) task.request_id = request_id;
      }
      dispatch_(std::move(task));
    }
    return static_cast<int>(tasks->size());
  };
  if (!zones.empty()) {
    // Rows a kick could not take now (no room) are the sweep's.
    if (claim(zones, free) == free) {
      absl::MutexLock lock(&mu_);
      sweep_ = true;
    }
  }
  if (sweep) {
    const int room = [&] {
      absl::MutexLock lock(&mu_);
      return options_.capacity - in_flight_;
    }();
    // A full batch means more may be due: look again as soon as there is
    // room.
    if (room > 0 && claim({}, room) == room) {
      absl::MutexLock lock(&mu_);
      sweep_ = true;
    }
  }
}

void Claimer::Start() {
  thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        const absl::Time wake_at =
            std::min(next_sweep_, in_flight_ > 0 ? next_renew_ : absl::InfiniteFuture());
        auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return HasWork(); };
        mu_.AwaitWithDeadline(absl::Condition(&has_work), wake_at);
        if (stopping_) return;
      }
      RunOnce();
    }
  });
}

void Claimer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace dns
