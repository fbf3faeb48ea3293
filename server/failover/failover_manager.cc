#include "server/failover/failover_manager.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/serial.h"
#include "common/status_details.h"
#include "server/domain/page_token.h"
#include "server/failover/failover_plan.h"
#include "server/request_id.h"

namespace dns {
namespace {

std::string FilterFingerprint(const FailoverListFilter& filter) {
  return absl::StrCat(filter.ip, "|", filter.state ? static_cast<int>(*filter.state) : -1);
}

std::string NewFailoverId() { return absl::StrCat("fo-", NewRequestId().substr(0, 16)); }

}  // namespace

FailoverManager::FailoverManager(FailoverStore& store, ServerStore& servers, DnsProber& prober,
                                 PropagationControl* propagation, EventHub& hub,
                                 ClientFor client_for, FailoverOptions options)
    : store_(store),
      servers_(servers),
      prober_(prober),
      propagation_(propagation),
      hub_(hub),
      client_for_(std::move(client_for)),
      options_(std::move(options)) {}

FailoverManager::~FailoverManager() { Stop(); }

absl::StatusOr<FailoverManager::Planned> FailoverManager::MakePlan(const FailoverSpec& raw) {
  absl::StatusOr<FailoverSpec> spec = CanonicalFailoverSpec(raw, options_.limits);
  if (!spec.ok()) return spec.status();
  absl::StatusOr<FailoverMatches> matches = store_.FindMatches(*spec);
  if (!matches.ok()) return matches.status();
  // A failover back to where an earlier one came from undoes it exactly.
  absl::StatusOr<Failover> reversible = store_.ReversibleFor(spec->from_ip, spec->to_ip);
  if (!reversible.ok()) return reversible.status();
  FailoverReversal reversal;
  reversal.id = reversible->id;
  for (const FailoverZoneChange& z : reversible->plan.zones) {
    for (const FailoverRRsetChange& c : z.rrsets) {
      reversal.changes[{z.zone, c.after.name, c.after.type}] = c;
    }
  }
  Planned out;
  out.plan = BuildFailoverPlan(*spec, *matches, options_.max_share,
                               reversal.id.empty() ? nullptr : &reversal);
  out.spec = *std::move(spec);
  out.reverses = reversal.id;
  return out;
}

absl::StatusOr<FailoverPlan> FailoverManager::Plan(const FailoverSpec& raw,
                                                   FailoverSpec* canonical) {
  absl::StatusOr<Planned> planned = MakePlan(raw);
  if (!planned.ok()) return planned.status();
  if (canonical != nullptr) *canonical = planned->spec;
  const FailoverPlan& plan = planned->plan;
  if (absl::Status saved = store_.SavePlan(plan.checksum, ZoneDigests(plan)); !saved.ok()) {
    return saved;
  }
  return plan;
}

absl::StatusOr<Failover> FailoverManager::Execute(const ExecuteFailoverInput& input) {
  if (!input.key.request_id.empty()) {
    absl::StatusOr<std::optional<Failover>> existing =
        store_.FindByRequestId(input.key.request_id, input.key.fingerprint);
    if (!existing.ok()) return existing.status();
    if (*existing) {
      // The same call again: attach to it (and drive it here if nobody does).
      if (!IsTerminal((*existing)->state)) (void)ResumeOrphans();
      return **existing;
    }
  }
  absl::StatusOr<Planned> planned = MakePlan(input.spec);
  if (!planned.ok()) return planned.status();
  FailoverPlan& plan = planned->plan;
  if (!input.plan_checksum.empty() && input.plan_checksum != plan.checksum) {
    absl::StatusOr<std::vector<std::string>> reviewed = store_.LoadPlan(input.plan_checksum);
    std::string what =
        reviewed.ok() && !reviewed->empty()
            ? DescribePlanDifference(*reviewed, ZoneDigests(plan))
            : absl::StrCat("the reviewed plan is not known here (planned over a day ago, or "
                           "for another request); today's plan changes ",
                           plan.zones.size(), " zones");
    return WithReasonAndMetadata(
        absl::AbortedError(absl::StrCat("the plan changed since it was reviewed: ", what,
                                        "; plan again and review")),
        "STALE_PLAN", {{"checksum", plan.checksum}, {"zones", absl::StrCat(plan.zones.size())}});
  }
  if (plan.needs_force && !input.force) {
    return WithReasonAndMetadata(
        absl::FailedPreconditionError(absl::StrCat(
            "this failover changes ", plan.records_changed, " of the fleet's ",
            plan.fleet_records, " records (", absl::StrFormat("%.1f", plan.fleet_share * 100),
            " %), more than the ", absl::StrFormat("%.0f", options_.max_share * 100),
            " % allowed without force; review the plan and set force")),
        "FORCE_REQUIRED", {{"records_changed", absl::StrCat(plan.records_changed)},
                           {"fleet_records", absl::StrCat(plan.fleet_records)}});
  }
  Failover op;
  op.id = NewFailoverId();
  op.request_id = input.key.request_id;
  op.requested_by = input.requested_by;
  op.spec = planned->spec;
  op.forced = input.force;
  op.plan = std::move(plan);
  op.reverses = planned->reverses;
  absl::StatusOr<std::pair<Failover, bool>> created =
      store_.Create(op, FailoverCreate{input.key.fingerprint}, options_.owner, options_.lease);
  if (!created.ok()) return created.status();
  if (created->second) {
    Log(spdlog::level::info, "failover recorded",
        {{"failover", created->first.id},
         {"request_id", input.key.request_id},
         {"from_ip", op.spec.from_ip},
         {"to_ip", op.spec.to_ip},
         {"zones", absl::StrCat(op.plan.zones.size())},
         {"reverses", op.reverses}});
    StartDriver(created->first.id);
  }
  return created->first;
}

absl::StatusOr<Failover> FailoverManager::Get(const std::string& id, bool with_zones) {
  if (id.empty()) return InvalidField("id", "is required");
  if (id.size() > 64) return InvalidField("id", "is not a failover id");
  return store_.Get(id, with_zones);
}

absl::StatusOr<FailoverPage> FailoverManager::List(const FailoverListFilter& filter,
                                                   int page_size,
                                                   const std::string& page_token) {
  absl::StatusOr<int> size = PageSize(page_size);
  if (!size.ok()) return size.status();
  std::string after;
  const std::string fingerprint = FilterFingerprint(filter);
  if (!page_token.empty()) {
    absl::StatusOr<std::vector<std::string>> key = DecodePageToken(page_token, fingerprint);
    if (!key.ok()) return key.status();
    if (key->size() != 1) return InvalidField("page_token", "is malformed");
    after = key->front();
  }
  absl::StatusOr<Page<Failover>> page = store_.List(filter, after, *size);
  if (!page.ok()) return page.status();
  FailoverPage out;
  out.items = std::move(page->items);
  if (page->more && !out.items.empty()) {
    out.next_page_token = EncodePageToken({out.items.back().id}, fingerprint);
  }
  return out;
}

absl::Status FailoverManager::ResumeOrphans() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> ids = store_.ClaimOrphans(options_.owner, options_.lease);
  if (!ids.ok()) return ids.status();
  for (const std::string& id : *ids) {
    Log(spdlog::level::info, "failover resumed", {{"failover", id}, {"owner", options_.owner}});
    StartDriver(id);
  }
  return absl::OkStatus();
}

