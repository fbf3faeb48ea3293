#include "server/propagator.h"

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/call_context.h"
#include "server/logging.h"
#include "common/status_details.h"

namespace dns {
namespace {

// RFC 1982: is `got` at or after `want`?
bool SerialReached(uint32_t got, uint32_t want) {
  return static_cast<int32_t>(got - want) >= 0;
}

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

absl::Duration Backoff(const PropagatorOptions& o, int attempts) {
  absl::Duration d = o.initial_backoff;
  for (int i = 0; i < attempts && d < o.max_backoff; ++i) d *= 2;
  d = std::min(d, o.max_backoff);
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return d * jitter(rng);
}

// "host:port" or "[v6]:port" → (host, port); port 53 when absent.
std::pair<std::string, int> SplitHostPort(const std::string& address) {
  std::string host = address;
  int port = 53;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close != std::string::npos) {
      if (close + 2 <= host.size() && host[close + 1] == ':') {
        (void)absl::SimpleAtoi(host.substr(close + 2), &port);
      }
      host = host.substr(1, close - 1);
    }
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    auto colon = host.find(':');
    (void)absl::SimpleAtoi(host.substr(colon + 1), &port);
    host = host.substr(0, colon);
  }
  return {host, port};
}

std::vector<RRsetChange> ReplaceAll(const std::vector<RRset>& rrsets) {
  std::vector<RRsetChange> changes;
  changes.reserve(rrsets.size());
  for (const auto& rrset : rrsets) changes.push_back(RRsetChange{ChangeType::kReplace, rrset});
  return changes;
}

}  // namespace

Propagator::Propagator(PropagationStore& store, ZoneStore& zones, ServerStore& servers,
                       pdns::PdnsClientPool& clients, DnsProber& prober,
                       PropagatorOptions options)
    : store_(store),
      zones_(zones),
      servers_(servers),
      clients_(clients),
      prober_(prober),
      options_(options),
      workers_(Executor::Options{options.workers, 100000}),
      full_syncs_(options.max_full_sync_rrsets, options.full_sync_free_below) {}

Propagator::~Propagator() { Stop(); }

void Propagator::Start() {
  ReloadServers();
  loop_ = std::thread([this] { Loop(); });
}

void Propagator::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (loop_.joinable()) loop_.join();
  workers_.Shutdown();
}

bool Propagator::NoFleet() {
  absl::MutexLock lock(&mu_);
  return server_by_name_.empty() && !reload_;
}

absl::StatusOr<std::vector<ServerPropagation>> Propagator::State(const std::string& zone) {
  if (NoFleet()) return std::vector<ServerPropagation>();
  return store_.GetPropagation(zone);
}

void Propagator::Kick(const std::string& zone, const std::string& request_id) {
  // Without servers there is nothing to push; the loop's poll covers a
  // server registered meanwhile by another replica.
  if (NoFleet()) return;
  // Claiming is a query: do it off the caller's (RPC) thread.
  (void)workers_.Schedule([this, zone, request_id] { ClaimAndDispatch(zone, request_id); });
}

