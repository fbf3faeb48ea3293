// Health events from the database to every WatchHealth stream of this
// replica. One reader per replica follows the events table (woken by the
// NOTIFY the database sends on commit, and every second in any case) and
// hands each new event to the subscribers whose filter it matches; a ring of
// recent events lets a subscriber resume without a query, older ones are
// read in pages. Subscribing takes the replay and the switch to live
// delivery under one lock, so nothing is missed or repeated across it.
//
// Each subscriber has a bounded queue: one that falls behind is marked
// overflowed and its stream ends with the last id it was sent, from which
// it resumes. A replay is bounded apart (max_replay), so a client far behind
// catches up over a few streams instead of never.
#ifndef DNS_SERVER_HEALTH_HEALTH_FEED_H_
#define DNS_SERVER_HEALTH_HEALTH_FEED_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "client/executor.h"
#include "common/health.h"
#include "server/core/event_hub.h"
#include "server/core/timer_queue.h"
#include "storage/health_store.h"

namespace dns {

struct HealthFilter {
  std::set<std::string> servers;       // empty: all
  std::set<HealthEventType> types;     // empty: all of the family
  // The family: consistency events (WatchConsistency) or health events.
  bool consistency = false;
  std::set<std::string> zones;  // consistency: empty: all
  std::set<std::string> kinds;  // consistency: FindingKindName; empty: all
  bool Matches(const HealthEvent& e) const {
    if (IsConsistencyEvent(e.type) != consistency) return false;
    if (!servers.empty() && !servers.count(e.server)) return false;
    if (!types.empty() && !types.count(e.type)) return false;
    if (!zones.empty() && !zones.count(e.zone)) return false;
    return kinds.empty() || e.type == HealthEventType::kReconcileApplied || kinds.count(e.kind);
  }
};

// One subscriber's queue, between the feed (producer) and its stream
// (consumer). Thread-safe.
class HealthSubscriber {
 public:
  // `wakeup` runs (outside the feed's lock) when an event was queued or the
  // queue overflowed; it must be quick.
  HealthSubscriber(HealthFilter filter, size_t capacity, std::function<void()> wakeup);

  // The feed's side. False once overflowed (the event was not queued).
  bool Offer(const HealthEvent& event);
  // A replayed event: queued whatever the bound (the replay is bounded by
  // the feed instead).
  void OfferReplay(const HealthEvent& event);
  // The replay stopped short of the live events: once what is queued has
  // been sent, the subscriber counts as overflowed (it resumes from there).
  void EndAfterQueue();
  // The stream's side: the next event to send, or nullopt.
  std::optional<HealthEvent> Next();
  // The stream sent `id` (its write completed).
  void Sent(int64_t id);
  bool overflowed();
  int64_t last_sent();
  void Wake() {
    if (wakeup_) wakeup_();
  }
  const HealthFilter& filter() const { return filter_; }

 private:
  const HealthFilter filter_;
  const size_t capacity_;
  const std::function<void()> wakeup_;
  absl::Mutex mu_;
  std::deque<HealthEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  bool end_after_queue_ ABSL_GUARDED_BY(mu_) = false;
  int64_t last_sent_ ABSL_GUARDED_BY(mu_) = 0;
};

class HealthFeed {
 public:
  struct Options {
    // Recent events kept in memory for resuming subscribers.
    size_t ring = 4096;
    // Events a subscriber may have queued before it is ended.
    size_t subscriber_capacity = 1024;
    // Events one subscription replays at most; a client further behind is
    // ended after them and resumes from the last (it makes progress each
    // time, and memory stays bounded).
    size_t max_replay = 10240;
    // Read the table this often even without a notification.
    absl::Duration poll_every = absl::Seconds(1);
    int page = 1000;
  };

  HealthFeed(HealthStore& store, EventHub& hub, TimerQueue& timers, Options options);
  ~HealthFeed();  // Stop()

  // Starts after the newest stored event. If the store cannot be read now,
  // the feed keeps trying at each poll and refuses subscribers until then
  // (the error is returned, the feed runs).
  absl::Status Start();
  // Subscribers get no more events; their streams end on their own.
  void Stop();

  // Reads new events and delivers them (the feed's own thread calls it;
  // tests call it directly).
  void Poll();

  // Replays the events after `resume_after` (0: every event kept; absent:
  // none), then delivers new ones. OUT_OF_RANGE (reason EVENTS_COMPACTED,
  // metadata oldest_id) when events after `resume_after` are no longer
  // kept. The subscription ends when the returned handle is released (or
  // Unsubscribe).
  absl::StatusOr<std::shared_ptr<HealthSubscriber>> Subscribe(
      HealthFilter filter, std::optional<int64_t> resume_after,
      std::function<void()> wakeup);
  void Unsubscribe(const std::shared_ptr<HealthSubscriber>& subscriber);

  int64_t subscribers();
  int64_t last_id();
  bool stopped();

 private:
  void RequestPoll();

  HealthStore& store_;
  EventHub& hub_;
  TimerQueue& timers_;
  const Options options_;
  // Polls one at a time (the poller's, and direct calls).
  absl::Mutex poll_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Mutex mu_;
  std::deque<HealthEvent> ring_ ABSL_GUARDED_BY(mu_);
  int64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  // last_id_ has been read from the store (before, nothing is delivered:
  // old events must not look new).
  bool known_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::shared_ptr<HealthSubscriber>> subscribers_ ABSL_GUARDED_BY(mu_);
  bool poll_queued_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  TimerQueue::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
  EventHub::Subscription hub_subscription_;
  // One thread: polls are serial, and never run on a publisher's thread.
  Executor poller_;
};

}  // namespace dns

#endif  // DNS_SERVER_HEALTH_HEALTH_FEED_H_
