#include "tests/testing/fake_health_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dns {

void FakeHealthStore::AddServer(const std::string& name, HealthState state) {
  absl::MutexLock lock(&mu_);
  servers_[name] = std::move(state);
}

HealthState FakeHealthStore::State(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return servers_[name];
}

std::vector<HealthSample> FakeHealthStore::Samples() {
  absl::MutexLock lock(&mu_);
  return samples_;
}

std::vector<HealthEvent> FakeHealthStore::Events() {
  absl::MutexLock lock(&mu_);
  return events_;
}

int64_t FakeHealthStore::AddEvent(HealthEvent event) {
  absl::MutexLock lock(&mu_);
  event.id = next_id_++;
  events_.push_back(event);
  return event.id;
}

void FakeHealthStore::DropEventsBefore(int64_t id) {
  absl::MutexLock lock(&mu_);
  events_.erase(std::remove_if(events_.begin(), events_.end(),
                               [id](const HealthEvent& e) { return e.id < id; }),
                events_.end());
}

void FakeHealthStore::SetProbeTarget(const std::string& server,
                                     std::optional<ProbeTarget> target) {
  absl::MutexLock lock(&mu_);
  targets_[server] = std::move(target);
}

void FakeHealthStore::SetOutOfSync(int64_t count) {
  absl::MutexLock lock(&mu_);
  out_of_sync_ = count;
}

void FakeHealthStore::FailAll(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_ = std::move(status);
}

int FakeHealthStore::list_events_calls() {
  absl::MutexLock lock(&mu_);
  return list_events_calls_;
}

absl::StatusOr<HealthTransition> FakeHealthStore::RecordRound(
    const std::string& server, const std::optional<HealthSample>& sample,
    const Assessor& assess) {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  auto it = servers_.find(server);
  if (it == servers_.end()) {
    return absl::NotFoundError(absl::StrCat("server ", server, " is not registered"));
  }
  HealthTransition t = assess(it->second);
  it->second = t.state;
  if (sample) samples_.push_back(*sample);
  for (HealthEvent& e : t.events) {
    e.id = next_id_++;
    events_.push_back(e);
  }
  return t;
}

absl::StatusOr<std::vector<HealthEvent>> FakeHealthStore::ListEvents(int64_t after_id,
                                                                     int64_t up_to, int limit) {
  absl::MutexLock lock(&mu_);
  ++list_events_calls_;
  if (!fail_.ok()) return fail_;
  std::vector<HealthEvent> out;
  for (const HealthEvent& e : events_) {
    if (e.id <= after_id || (up_to > 0 && e.id > up_to)) continue;
    if (static_cast<int>(out.size()) == limit) break;
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<int64_t> FakeHealthStore::LastEventId() {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  return events_.empty() ? 0 : events_.back().id;
}

absl::StatusOr<int64_t> FakeHealthStore::OldestEventId() {
  absl::MutexLock lock(&mu_);
  if (!fail_.ok()) return fail_;
  return events_.empty() ? 0 : events_.front().id;
}

absl::StatusOr<int64_t> FakeHealthStore::PruneEvents(absl::Time cutoff) {
  absl::MutexLock lock(&mu_);
  const size_t before = events_.size();
  events_.erase(std::remove_if(events_.begin(), events_.end(),
                               [cutoff](const HealthEvent& e) { return e.time < cutoff; }),
                events_.end());
  return static_cast<int64_t>(before - events_.size());
}

absl::StatusOr<MetricsResult> FakeHealthStore::QueryMetrics(const MetricsQuery& query) {
  absl::MutexLock lock(&mu_);
  MetricsResult out;
  for (const HealthSample& s : samples_) {
    if (s.server == query.server && s.time >= query.start && s.time < query.end) {
      ++out.sample_count;
    }
  }
  return out;
}

absl::StatusOr<int> FakeHealthStore::EnsurePartitions(absl::Time, int) { return 0; }
absl::StatusOr<int> FakeHealthStore::DropPartitionsBefore(absl::Time) { return 0; }
absl::StatusOr<int> FakeHealthStore::RollUp(absl::Time) { return 0; }

absl::StatusOr<std::optional<ProbeTarget>> FakeHealthStore::FindProbeTarget(
    const std::string& server) {
  absl::MutexLock lock(&mu_);
  auto it = targets_.find(server);
  return it == targets_.end() ? std::optional<ProbeTarget>() : it->second;
}

absl::StatusOr<int64_t> FakeHealthStore::CountOutOfSync(
    const std::string&, const std::optional<std::vector<std::string>>&,
    const std::vector<uint32_t>&) {
  absl::MutexLock lock(&mu_);
  return out_of_sync_;
}

}  // namespace dns
