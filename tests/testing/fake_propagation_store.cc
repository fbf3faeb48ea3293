#include "tests/testing/fake_propagation_store.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace dns {

void FakePropagationStore::Enqueue(const std::string& zone, const std::string& server,
                                   uint32_t serial, bool full_sync) {
  absl::MutexLock lock(&mu_);
  const bool known = rows_.count({zone, server}) > 0;
  Row& row = rows_[{zone, server}];
  // As enqueue_propagation: a row already pending keeps its next attempt;
  // a row in sync waits for its last claim's hold.
  if (!known || row.state == "ERROR") {
    row.next_attempt = clock_->Now();
  } else if (row.state == "IN_SYNC") {
    row.next_attempt = std::max(clock_->Now(), row.hold_until);
  }
  row.desired = serial;
  row.state = "PENDING";
  row.attempts = 0;
  row.full_sync = row.full_sync || full_sync;
  row.update_time = clock_->Now();
}

void FakePropagationStore::SetMaintenance(const std::string& server, bool on) {
  absl::MutexLock lock(&mu_);
  if (on) {
    maintenance_.insert(server);
  } else {
    maintenance_.erase(server);
  }
}

void FakePropagationStore::SetChanged(const std::string& zone,
                                      std::optional<std::vector<RRsetKey>> keys) {
  absl::MutexLock lock(&mu_);
  changed_[zone] = std::move(keys);
}

FakePropagationStore::Row FakePropagationStore::row(const std::string& zone,
                                                    const std::string& server) {
  absl::MutexLock lock(&mu_);
  return rows_[{zone, server}];
}

int FakePropagationStore::claims() {
  absl::MutexLock lock(&mu_);
  return claims_;
}

int FakePropagationStore::renewals() {
  absl::MutexLock lock(&mu_);
  return renewals_;
}

bool FakePropagationStore::WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

ServerPropagation FakePropagationStore::View(const std::string& server, const Row& row) {
  ServerPropagation p;
  p.server = server;
  p.state = row.state == "IN_SYNC"   ? PropagationState::kInSync
            : maintenance_.count(server) ? PropagationState::kSkipped
            : row.state == "ERROR"   ? PropagationState::kError
                                     : PropagationState::kPending;
  p.desired_serial = row.desired;
  p.applied_serial = row.applied;
  p.last_error = row.last_error;
  p.attempts = row.attempts;
  p.update_time = row.update_time;
  return p;
}

absl::StatusOr<std::vector<PropagationTask>> FakePropagationStore::ClaimDue(
    const ClaimRequest& request) {
  absl::MutexLock lock(&mu_);
  ++claims_;
  const absl::Time now = clock_->Now();
  const std::vector<std::string>& zones = request.zones;
  const ClaimRoom& room = request.room;
  const int limit = request.limit;
  std::vector<std::pair<absl::Time, std::pair<std::string, std::string>>> due;
  for (const auto& [key, row] : rows_) {
    if (!zones.empty() && std::find(zones.begin(), zones.end(), key.first) == zones.end()) {
      continue;
    }
    const bool urgent = std::find(request.urgent.begin(), request.urgent.end(), key.first) !=
                        request.urgent.end();
    if (row.state == "IN_SYNC" || (row.next_attempt > now && !urgent) || row.lease_until >= now) {
      continue;
    }
    if (maintenance_.count(key.second)) continue;
    due.push_back({row.next_attempt, key});
  }
  std::sort(due.begin(), due.end());
  std::vector<PropagationTask> tasks;
  std::map<std::string, int> taken;
  for (const auto& [when, key] : due) {
    if (static_cast<int>(tasks.size()) >= limit) break;
    auto it = room.room.find(key.second);
    const int server_room = it == room.room.end() ? room.default_room : it->second;
    if (taken[key.second] >= server_room) continue;
    ++taken[key.second];
    Row& row = rows_[key];
    row.lease_until = now + request.lease;
    row.hold_until = now + request.hold;
    row.owner = request.owner;
    ++row.claim;
    tasks.push_back(PropagationTask{key.first, key.second, row.desired, row.applied, row.deleted,
                                    row.full_sync, row.attempts, row.claim, ""});
  }
  return tasks;
}