void Propagator::ServersChanged() {
  // At once, not on the loop's next turn: a push that starts after
  // UpdateServer answered uses the new URL and key.
  ReloadServers();
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void Propagator::ReloadServers() {
  // One reload at a time, so one that read the registry earlier cannot
  // install its older view after one that read it later.
  absl::MutexLock reload_lock(&reload_mu_);
  absl::StatusOr<std::vector<Server>> servers = servers_.ListServersWithKeys();
  if (!servers.ok()) {
    Log(spdlog::level::warn, "cannot load servers", {{"error", std::string(servers.status().message())}});
    absl::MutexLock lock(&mu_);
    reload_ = true;  // the loop tries again
    return;
  }
  std::map<std::string, Server> by_name;
  for (const Server& s : *servers) {
    by_name[s.name] = s;
    absl::Status st = clients_.Upsert(pdns::ServerConfig{s.name, s.api_url, s.api_key});
    if (!st.ok()) {
      Log(spdlog::level::warn, "cannot make client", {{"server", s.name}, {"error", std::string(st.message())}});
    }
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [name, unused] : server_by_name_) {
    if (!by_name.count(name)) clients_.Remove(name);
  }
  server_by_name_ = std::move(by_name);
  last_reload_ = absl::Now();
  reload_ = false;
}

void Propagator::Loop() {
  absl::Time last_probe = absl::InfinitePast();
  absl::Time last_prune = absl::Now();
  while (true) {
    bool reload;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&woken), options_.poll_interval);
      if (stopping_) return;
      wake_ = false;
      reload = reload_ || absl::Now() - last_reload_ > options_.server_refresh;
    }
    if (reload) ReloadServers();
    ClaimAndDispatch(std::nullopt, "");
    if (absl::Now() - last_probe > absl::Seconds(1)) {
      ProbeFailingServers();
      last_probe = absl::Now();
    }
    if (absl::Now() - last_prune > absl::Minutes(1)) {
      (void)store_.PruneJournal();
      last_prune = absl::Now();
    }
  }
}

void Propagator::ClaimAndDispatch(const std::optional<std::string>& zone,
                                  const std::string& request_id) {
  if (!zone && workers_.queued() >= static_cast<size_t>(options_.claim_batch)) {
    // Claim no further ahead than the workers get through soon: a row
    // claimed now but pushed after its lease ran out would be claimed again
    // and pushed twice. A worker wakes the loop when the queue runs low.
    absl::MutexLock lock(&mu_);
    backlogged_ = true;
    return;
  }
  absl::StatusOr<std::vector<PropagationTask>> tasks =
      store_.ClaimDue(options_.claim_batch, options_.lease, zone);
  if (!tasks.ok()) {
    Log(spdlog::level::warn, "cannot claim propagation work",
        {{"request_id", request_id}, {"error", std::string(tasks.status().message())}});
    return;
  }
  for (PropagationTask& task : *tasks) {
    PropagationTask copy = task;
    absl::Status scheduled = workers_.Schedule(
        [this, task = std::move(task), request_id] { Process(task, request_id); });
    if (!scheduled.ok()) {
      (void)store_.MarkFailed(copy, std::string(scheduled.message()), options_.initial_backoff,
                              false);
    }
  }
  // A full batch means more may be due.
  if (!zone && static_cast<int>(tasks->size()) == options_.claim_batch) {
    absl::MutexLock lock(&mu_);
    wake_ = true;
  }
}

void Propagator::Process(const PropagationTask& task, const std::string& request_id) {
  const absl::Time start = absl::Now();
  pdns::CallContext ctx;
  ctx.request_id = request_id.empty() ? NewRequestId() : request_id;
  ctx.deadline = start + options_.lease / 2;

  std::optional<Server> server;
  {
    absl::MutexLock lock(&mu_);
    auto it = server_by_name_.find(task.server);
    if (it != server_by_name_.end()) server = it->second;
  }
  std::shared_ptr<pdns::PdnsClient> client = clients_.Get(task.server);
  if (!server || !client) {
    ReloadServers();
    absl::MutexLock lock(&mu_);
    auto it = server_by_name_.find(task.server);
    if (it != server_by_name_.end()) server = it->second;
    client = clients_.Get(task.server);
  }

  absl::Status status;
  bool did_full_sync = false;
  if (!server || !client) {
    status = absl::UnavailableError("server is not loaded (deregistered?)");
  } else if (server->mode == ServerMode::kApi) {
    status = PushToApiServer(*server, *client, task, ctx, did_full_sync);
  } else {
    status = ConfirmSharedDb(*server, *client, task, ctx);
  }

  bool more = false;
  if (status.ok()) {
    absl::StatusOr<bool> in_sync =
        Record(task, [&] { return store_.MarkApplied(task, did_full_sync); });
    more = in_sync.ok() && !*in_sync && !task.zone_deleted;
    absl::MutexLock lock(&mu_);
    failing_servers_.erase(task.server);
  } else {
    (void)Record(task, [&] {
      return store_.MarkFailed(task, std::string(status.message()),
                               Backoff(options_, task.attempts), absl::IsNotFound(status));
    });
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
      absl::MutexLock lock(&mu_);
      failing_servers_.insert(task.server);
    }
  }
  Log(status.ok() ? spdlog::level::debug : spdlog::level::warn, "propagation",
      {{"request_id", ctx.request_id},
       {"zone", task.zone},
       {"server", task.server},
       {"serial", std::to_string(task.desired_serial)},
       {"deleted", task.zone_deleted ? "true" : "false"},
       {"full_sync", did_full_sync ? "true" : "false"},
       {"code", absl::StatusCodeToString(status.code())},
       {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start))},
       {"error", std::string(status.message())}});
  NotifyWaiters();
  if (workers_.queued() < static_cast<size_t>(options_.claim_batch / 2)) {
    absl::MutexLock lock(&mu_);
    if (backlogged_) {
      backlogged_ = false;
      wake_ = true;
    }
  }
  // Newer changes arrived while this push was under way.
  if (more) ClaimAndDispatch(task.zone, ctx.request_id);
}

