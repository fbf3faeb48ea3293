#include "server/health/health_feed.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_details.h"

namespace dns {

HealthSubscriber::HealthSubscriber(HealthFilter filter, size_t capacity,
                                   std::function<void()> wakeup)
    : filter_(std::move(filter)), capacity_(std::max<size_t>(1, capacity)),
      wakeup_(std::move(wakeup)) {}

bool HealthSubscriber::Offer(const HealthEvent& event) {
  absl::MutexLock lock(&mu_);
  if (overflowed_) return false;
  if (queue_.size() >= capacity_) {
    overflowed_ = true;
    queue_.clear();  // it ends; what it has not been sent, it reads on resuming
    return false;
  }
  queue_.push_back(event);
  return true;
}

void HealthSubscriber::OfferReplay(const HealthEvent& event) {
  absl::MutexLock lock(&mu_);
  if (!overflowed_ && !end_after_queue_) queue_.push_back(event);
}

void HealthSubscriber::EndAfterQueue() {
  absl::MutexLock lock(&mu_);
  end_after_queue_ = true;
}

std::optional<HealthEvent> HealthSubscriber::Next() {
  absl::MutexLock lock(&mu_);
  if (queue_.empty()) return std::nullopt;
  HealthEvent e = std::move(queue_.front());
  queue_.pop_front();
  return e;
}

void HealthSubscriber::Sent(int64_t id) {
  absl::MutexLock lock(&mu_);
  if (id > last_sent_) last_sent_ = id;
}

bool HealthSubscriber::overflowed() {
  absl::MutexLock lock(&mu_);
  return overflowed_ || (end_after_queue_ && queue_.empty());
}

int64_t HealthSubscriber::last_sent() {
  absl::MutexLock lock(&mu_);
  return last_sent_;
}

HealthFeed::HealthFeed(HealthStore& store, EventHub& hub, TimerQueue& timers, Options options)
    : store_(store),
      hub_(hub),
      timers_(timers),
      options_(options),
      poller_(Executor::Options{1, 4}) {}

HealthFeed::~HealthFeed() { Stop(); }

absl::Status HealthFeed::Start() {
  absl::StatusOr<int64_t> last = store_.LastEventId();
  if (last.ok()) {
    absl::MutexLock lock(&mu_);
    last_id_ = *last;
    known_ = true;
  }
  hub_subscription_ = hub_.Subscribe("", [this](const Event& e) {
    if (e.type == EventType::kHealthEvents || e.type == EventType::kResync) RequestPoll();
  });
  RequestPoll();
  return last.status();
}

void HealthFeed::Stop() {
  hub_subscription_.Cancel();
  std::set<std::shared_ptr<HealthSubscriber>> subscribers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    if (timer_) timers_.Cancel(timer_);
    subscribers.swap(subscribers_);
  }
  poller_.Shutdown();
  for (const auto& s : subscribers) s->Wake();
}

void HealthFeed::RequestPoll() {
  absl::MutexLock lock(&mu_);
  if (stopped_ || poll_queued_) return;
  poll_queued_ = true;
  if (timer_) {
    timers_.Cancel(timer_);
    timer_ = 0;
  }
  if (!poller_.Schedule([this] { Poll(); }).ok()) poll_queued_ = false;
}

