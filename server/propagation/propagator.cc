#include "server/propagation/propagator.h"

#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "common/logging.h"
#include "server/propagation/propagation_waiter.h"

namespace dns {

Propagator::Propagator(PropagationStore& store, ZoneStore& zones, ServerStore& servers,
                       pdns::PdnsClientPool& clients, DnsProber& prober, EventHub& hub,
                       TimerQueue& timers, PropagatorOptions options)
    : store_(store),
      hub_(hub),
      timers_(timers),
      owner_(options.claimer.owner),
      directory_(servers, clients, RealClock(), options.server_refresh),
      full_syncs_(options.max_full_sync_rrsets, options.full_sync_free_below),
      pusher_(store, zones, full_syncs_),
      confirmer_(prober, RealClock(), options.confirm),
      recovery_(directory_,
                [this](const std::string& server) {
                  // Its breaker may still be open: a fresh client starts closed.
                  directory_.ResetClient(server);
                  (void)store_.WakeServer(server);
                  claimer_.Wake();
                },
                options.recovery),
      claimer_(store, [this](PropagationTask task) { workers_.Submit(std::move(task)); },
               options.claimer, RealClock(),
               [this] {
                 FleetLoad load;
                 load.servers = directory_.size();
                 load.down = recovery_.failing();
                 load.limits = directory_.ClientLimits();
                 return load;
               }),
      workers_(store, directory_, pusher_, confirmer_, recovery_, claimer_, hub,
               options.workers) {}

Propagator::~Propagator() { Stop(); }

void Propagator::Start() {
  (void)directory_.Reload();
  subscription_ = hub_.Subscribe("", [this](const Event& event) { OnEvent(event); });
  claimer_.Start();
  recovery_.Start();
  started_ = true;
}

void Propagator::Stop() {
  if (stopped_) return;
  stopped_ = true;
  subscription_.Cancel();
  claimer_.Stop();
  recovery_.Stop();
  // Pushes to a server that never answers must not hold the shutdown; the
  // workers learn first that what fails now was interrupted, not refused.
  workers_.BeginStop();
  directory_.clients().AbortAll();
  workers_.Stop();
  if (!started_) return;
  // An abandoned push usually records its failure (and so frees its row)
  // before this runs; whatever is still leased is handed back here.
  absl::StatusOr<int64_t> released = store_.ReleaseAll(owner_);
  Log(released.ok() ? spdlog::level::info : spdlog::level::warn,
      "propagation stopped, leases given back",
      {{"rows", released.ok() ? absl::StrCat(*released) : "-"},
       {"error", released.ok() ? "" : released.status().ToString()}});
  if (released.ok() && *released > 0) {
    Event event;
    event.type = EventType::kWorkReleased;
    hub_.Publish(event);
  }
}

void Propagator::OnEvent(const Event& event) {
  switch (event.type) {
    case EventType::kZoneCommitted:
      // Another replica's commit: it claims its own work first, but may be
      // busy or gone.
      if (event.remote) claimer_.Kick(event.zone);
      break;
    case EventType::kServersChanged:
      if (event.remote) (void)directory_.Reload();
      claimer_.Wake();
      break;
    case EventType::kWorkReleased:
    case EventType::kBulkCommitted:
    case EventType::kResync:
      claimer_.Wake();
      break;
    default:
      break;
  }
}

void Propagator::Kick(const std::string& zone, const std::string& request_id,
                      bool caller_waits) {
  directory_.ReloadIfStale();
  // Without servers there is nothing to push; the sweep covers a server
  // registered meanwhile by another replica.
  if (directory_.Empty()) return;
  claimer_.Kick(zone, request_id, caller_waits);
  Event event;
  event.type = EventType::kZoneCommitted;
  event.zone = zone;
  hub_.Publish(event);
}

void Propagator::KickAll() {
  directory_.ReloadIfStale();
  if (directory_.Empty()) return;
  claimer_.Wake();
  Event event;
  event.type = EventType::kBulkCommitted;
  hub_.Publish(event);
}

void Propagator::WaitAsync(const std::string& zone, uint32_t serial, bool deleted,
                           absl::Time since, absl::Time deadline, WaitDone done) {
  if (directory_.Empty()) {
    done({});
    return;
  }
  if (shutting_down_) {
    absl::StatusOr<std::vector<ServerPropagation>> now = store_.GetPropagation(zone);
    done(now.ok() ? *std::move(now) : std::vector<ServerPropagation>());
    return;
  }
  WaitForPropagation(hub_, timers_, WaitRequest{zone, serial, deleted, since, deadline},
                     [this, zone] { return store_.GetPropagation(zone); }, std::move(done));
}

absl::StatusOr<std::vector<ServerPropagation>> Propagator::State(const std::string& zone) {
  if (directory_.Empty()) return std::vector<ServerPropagation>();
  return store_.GetPropagation(zone);
}

absl::StatusOr<uint32_t> Propagator::RequestSync(const std::string& zone,
                                                 const std::vector<std::string>& servers) {
  return store_.RequestSync(zone, servers);
}

absl::StatusOr<std::vector<RRset>> Propagator::FetchZone(const std::string& server,
                                                         const std::string& zone,
                                                         const std::string& request_id,
                                                         absl::Time deadline) {
  std::optional<ServerDirectory::Entry> entry = directory_.Find(server);
  if (!entry) {
    return WithReason(absl::NotFoundError(absl::StrCat("server ", server, " is not registered")),
                      "SERVER_NOT_FOUND");
  }
  pdns::CallContext ctx;
  ctx.request_id = request_id;
  ctx.deadline = deadline;
  absl::StatusOr<pdns::ZoneInfo> info = entry->client->GetZone(ctx, zone);
  if (!info.ok()) {
    if (absl::IsNotFound(info.status())) {
      return WithReason(absl::NotFoundError(absl::StrCat("server ", server, " has no zone ", zone)),
                        "ZONE_NOT_FOUND_ON_SERVER");
    }
    return info.status();
  }
  return info->rrsets;
}

void Propagator::ServersChanged() {
  (void)directory_.Reload();
  claimer_.Wake();
  Event event;
  event.type = EventType::kServersChanged;
  hub_.Publish(event);
}

}  // namespace dns