template <typename Fn>
auto Propagator::Record(const PropagationTask& task, Fn record) -> decltype(record()) {
  // A row stays leased until its outcome is recorded, so giving up at the
  // first failure would park the zone for a whole lease after a database
  // blip. Retry while the database is unreachable, for half a lease (the
  // claim took a whole one).
  const absl::Time give_up = absl::Now() + options_.lease / 2;
  absl::Duration pause = absl::Milliseconds(100);
  auto result = record();
  while (!StatusOf(result).ok() &&
         (absl::IsUnavailable(StatusOf(result)) || absl::IsDeadlineExceeded(StatusOf(result))) &&
         absl::Now() + pause < give_up) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(2));
    result = record();
  }
  if (!StatusOf(result).ok()) {
    Log(spdlog::level::warn, "cannot record a propagation outcome; the row waits for its lease",
        {{"zone", task.zone},
         {"server", task.server},
         {"error", std::string(StatusOf(result).message())}});
  }
  return result;
}

absl::Status Propagator::PushToApiServer(const Server& server, pdns::PdnsClient& client,
                                         const PropagationTask& task,
                                         const pdns::CallContext& ctx, bool& did_full_sync) {
  if (task.zone_deleted) {
    absl::Status st = client.DeleteZone(ctx, task.zone);
    return absl::IsNotFound(st) ? absl::OkStatus() : st;
  }
  std::optional<std::vector<RRsetKey>> keys;
  if (!task.full_sync && task.applied_serial != 0) {
    absl::StatusOr<std::optional<std::vector<RRsetKey>>> changed =
        store_.ChangedSince(task.zone, task.applied_serial);
    if (!changed.ok()) return changed.status();
    keys = *std::move(changed);
  }
  if (!keys) {
    did_full_sync = true;
    return FullSync(client, task, ctx);
  }
  keys->emplace_back(task.zone, "SOA");
  absl::StatusOr<std::vector<RRset>> current = zones_.GetRRsets(task.zone, *keys);
  if (absl::IsNotFound(current.status())) return absl::OkStatus();  // deleted meanwhile
  if (!current.ok()) return current.status();
  std::vector<RRsetChange> changes;
  for (const RRsetKey& key : *keys) {
    auto it = std::find_if(current->begin(), current->end(), [&](const RRset& r) {
      return r.name == key.first && r.type == key.second;
    });
    if (it != current->end()) {
      changes.push_back(RRsetChange{ChangeType::kReplace, *it});
    } else {
      changes.push_back(RRsetChange{ChangeType::kDelete, RRset{key.first, key.second, 0, {}}});
    }
  }
  absl::Status st = client.PatchRRsets(ctx, task.zone, changes);
  if (absl::IsNotFound(st)) {
    // The server lost the zone (rebuilt, or deleted by hand): recreate it.
    did_full_sync = true;
    return FullSync(client, task, ctx);
  }
  return st;
}