void HealthFeed::Poll() {
  absl::MutexLock poll_lock(&poll_mu_);
  int64_t after;
  bool known;
  {
    absl::MutexLock lock(&mu_);
    poll_queued_ = false;
    after = last_id_;
    known = known_;
  }
  if (!known) {
    absl::StatusOr<int64_t> last = store_.LastEventId();
    absl::MutexLock lock(&mu_);
    if (last.ok()) {
      last_id_ = after = *last;
      known_ = known = true;
    }
  }
  for (; known;) {
    absl::StatusOr<std::vector<HealthEvent>> page = store_.ListEvents(after, 0, options_.page);
    if (!page.ok()) {
      Log(spdlog::level::warn, "reading health events",
          {{"error", std::string(page.status().message())}});
      break;
    }
    std::vector<std::shared_ptr<HealthSubscriber>> woken;
    {
      absl::MutexLock lock(&mu_);
      for (const HealthEvent& e : *page) {
        ring_.push_back(e);
        if (ring_.size() > options_.ring) ring_.pop_front();
        for (const auto& s : subscribers_) {
          if (!s->filter().Matches(e)) continue;
          s->Offer(e);
          woken.push_back(s);
        }
        last_id_ = e.id;
      }
      after = last_id_;
    }
    // Wakeups run outside the lock: a stream may start a write from them.
    std::sort(woken.begin(), woken.end());
    woken.erase(std::unique(woken.begin(), woken.end()), woken.end());
    for (const auto& s : woken) s->Wake();
    if (static_cast<int>(page->size()) < options_.page) break;
  }
  absl::MutexLock lock(&mu_);
  if (stopped_ || poll_queued_) return;
  if (timer_) timers_.Cancel(timer_);
  timer_ = timers_.Schedule(timers_.clock().Now() + options_.poll_every, [this] {
    {
      absl::MutexLock lock(&mu_);
      timer_ = 0;
    }
    RequestPoll();
  });
}

absl::StatusOr<std::shared_ptr<HealthSubscriber>> HealthFeed::Subscribe(
    HealthFilter filter, std::optional<int64_t> resume_after, std::function<void()> wakeup) {
  auto subscriber = std::make_shared<HealthSubscriber>(
      std::move(filter), options_.subscriber_capacity, std::move(wakeup));
  if (resume_after && *resume_after < 0) {
    return InvalidField("resume_after", "must not be negative");
  }
  // Absent: from the newest event on; 0: every event kept (ids start at 1).
  std::optional<int64_t> cursor = resume_after;
  if (resume_after && *resume_after > 0) {
    absl::StatusOr<int64_t> oldest = store_.OldestEventId();
    if (!oldest.ok()) return oldest.status();
    int64_t newest;
    {
      absl::MutexLock lock(&mu_);
      newest = last_id_;
    }
    // Kept: ids oldest..newest. After `resume_after` nothing may be missing:
    // the next id it needs must still be there (or not exist yet).
    const int64_t first_kept = *oldest > 0 ? *oldest : newest + 1;
    if (*resume_after + 1 < first_kept) {
      return WithReasonAndMetadata(
          absl::OutOfRangeError(absl::StrCat(
              "events after ", *resume_after, " are no longer kept; the oldest kept is ",
              first_kept, ": read the current state (ListServers), then watch from there")),
          "EVENTS_COMPACTED", {{"oldest_id", absl::StrCat(first_kept)}});
    }
  }
  size_t replayed = 0;
  for (;;) {
    int64_t up_to;
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return absl::UnavailableError("dnsd is stopping");
      if (!known_) return absl::UnavailableError("health events cannot be read yet; retry");
      if (!cursor) cursor = last_id_;
      const int64_t ring_from = ring_.empty() ? last_id_ + 1 : ring_.front().id;
      if (*cursor + 1 >= ring_from) {
        // Replay from memory and go live in one step.
        for (const HealthEvent& e : ring_) {
          if (e.id > *cursor && subscriber->filter().Matches(e)) subscriber->OfferReplay(e);
        }
        subscribers_.insert(subscriber);
        break;
      }
      up_to = ring_from - 1;
    }
    absl::StatusOr<std::vector<HealthEvent>> page =
        store_.ListEvents(*cursor, up_to, options_.page);
    if (!page.ok()) return page.status();
    for (const HealthEvent& e : *page) {
      if (subscriber->filter().Matches(e)) {
        subscriber->OfferReplay(e);
        ++replayed;
      }
    }
    cursor = page->empty() ? up_to : page->back().id;
    if (replayed >= options_.max_replay) {
      subscriber->EndAfterQueue();  // it resumes from the last one sent
      break;
    }
  }
  subscriber->Wake();
  return subscriber;
}

void HealthFeed::Unsubscribe(const std::shared_ptr<HealthSubscriber>& subscriber) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(subscriber);
}

int64_t HealthFeed::subscribers() {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(subscribers_.size());
}

int64_t HealthFeed::last_id() {
  absl::MutexLock lock(&mu_);
  return last_id_;
}

}  // namespace dns

namespace dns {

bool HealthFeed::stopped() {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

}  // namespace dns
