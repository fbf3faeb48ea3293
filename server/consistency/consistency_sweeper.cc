#include "server/consistency/consistency_sweeper.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace dns {

std::vector<Drift> ConsistencySweeper::DriftsOf(const std::vector<Finding>& findings,
                                                absl::Time now, absl::Duration grace) {
  std::map<std::string, Drift> by_zone;
  for (const Finding& f : findings) {
    if (f.kind == FindingKind::kCheckFailed || f.zone.empty()) continue;
    // Queued work (PENDING) is not drift, however long the queue: a bulk
    // import would otherwise raise an event per zone. A push that keeps
    // failing (ERROR) past the grace is, and so is anything the service
    // counts as done (IN_SYNC) or does not know of (an extra zone).
    const bool settled = f.propagation == PropagationState::kInSync ||
                         f.kind == FindingKind::kZoneExtra ||
                         (f.propagation == PropagationState::kError &&
                          f.pending_since != absl::InfinitePast() && now - f.pending_since > grace);
    if (!settled) continue;
    // The zone's first finding names it (zone-level and serial findings
    // come before RRset ones).
    by_zone.try_emplace(f.zone, Drift{f.server, f.zone, f.kind, f.truth_serial, f.server_serial,
                                      f.detail});
  }
  std::vector<Drift> out;
  for (auto& [zone, drift] : by_zone) out.push_back(std::move(drift));
  return out;
}

absl::StatusOr<SweepOutcome> ConsistencySweeper::SweepServer(const Server& server,
                                                             ConsistencyDepth depth) {
  CheckRequest request;
  request.server = server.name;
  request.depth = depth;
  request.request_id = absl::StrCat("consistency-sweep-", server.name);
  // Only drifts are kept, page by page (a zone's findings come together):
  // a sweep of a server where everything differs stays small.
  std::vector<Drift> now;
  std::set<std::string> unreadable;  // zones that could not be checked this time
  const absl::Time at = clock_->Now();
  absl::StatusOr<CheckSummary> summary = checker_.Check(request, [&](std::vector<Finding> batch) {
    for (const Finding& f : batch) {
      if (f.kind == FindingKind::kCheckFailed) unreadable.insert(f.zone);
    }
    for (Drift& d : DriftsOf(batch, at, options_.grace)) now.push_back(std::move(d));
    return true;
  });
  if (!summary.ok()) return summary.status();
  SweepOutcome out;
  out.server = server.name;
  out.depth = summary->servers.empty() ? depth : summary->servers[0].depth;
  out.complete = !summary->servers.empty() && summary->servers[0].complete;
  absl::StatusOr<std::vector<Drift>> stored = store_.ListDrifts(server.name);
  if (!stored.ok()) return stored.status();
  std::set<std::string> now_zones, stored_zones;
  for (const Drift& d : now) now_zones.insert(d.zone);
  for (const Drift& d : *stored) stored_zones.insert(d.zone);
  std::vector<Drift> found, resolved;
  // At most max_events of each per sweep: the rest are recorded by the
  // next sweeps, so a mass drift (or its repair) does not flood watchers.
  const size_t cap = static_cast<size_t>(std::max(1, options_.max_events));
  for (const Drift& d : now) {
    if (!stored_zones.count(d.zone) && found.size() < cap) found.push_back(d);
  }
  // Only a sweep that read the whole server can say a drift went away.
  if (out.complete) {
    for (const Drift& d : *stored) {
      if (!now_zones.count(d.zone) && !unreadable.count(d.zone) && resolved.size() < cap) {
        resolved.push_back(d);
      }
    }
  }
  absl::StatusOr<int> recorded = store_.RecordDrifts(server.name, found, resolved);
  if (!recorded.ok()) return recorded.status();
  out.drifts = static_cast<int>(now.size());
  out.found = static_cast<int>(found.size());
  out.resolved = static_cast<int>(resolved.size());
  return out;
}

absl::StatusOr<std::vector<SweepOutcome>> ConsistencySweeper::SweepOnce() {
  ConsistencyDepth depth = ConsistencyDepth::kSerials;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    if (last_content_ == absl::InfinitePast()) last_content_ = now;  // first one a period on
    if (now - last_content_ >= options_.content_interval) {
      depth = ConsistencyDepth::kContent;
      last_content_ = now;
    }
  }
  std::vector<SweepOutcome> out;
  absl::Status first_error;
  for (const Server& server : servers_()) {
    // A server down or in maintenance is the health monitor's news; its
    // zones are caught up when it is back.
    if (server.maintenance || server.status == ServerStatus::kUnavailable) continue;
    absl::StatusOr<SweepOutcome> one = SweepServer(server, depth);
    if (!one.ok()) {
      if (first_error.ok()) first_error = one.status();
      Log(spdlog::level::warn, "consistency sweep failed",
          {{"server", server.name}, {"error", one.status().ToString()}});
      continue;
    }
    if (one->found > 0 || one->resolved > 0) {
      Log(spdlog::level::info, "consistency sweep",
          {{"server", server.name},
           {"depth", one->depth == ConsistencyDepth::kContent ? "CONTENT" : "SERIALS"},
           {"drifts", absl::StrCat(one->drifts)},
           {"found", absl::StrCat(one->found)},
           {"resolved", absl::StrCat(one->resolved)}});
    }
    out.push_back(*std::move(one));
  }
  if (!first_error.ok()) return first_error;
  return out;
}

absl::Status ConsistencySweeper::Kick() {
  absl::MutexLock lock(&mu_);
  // Sweeps never overlap, and a long one (100,000 zones on a busy fleet)
  // is followed by a whole interval of rest, not by the next at once.
  if (running_ || clock_->Now() - last_end_ < options_.interval) return absl::OkStatus();
  if (thread_.joinable()) thread_.join();
  running_ = true;
  thread_ = std::thread([this] {
    (void)SweepOnce();
    absl::MutexLock lock(&mu_);
    running_ = false;
    last_end_ = clock_->Now();
  });
  return absl::OkStatus();
}

void ConsistencySweeper::Stop() {
  std::thread t;
  {
    absl::MutexLock lock(&mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

}  // namespace dns