absl::StatusOr<int64_t> FakePropagationStore::RenewLeases(const std::string& owner,
                                                          absl::Duration lease) {
  absl::MutexLock lock(&mu_);
  ++renewals_;
  int64_t n = 0;
  for (auto& [key, row] : rows_) {
    if (row.owner != owner || row.lease_until == absl::InfinitePast()) continue;
    row.lease_until = clock_->Now() + lease;
    ++n;
  }
  return n;
}

absl::StatusOr<int64_t> FakePropagationStore::ReleaseAll(const std::string& owner) {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (auto& [key, row] : rows_) {
    if (row.owner != owner) continue;
    row.owner.clear();
    row.lease_until = absl::InfinitePast();
    row.next_attempt = clock_->Now();
    ++n;
  }
  return n;
}

absl::StatusOr<std::optional<std::vector<RRsetKey>>> FakePropagationStore::ChangedSince(
    const std::string& zone, uint32_t) {
  absl::MutexLock lock(&mu_);
  auto it = changed_.find(zone);
  if (it == changed_.end()) return std::optional<std::vector<RRsetKey>>();
  return it->second;
}

absl::StatusOr<Recorded> FakePropagationStore::MarkApplied(const PropagationTask& task,
                                                           bool did_full_sync) {
  absl::MutexLock lock(&mu_);
  Recorded out;
  auto it = rows_.find({task.zone, task.server});
  if (it == rows_.end() || it->second.claim != task.claim) {
    out.current = false;
    return out;
  }
  Row& row = it->second;
  row.applied = task.desired_serial;
  row.lease_until = absl::InfinitePast();
  row.owner.clear();
  row.attempts = 0;
  row.last_error.clear();
  row.update_time = clock_->Now();
  if (did_full_sync && row.desired == task.desired_serial) row.full_sync = false;
  row.state = row.desired == task.desired_serial && !row.deleted ? "IN_SYNC" : "PENDING";
  out.row = View(task.server, row);
  out.more = row.state == "PENDING";
  if (out.more) row.next_attempt = std::max(clock_->Now(), row.hold_until);
  return out;
}

absl::StatusOr<Recorded> FakePropagationStore::MarkFailed(const PropagationTask& task,
                                                          const std::string& error,
                                                          absl::Duration retry_in,
                                                          bool need_full_sync) {
  absl::MutexLock lock(&mu_);
  Recorded out;
  auto it = rows_.find({task.zone, task.server});
  if (it == rows_.end() || it->second.claim != task.claim) {
    out.current = false;
    return out;
  }
  Row& row = it->second;
  row.state = "ERROR";
  row.last_error = error;
  ++row.attempts;
  row.lease_until = absl::InfinitePast();
  row.owner.clear();
  row.update_time = clock_->Now();
  row.next_attempt = clock_->Now() + retry_in;
  row.full_sync = row.full_sync || need_full_sync;
  out.row = View(task.server, row);
  return out;
}

absl::Status FakePropagationStore::WakeServer(const std::string& server) {
  absl::MutexLock lock(&mu_);
  for (auto& [key, row] : rows_) {
    if (key.second == server && row.state != "IN_SYNC") row.next_attempt = clock_->Now();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ServerPropagation>> FakePropagationStore::GetPropagation(
    const std::string& zone) {
  absl::MutexLock lock(&mu_);
  std::vector<ServerPropagation> out;
  for (const auto& [key, row] : rows_) {
    if (key.first == zone) out.push_back(View(key.second, row));
  }
  return out;
}

absl::StatusOr<uint32_t> FakePropagationStore::RequestSync(const std::string& zone,
                                                           const std::vector<std::string>&) {
  absl::MutexLock lock(&mu_);
  uint32_t serial = 0;
  for (auto& [key, row] : rows_) {
    if (key.first != zone) continue;
    row.full_sync = true;
    row.state = "PENDING";
    row.next_attempt = clock_->Now();
    serial = row.desired;
  }
  return serial;
}

absl::StatusOr<int64_t> FakePropagationStore::PruneJournal(absl::Duration) { return 0; }

absl::StatusOr<std::vector<PropagationStore::Backlog>> FakePropagationStore::PendingByServer() {
  absl::MutexLock lock(&mu_);
  std::map<std::string, Backlog> by_server;
  for (const auto& [key, row] : rows_) {
    Backlog& b = by_server[key.second];
    b.server = key.second;
    if (row.state != "IN_SYNC") ++b.pending;
  }
  std::vector<Backlog> out;
  for (auto& [name, b] : by_server) out.push_back(b);
  return out;
}

}  // namespace dns