absl::Status Propagator::FullSync(pdns::PdnsClient& client, const PropagationTask& task,
                                  const pdns::CallContext& ctx) {
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> truth = zones_.GetZoneWithRRsets(task.zone);
  if (absl::IsNotFound(truth.status())) return absl::OkStatus();  // deleted meanwhile
  if (!truth.ok()) return truth.status();
  const Zone& zone = truth->first;
  absl::StatusOr<WeightedGate::Ticket> admitted = full_syncs_.Acquire(
      static_cast<int64_t>(truth->second.size()), ctx.deadline, "full zone pushes");
  if (!admitted.ok()) return absl::UnavailableError(admitted.status().message());

  // Most full syncs are new zones: try the create first (one call).
  pdns::CreateZoneRequest create;
  create.name = zone.name;
  create.kind = zone.kind;
  create.masters = zone.masters;
  create.rrsets = std::move(truth->second);  // a big zone is not copied
  const std::vector<RRset>& rrsets = create.rrsets;
  absl::StatusOr<pdns::ZoneInfo> created = client.CreateZone(ctx, create);
  if (created.ok() || !absl::IsAlreadyExists(created.status())) return created.status();

  // It exists: make it equal RRset by RRset in one PATCH, after the zone
  // settings (kind, masters, and soa_edit_api off so that PowerDNS keeps
  // the truth's serial instead of bumping its own on every PATCH).
  absl::StatusOr<pdns::ZoneInfo> existing = client.GetZone(ctx, task.zone);
  if (!existing.ok()) return existing.status();
  if (existing->kind != zone.kind || existing->masters != zone.masters ||
      !existing->soa_edit_api.empty()) {
    absl::Status st = client.UpdateZoneAttributes(
        ctx, task.zone, pdns::ZoneAttributes{zone.kind, zone.masters, ""});
    if (!st.ok()) return st;
  }
  std::vector<RRsetChange> changes;
  for (const RRset& theirs : existing->rrsets) {
    bool kept = std::any_of(rrsets.begin(), rrsets.end(), [&](const RRset& ours) {
      return ours.name == theirs.name && ours.type == theirs.type;
    });
    if (!kept) {
      changes.push_back(RRsetChange{ChangeType::kDelete, RRset{theirs.name, theirs.type, 0, {}}});
    }
  }
  for (RRsetChange& c : ReplaceAll(rrsets)) changes.push_back(std::move(c));
  return client.PatchRRsets(ctx, task.zone, changes);
}

absl::Status Propagator::ConfirmSharedDb(const Server& server, pdns::PdnsClient& client,
                                         const PropagationTask& task,
                                         const pdns::CallContext& ctx) {
  absl::StatusOr<int64_t> flushed = client.FlushCache(ctx, task.zone);
  if (!flushed.ok()) return flushed.status();
  // A deleted zone cannot be confirmed over DNS: servers keep it in their
  // zone cache until its refresh (zone-cache-refresh-interval).
  if (task.zone_deleted) return absl::OkStatus();
  auto [host, port] = SplitHostPort(server.dns_address);
  const absl::Time until = absl::Now() + options_.confirm_timeout;
  absl::Status last;
  for (int round = 0;; ++round) {
    absl::StatusOr<ProbeResult> probe =
        prober_.QuerySoaSerial(host, port, task.zone, options_.probe_timeout);
    if (probe.ok() && probe->soa_serial && SerialReached(*probe->soa_serial, task.desired_serial)) {
      return absl::OkStatus();
    }
    last = probe.ok() ? absl::FailedPreconditionError(absl::StrCat(
                            "server answers serial ", probe->soa_serial.value_or(0), ", want ",
                            task.desired_serial))
                      : probe.status();
    if (absl::Now() >= until) break;
    absl::SleepFor(absl::Milliseconds(std::min(5 << std::min(round, 5), 100)));
    // A replica may have caught up after our flush: flush again now and then.
    if (round % 5 == 4) (void)client.FlushCache(ctx, task.zone);
  }
  return absl::UnavailableError(absl::StrCat("DNS check at ", server.dns_address, ": ",
                                             last.message()));
}