absl::Status FailoverManager::Housekeep(absl::Duration operation_retention) {
  return store_.Prune(absl::Hours(24), operation_retention).status();
}

void FailoverManager::Stop() {
  std::map<std::string, std::thread> running;
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    running.swap(drivers_);
    finished.swap(finished_);
  }
  for (auto& [id, thread] : running) {
    if (thread.joinable()) thread.join();
  }
  for (auto& thread : finished) {
    if (thread.joinable()) thread.join();
  }
}

void FailoverManager::StartDriver(const std::string& id) {
  std::vector<std::thread> finished;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(finished_);
    if (!stopping_ && !drivers_.count(id)) {
      drivers_[id] = std::thread([this, id] { Drive(id); });
    }
  }
  for (auto& thread : finished) thread.join();
}

bool FailoverManager::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&stopping), d);
  return !stopping_;
}

void FailoverManager::Publish(const std::string& id) {
  Event event;
  event.type = EventType::kFailoverProgress;
  event.zone = id;
  hub_.Publish(event);
}

bool FailoverManager::stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void FailoverManager::Drive(const std::string& id) {
  std::map<std::string, ServerTrack> tracks;
  std::vector<std::thread> bulk;
  absl::Time renewed = absl::Now();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    absl::StatusOr<Failover> op = store_.Get(id, false);
    bool more = true;
    if (!op.ok()) {
      if (absl::IsNotFound(op.status())) more = false;
    } else {
      more = Step(*op, tracks, renewed, bulk);
    }
    if (!more || !Sleep(options_.tick)) break;
  }
  for (auto& thread : bulk) thread.join();
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
  }
  // Stopping: hand the operation over (another replica or the next start).
  if (stopping) (void)store_.Release(id, options_.owner);
  absl::MutexLock lock(&mu_);
  auto it = drivers_.find(id);
  if (it != drivers_.end()) {
    finished_.push_back(std::move(it->second));
    drivers_.erase(it);
  }
}

