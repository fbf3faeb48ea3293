#include "server/core/event_hub.h"

#include <vector>

namespace dns {
namespace {

bool ConcernsEveryZone(EventType type) {
  return type == EventType::kServersChanged || type == EventType::kResync ||
         type == EventType::kShutdown || type == EventType::kWorkReleased ||
         type == EventType::kHealthEvents;
}

}  // namespace

EventHub::Subscription& EventHub::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Cancel();
    hub_ = other.hub_;
    id_ = other.id_;
    other.hub_ = nullptr;
  }
  return *this;
}

void EventHub::Subscription::Cancel() {
  if (hub_ != nullptr) hub_->Remove(id_);
  hub_ = nullptr;
}

EventHub::Subscription EventHub::Subscribe(const std::string& zone, Handler handler) {
  absl::MutexLock lock(&mu_);
  const int64_t id = next_id_++;
  all_.emplace(id, Entry{zone, std::make_shared<Handler>(std::move(handler))});
  by_zone_.emplace(zone, id);
  return Subscription(this, id);
}

void EventHub::Remove(int64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = all_.find(id);
  if (it == all_.end()) return;
  auto [first, last] = by_zone_.equal_range(it->second.zone);
  for (auto z = first; z != last; ++z) {
    if (z->second == id) {
      by_zone_.erase(z);
      break;
    }
  }
  all_.erase(it);
}

void EventHub::Publish(const Event& event) {
  std::vector<std::shared_ptr<Handler>> targets;
  {
    absl::MutexLock lock(&mu_);
    auto collect = [&](const std::string& key) {
      auto [first, last] = by_zone_.equal_range(key);
      for (auto z = first; z != last; ++z) targets.push_back(all_.at(z->second).handler);
    };
    collect("");
    if (ConcernsEveryZone(event.type)) {
      for (const auto& [id, entry] : all_) {
        if (!entry.zone.empty()) targets.push_back(entry.handler);
      }
    } else if (!event.zone.empty()) {
      collect(event.zone);
    }
  }
  for (const auto& handler : targets) (*handler)(event);
}

int64_t EventHub::subscribers() {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(all_.size());
}

}  // namespace dns
