#include "server/propagation/claimer.h"

#include <iterator>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace dns {

Claimer::Claimer(PropagationStore& store, Dispatch dispatch, ClaimerOptions options,
                 std::shared_ptr<Clock> clock, Fleet fleet)
    : store_(store),
      dispatch_(std::move(dispatch)),
      options_(std::move(options)),
      clock_(std::move(clock)),
      fleet_(std::move(fleet)) {}

Claimer::~Claimer() { Stop(); }

void Claimer::Kick(const std::string& zone, const std::string& request_id, bool urgent) {
  absl::MutexLock lock(&mu_);
  KickLocked(zone, KickInfo{request_id, urgent});
}

void Claimer::KickLocked(const std::string& zone, KickInfo info) {
  // A zone with a push under way here to every server: its end kicks it
  // again (its rows are leased until then, a claim now would find none).
  auto busy = in_flight_by_zone_.find(zone);
  if (busy != in_flight_by_zone_.end() && busy->second >= servers_seen_) {
    KickInfo& dirty = dirty_[zone];
    if (!info.request_id.empty()) dirty.request_id = info.request_id;
    dirty.urgent = dirty.urgent || info.urgent;
    return;
  }
  // A zone this claimer pushed less than a hold ago: its rows are not due
  // before the hold ends, so the kick waits for it instead of asking.
  if (!info.urgent) {
    auto held = hold_until_.find(zone);
    if (held != hold_until_.end() && held->second > clock_->Now()) {
      if (held_zones_.insert(zone).second) {
        held_.emplace(held->second, std::make_pair(zone, info.request_id));
      }
      return;
    }
  }
  auto it = kicked_.find(zone);
  if (it != kicked_.end()) {
    // A worker's re-kick (no id) must not hide the write that asked.
    if (!info.request_id.empty()) it->second.request_id = info.request_id;
    it->second.urgent = it->second.urgent || info.urgent;
  } else if (kicked_.size() < options_.max_kicked) {
    kicked_.emplace(zone, std::move(info));
  } else {
    sweep_ = true;
  }
}

void Claimer::Wake() {
  absl::MutexLock lock(&mu_);
  sweep_ = true;
}

void Claimer::Done(const PropagationTask& task) {
  absl::MutexLock lock(&mu_);
  const std::string& server = task.server;
  --in_flight_;
  auto zone = in_flight_by_zone_.find(task.zone);
  if (zone != in_flight_by_zone_.end()) {
    if (--zone->second <= 0) in_flight_by_zone_.erase(zone);
    auto dirty = dirty_.find(task.zone);
    if (dirty != dirty_.end()) {
      KickInfo info = std::move(dirty->second);
      dirty_.erase(dirty);
      KickLocked(task.zone, std::move(info));
    }
  }
  if (sweep_on_done_) {
    sweep_on_done_ = false;
    sweep_ = true;
  }
  auto it = in_flight_by_server_.find(server);
  if (it != in_flight_by_server_.end() && --it->second <= 0) in_flight_by_server_.erase(it);
}

