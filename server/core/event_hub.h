// The in-process publisher of what happens in dnsd: a zone committed, a
// server's propagation progress, the registry changed, a job ran. Parts that
// need to know subscribe (a waiting write, the claimer, metrics) instead of
// polling the database; EventBridge carries the events between replicas
// through PostgreSQL LISTEN/NOTIFY.
//
// Delivery is synchronous, on the publisher's thread, outside the hub's
// lock: handlers must be quick and must not block (record, schedule, finish
// a reactor). A handler may run once more after its Subscription is gone,
// so it must hold what it touches by shared_ptr.
#ifndef DNS_SERVER_CORE_EVENT_HUB_H_
#define DNS_SERVER_CORE_EVENT_HUB_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/model.h"

namespace dns {

enum class EventType {
  // A write to `zone` committed at `serial` (0 when the zone was deleted).
  kZoneCommitted,
  // A propagation outcome was recorded: `progress` for (`zone`, `server`).
  kPropagationProgress,
  // Servers were registered, updated or deregistered.
  kServersChanged,
  // Leased propagation work was given back (shutdown): others may take it.
  kWorkReleased,
  // A periodic job ran (`job`, `ok`).
  kJobRan,
  // Events may have been missed (the bridge to other replicas reconnected):
  // whoever keeps state from events should read it again once.
  kResync,
  // dnsd is stopping: waiting calls answer with what they have now.
  kShutdown,
  // Health events were stored (on any replica): read them from the table.
  // Sent by the database itself on commit, never by the bridge.
  kHealthEvents,
  // A failover operation (`zone` holds its id) moved on: read it again.
  kFailoverProgress,
  // Many zones committed at once (a failover): claim by sweeping.
  kBulkCommitted,
  // A token was revoked or changed (on any replica, or by `dnsd token`):
  // forget cached tokens. Sent by the database itself on commit.
  kTokensChanged,
};

struct Event {
  EventType type = EventType::kZoneCommitted;
  std::string zone;
  std::string server;
  uint32_t serial = 0;
  ServerPropagation progress;
  std::string job;
  bool ok = true;
  // Came from another replica (not sent back out).
  bool remote = false;
};

class EventHub {
 public:
  using Handler = std::function<void(const Event&)>;

  // Ends the subscription when destroyed.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& other) noexcept : hub_(other.hub_), id_(other.id_) {
      other.hub_ = nullptr;
    }
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription() { Cancel(); }
    void Cancel();

   private:
    friend class EventHub;
    Subscription(EventHub* hub, int64_t id) : hub_(hub), id_(id) {}
    EventHub* hub_ = nullptr;
    int64_t id_ = 0;
  };

  // `zone` empty: every event. Otherwise only the events of that zone, plus
  // those that concern every zone (kServersChanged, kResync, kShutdown,
  // kWorkReleased).
  [[nodiscard]] Subscription Subscribe(const std::string& zone, Handler handler);
  void Publish(const Event& event);
  int64_t subscribers();

 private:
  void Remove(int64_t id);

  struct Entry {
    std::string zone;
    std::shared_ptr<Handler> handler;
  };

  absl::Mutex mu_;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<int64_t, Entry> all_ ABSL_GUARDED_BY(mu_);
  // zone -> ids; "" holds the subscribers to everything.
  std::multimap<std::string, int64_t> by_zone_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_SERVER_CORE_EVENT_HUB_H_