bool FailoverManager::Step(Failover& op, std::map<std::string, ServerTrack>& tracks,
                           absl::Time& renewed, std::vector<std::thread>& bulk) {
  if (IsTerminal(op.state)) return false;
  const absl::Time now = absl::Now();
  if (now - renewed >= options_.lease / 4) {
    absl::StatusOr<bool> held = store_.Renew(op.id, options_.owner, options_.lease);
    if (held.ok() && !*held) return false;  // another replica has it now
    if (held.ok()) renewed = now;
  }
  if (op.state == FailoverState::kPending) {
    const absl::Time start = absl::Now();
    absl::StatusOr<Failover> committed = store_.Commit(op.id, options_.owner);
    if (committed.ok()) {
      Log(spdlog::level::info, "failover committed",
          {{"failover", op.id},
           {"request_id", op.request_id},
           {"zones", absl::StrCat(committed->plan.zones_changed)},
           {"commit_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start))}});
      if (committed->plan.zones_changed > 0) {
        absl::StatusOr<Page<Server>> servers = servers_.ListServers({}, "", 1000);
        if (servers.ok()) {
          // SHARED_DB servers first (a flush and DNS questions: seconds for
          // thousands of zones), then the API servers (a PATCH per zone),
          // so that the quick ones do not share the CPU with the slow ones.
          bulk.emplace_back([this, committed = *committed, servers = servers->items] {
            for (ServerMode mode : {ServerMode::kSharedDb, ServerMode::kApi}) {
              std::vector<std::thread> pushes;
              for (const Server& server : servers) {
                if (server.mode != mode) continue;
                pushes.emplace_back([this, &committed, server] { PushClaimed(committed, server); });
              }
              for (auto& t : pushes) t.join();
            }
          });
        }
        // What the commit did not claim goes the normal way.
        if (propagation_ != nullptr) propagation_->KickAll();
      }
      Publish(op.id);
      return true;
    }
    const absl::Status& error = committed.status();
    if (absl::IsFailedPrecondition(error)) return false;  // lost to another replica
    if (!absl::IsUnavailable(error) && !absl::IsDeadlineExceeded(error) &&
        !absl::IsResourceExhausted(error)) {
      // A zone changed (or went) since the plan, or the commit cannot work:
      // nothing was applied. Only a passing outage is waited out.
      op.state = FailoverState::kFailed;
      op.error = absl::StrCat("not committed, nothing changed: ", error.message());
      op.end_time = absl::Now();
      Log(spdlog::level::warn, "failover failed",
          {{"failover", op.id}, {"request_id", op.request_id}, {"error", op.error}});
      (void)store_.Update(op, options_.owner);
      Publish(op.id);
      return false;
    }
    Log(spdlog::level::warn, "failover commit will be retried",
        {{"failover", op.id}, {"error", error.ToString()}});
    return Sleep(absl::Seconds(1));
  }

  // Committed: where does each server stand?
  absl::StatusOr<Page<Server>> servers = servers_.ListServers({}, "", 1000);
  absl::StatusOr<std::vector<FailoverServerCounts>> counts = store_.Progress(op.id);
  if (!servers.ok() || !counts.ok()) return true;
  std::map<std::string, FailoverServerCounts> by_server;
  for (const auto& c : *counts) by_server[c.server] = c;
  const int total = op.plan.zones_changed;
  std::vector<FailoverServerProgress> progress;
  bool all_done = true;
  for (const Server& server : servers->items) {
    FailoverServerProgress p;
    p.server = server.name;
    p.mode = server.mode;
    const FailoverServerCounts& c = by_server[server.name];
    p.zones_pushed = c.applied;
    p.zones_failed = c.failed;
    ServerTrack& track = tracks[server.name];
    if (server.mode == ServerMode::kSharedDb) {
      // Applied means the server answered the new serial over DNS.
      p.zones_confirmed = c.applied;
    } else {
      ConfirmOverDns(op, server, track);
      p.zones_confirmed = static_cast<int>(track.confirmed.size());
    }
    if (p.zones_confirmed >= total) {
      if (track.confirm_time == absl::InfinitePast()) track.confirm_time = absl::Now();
      p.state = FailoverServerState::kConfirmed;
      p.confirm_time = track.confirm_time;
    } else if (server.maintenance || server.status == ServerStatus::kMaintenance ||
               server.status == ServerStatus::kUnavailable) {
      p.state = FailoverServerState::kSkipped;
      p.detail = server.maintenance ? "in maintenance" : absl::StrCat("UNAVAILABLE: ", server.status_reason);
    } else {
      all_done = false;
      p.detail = c.last_error;
    }
    progress.push_back(std::move(p));
  }
  const bool timed_out = op.commit_time != absl::InfinitePast() &&
                         absl::Now() - op.commit_time > options_.confirm_timeout;
  if (all_done) {
    op.state = FailoverState::kSucceeded;
    op.end_time = absl::Now();
  } else if (timed_out) {
    op.state = FailoverState::kIncomplete;
    op.end_time = absl::Now();
    std::vector<std::string> late;
    for (auto& p : progress) {
      if (p.state == FailoverServerState::kPropagating) {
        p.state = FailoverServerState::kTimedOut;
        late.push_back(p.server);
      }
    }
    op.error = absl::StrCat("not confirmed within ", absl::FormatDuration(options_.confirm_timeout),
                            " on ", absl::StrJoin(late, ", "),
                            "; propagation goes on by itself");
  }
  if (progress == op.servers && !IsTerminal(op.state)) return true;
  op.servers = std::move(progress);
  absl::Status updated = store_.Update(op, options_.owner);
  if (absl::IsFailedPrecondition(updated)) return false;
  if (!updated.ok()) return true;
  Publish(op.id);
  if (IsTerminal(op.state)) {
    Log(spdlog::level::info, "failover finished",
        {{"failover", op.id},
         {"request_id", op.request_id},
         {"state", op.state == FailoverState::kSucceeded ? "SUCCEEDED" : "INCOMPLETE"},
         {"seconds", absl::StrFormat("%.3f", absl::ToDoubleSeconds(op.end_time - op.create_time))}});
    return false;
  }
  return true;
}

void FailoverManager::ConfirmOverDns(const Failover& op, const Server& server,
                                     ServerTrack& track) {
  if (!ParseIpHostPort(server.dns_address, 53)) return;
  // Rows recorded since the last look (with a margin for clocks and
  // commits in flight); zones confirmed before are not asked again.
  const absl::Time since = track.applied_seen == absl::InfinitePast()
                               ? absl::InfinitePast()
                               : track.applied_seen - absl::Seconds(2);
  const absl::Time asked = absl::Now();
  absl::StatusOr<std::vector<std::pair<std::string, uint32_t>>> applied =
      store_.AppliedSince(op.id, server.name, since);
  if (!applied.ok()) return;
  std::vector<std::pair<std::string, uint32_t>> todo;
  for (auto& zone : *applied) {
    if (!track.confirmed.count(zone.first)) todo.push_back(std::move(zone));
  }
  const std::vector<char> ok = ProbeSerials(server, todo);
  bool all = true;
  for (size_t i = 0; i < todo.size(); ++i) {
    if (ok[i]) {
      track.confirmed.insert(todo[i].first);
    } else {
      all = false;
    }
  }
  // A zone that did not answer yet is asked again next time.
  if (all) track.applied_seen = asked;
}

std::vector<char> FailoverManager::ProbeSerials(
    const Server& server, const std::vector<std::pair<std::string, uint32_t>>& zones) {
  std::vector<char> ok(zones.size(), 0);
  std::optional<HostPort> address = ParseIpHostPort(server.dns_address, 53);
  if (!address) return ok;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < zones.size(); i = next++) {
      absl::StatusOr<ProbeResult> probe = prober_.QuerySoaSerial(
          address->host, address->port, zones[i].first, options_.probe_timeout);
      ok[i] = probe.ok() && probe->soa_serial && SerialAtOrAfter(*probe->soa_serial, zones[i].second);
    }
  };
  const int threads =
      static_cast<int>(std::min<size_t>(options_.probe_parallelism, (zones.size() + 63) / 64));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return ok;
}

void FailoverManager::PushClaimed(const Failover& op, const Server& server) {
  absl::StatusOr<std::vector<ClaimedZone>> claimed =
      store_.ClaimedZones(op.id, server.name, options_.owner);
  if (!claimed.ok() || claimed->empty()) return;
  std::vector<ClaimedZone> pending = *std::move(claimed);
  std::shared_ptr<pdns::PdnsClient> client = client_for_ ? client_for_(server.name) : nullptr;
  const absl::Time start = absl::Now();
  pdns::CallContext ctx;
  ctx.request_id = op.request_id.empty() ? op.id : op.request_id;
  ctx.deadline = start + absl::Minutes(5);
  auto record = [&](std::vector<ClaimedZone> applied, std::vector<ClaimedZone> released) {
    if (applied.empty() && released.empty()) return;
    absl::Status recorded = store_.RecordClaimed(server.name, options_.owner, applied, released);
    if (!recorded.ok()) {
      Log(spdlog::level::warn, "failover bulk outcome not recorded (the rows go back by lease)",
          {{"failover", op.id}, {"server", server.name}, {"error", recorded.ToString()}});
    }
  };
  const size_t total = pending.size();
  if (client == nullptr) {
    record({}, std::move(pending));
    return;
  }
  if (server.mode == ServerMode::kSharedDb) {
    // The database is already the truth: one flush of everything the server
    // cached, then each zone asked for its serial (a replica may lag: a few
    // more rounds for the stragglers).
    for (int round = 0; round < 5 && !pending.empty() && !stopping(); ++round) {
      if (round > 0) absl::SleepFor(absl::Milliseconds(100 << round));
      absl::StatusOr<int64_t> flushed = client->AsyncFlushCache(ctx, ".").get();
      if (!flushed.ok()) continue;
      std::vector<std::pair<std::string, uint32_t>> ask;
      for (const ClaimedZone& z : pending) ask.emplace_back(z.zone, z.serial);
      const std::vector<char> ok = ProbeSerials(server, ask);
      std::vector<ClaimedZone> confirmed, left;
      for (size_t i = 0; i < pending.size(); ++i) {
        (ok[i] ? confirmed : left).push_back(std::move(pending[i]));
      }
      record(confirmed, {});
      pending = std::move(left);
      Publish(op.id);
    }
    record({}, std::move(pending));
  } else {
    // Written in chunks as they are pushed, so progress shows while it runs.
    absl::Mutex mu;
    std::vector<ClaimedZone> applied_chunk, failed;
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < pending.size(); i = next++) {
        if (stopping()) {
          absl::MutexLock lock(&mu);
          failed.push_back(pending[i]);
          continue;
        }
        std::vector<RRsetChange> changes;
        for (const RRset& r : pending[i].rrsets) changes.push_back({ChangeType::kReplace, r, false});
        changes.push_back({ChangeType::kReplace, pending[i].soa, false});
        absl::Status pushed = client->AsyncPatchRRsets(ctx, pending[i].zone, changes).get();
        std::vector<ClaimedZone> flush;
        {
          absl::MutexLock lock(&mu);
          (pushed.ok() ? applied_chunk : failed).push_back(pending[i]);
          if (applied_chunk.size() >= 200) flush.swap(applied_chunk);
        }
        if (!flush.empty()) {
          record(flush, {});
          Publish(op.id);
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < options_.push_parallelism; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    record(std::move(applied_chunk), std::move(failed));
    pending.clear();
  }
  Log(spdlog::level::info, "failover bulk push",
      {{"failover", op.id},
       {"request_id", ctx.request_id},
       {"server", server.name},
       {"zones", absl::StrCat(total)},
       {"duration_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start))}});
  Publish(op.id);
}

}  // namespace dns