ClaimRoom Claimer::Room() {
  const FleetLoad fleet = fleet_ ? fleet_() : FleetLoad{};
  const int share =
      std::max(1, std::min(options_.per_server, options_.capacity / std::max(1, fleet.servers)));
  auto bound = [&](const std::string& server) {
    auto it = fleet.limits.find(server);
    return it == fleet.limits.end() ? share : std::max(1, std::min(share, it->second));
  };
  ClaimRoom room;
  room.default_room = share;
  absl::MutexLock lock(&mu_);
  servers_seen_ = std::max(1, fleet.servers);
  for (const auto& [server, limit] : fleet.limits) {
    if (limit < share) room.room[server] = bound(server);
  }
  for (const auto& [server, n] : in_flight_by_server_) {
    room.room[server] = std::max(0, bound(server) - n);
  }
  // A server that is down keeps one slot: its pushes go on failing at
  // their backoff (its breaker opens, its rows say why) without holding
  // more than one worker.
  for (const std::string& server : fleet.down) {
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
  return !kicked_.empty() || sweep_ || now >= next_sweep_ ||
         (!held_.empty() && held_.begin()->first <= now);
}

void Claimer::RunOnce() {
  std::vector<std::pair<std::string, KickInfo>> zones;
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
    while (!held_.empty() && held_.begin()->first <= now) {
      const auto& [zone, request_id] = held_.begin()->second;
      held_zones_.erase(zone);
      kicked_.emplace(zone, KickInfo{request_id, false});
      held_.erase(held_.begin());
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
        // Holds that have passed are forgotten once per sweep.
        for (auto it = hold_until_.begin(); it != hold_until_.end();) {
          it = it->second <= now ? hold_until_.erase(it) : std::next(it);
        }
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
  auto claim = [&](const std::vector<std::pair<std::string, KickInfo>>& kicked, int limit) {
    ClaimRequest request;
    request.owner = options_.owner;
    request.limit = limit;
    request.lease = options_.lease;
    request.hold = options_.hold;
    for (const auto& [zone, info] : kicked) {
      request.zones.push_back(zone);
      if (info.urgent) request.urgent.push_back(zone);
    }
    request.room = Room();
    absl::StatusOr<std::vector<PropagationTask>> tasks = store_.ClaimDue(request);
    if (!tasks.ok()) {
      Log(spdlog::level::warn, "cannot claim propagation work",
          {{"zones", std::to_string(request.zones.size())},
           {"error", std::string(tasks.status().message())}});
      // Try again on the next pass rather than losing the kicks.
      absl::MutexLock lock(&mu_);
      for (const auto& [zone, info] : kicked) kicked_.emplace(zone, info);
      return 0;
    }
    std::set<std::string> claimed_zones;
    std::map<std::string, int> claimed_by_server;
    for (const PropagationTask& task : *tasks) ++claimed_by_server[task.server];
    if (spdlog::should_log(spdlog::level::debug)) {
      std::string rooms;
      for (const auto& [server, n] : request.room.room) absl::StrAppend(&rooms, server, ":", n, " ");
      Log(spdlog::level::debug, "claimed propagation work",
          {{"tasks", absl::StrCat(tasks->size())},
           {"kicked", absl::StrCat(kicked.size())},
           {"limit", absl::StrCat(limit)},
           {"room", absl::StrCat(rooms, "default:", request.room.default_room)}});
    }
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = clock_->Now();
      in_flight_ += static_cast<int>(tasks->size());
      for (const PropagationTask& task : *tasks) {
        ++in_flight_by_server_[task.server];
        ++in_flight_by_zone_[task.zone];
        claimed_zones.insert(task.zone);
        if (options_.hold > absl::ZeroDuration()) hold_until_[task.zone] = now + options_.hold;
      }
      // A server that filled its room may have more rows due: look again
      // as soon as one of its slots frees, not at the next sweep (a server
      // held to one call at a time would otherwise get one push a sweep).
      for (const auto& [server, n] : claimed_by_server) {
        auto room = request.room.room.find(server);
        if (n >= (room == request.room.room.end() ? request.room.default_room : room->second)) {
          sweep_on_done_ = true;
        }
      }
      // A server with no room at all was not asked for: same.
      for (const auto& [server, room] : request.room.room) {
        if (room <= 0) sweep_on_done_ = true;
      }
      // A kicked zone this claimer holds back comes back when the hold
      // ends (its rows are due then); others (no room, leased elsewhere)
      // are the sweep's, run when a slot frees.
      for (const auto& [zone, info] : kicked) {
        if (claimed_zones.count(zone)) continue;
        auto held = hold_until_.find(zone);
        if (held != hold_until_.end() && held->second > now) {
          if (held_zones_.insert(zone).second) {
            held_.emplace(held->second, std::make_pair(zone, info.request_id));
          }
        } else {
          sweep_on_done_ = true;
        }
      }
    }
    for (PropagationTask& task : *tasks) {
      for (const auto& [zone, info] : kicked) {
        if (zone == task.zone) task.request_id = info.request_id;
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
            std::min({next_sweep_, in_flight_ > 0 ? next_renew_ : absl::InfiniteFuture(),
                      held_.empty() ? absl::InfiniteFuture() : held_.begin()->first});
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