absl::StatusOr<std::vector<RRset>> Propagator::FetchZone(const std::string& server,
                                                         const std::string& zone,
                                                         const std::string& request_id) {
  std::shared_ptr<pdns::PdnsClient> client = clients_.Get(server);
  if (!client) {
    ReloadServers();
    client = clients_.Get(server);
  }
  if (!client) {
    return WithReason(absl::NotFoundError(absl::StrCat("server ", server, " is not registered")),
                      "SERVER_NOT_FOUND");
  }
  pdns::CallContext ctx;
  ctx.request_id = request_id;
  ctx.deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<pdns::ZoneInfo> info = client->GetZone(ctx, zone);
  if (!info.ok()) {
    if (absl::IsNotFound(info.status())) {
      return WithReason(absl::NotFoundError(absl::StrCat("server ", server, " has no zone ", zone)),
                        "ZONE_NOT_FOUND_ON_SERVER");
    }
    return info.status();
  }
  return info->rrsets;
}

void Propagator::ProbeFailingServers() {
  std::vector<Server> failing;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& name : failing_servers_) {
      auto it = server_by_name_.find(name);
      if (it != server_by_name_.end()) failing.push_back(it->second);
    }
  }
  for (const Server& server : failing) {
    // A one-off client without the shared one's breaker: the point is to
    // notice a recovery before the breaker would let a call through.
    pdns::ClientOptions options;
    options.circuit_breaker.failure_threshold = 0;
    options.retry.max_attempts = 1;
    options.connect_timeout = options_.probe_timeout;
    options.read_timeout = options_.probe_timeout;
    auto probe = pdns::MakeHttpPdnsClient(
        pdns::ServerConfig{server.name, server.api_url, server.api_key}, options,
        clients_.executor());
    if (!probe.ok()) continue;
    pdns::CallContext ctx;
    ctx.deadline = absl::Now() + options_.probe_timeout * 2;
    if (!(*probe)->GetServerInfo(ctx).ok()) continue;
    Log(spdlog::level::info, "server is back: catching up", {{"server", server.name}});
    // Its breaker may still be open: a fresh client starts closed.
    (void)clients_.Upsert(pdns::ServerConfig{server.name, server.api_url, server.api_key},
                          options_.client_options);
    (void)store_.WakeServer(server.name);
    absl::MutexLock lock(&mu_);
    failing_servers_.erase(server.name);
    wake_ = true;
  }
}

void Propagator::NotifyWaiters() {
  absl::MutexLock lock(&mu_);
  ++progress_;
}

std::vector<ServerPropagation> Propagator::Wait(const std::string& zone, uint32_t serial,
                                                bool deleted, absl::Time deadline) {
  const absl::Time start = absl::Now();
  std::vector<ServerPropagation> states;
  while (true) {
    int64_t seen;
    {
      absl::MutexLock lock(&mu_);
      seen = progress_;
    }
    absl::StatusOr<std::vector<ServerPropagation>> now = store_.GetPropagation(zone);
    if (now.ok()) states = *std::move(now);
    bool done = now.ok();
    for (const ServerPropagation& p : states) {
      const bool reached = p.state == PropagationState::kInSync &&
                           (deleted || SerialReached(p.applied_serial, serial));
      // Failed twice since the write: the recovery loop retries a failed
      // push within about a second, so a passing fault (a busy SQLite
      // backend, a dropped connection) is waited out, while a lasting one
      // (a server down, a rejected key or record) is reported at once.
      const bool failed_now = p.state == PropagationState::kError && p.update_time >= start &&
                              p.attempts >= 2;
      if (!reached && !failed_now && p.state != PropagationState::kSkipped) done = false;
    }
    if (done || absl::Now() >= deadline) return states;
    // Woken by local progress, or polling for pushes by other replicas.
    absl::MutexLock lock(&mu_);
    auto progressed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return progress_ != seen; };
    mu_.AwaitWithDeadline(absl::Condition(&progressed),
                          std::min(deadline, absl::Now() + absl::Milliseconds(50)));
  }
}

}  // namespace dns
