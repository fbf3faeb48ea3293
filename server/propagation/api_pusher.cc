#include "server/propagation/api_pusher.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/serial.h"

namespace dns {
namespace {

uint32_t SoaSerial(const std::vector<RRset>& rrsets) {
  for (const RRset& r : rrsets) {
    if (r.type == "SOA" && !r.records.empty()) return SoaContentSerial(r.records[0].content);
  }
  return 0;
}

}  // namespace

absl::Status ApiPusher::Push(pdns::PdnsClient& client, const PropagationTask& task,
                             const pdns::CallContext& ctx, bool* did_full_sync) {
  uint32_t pushed_serial = 0;
  absl::Status st = PushOnce(client, task, ctx, did_full_sync, &pushed_serial);
  if (!st.ok() || task.attempts == 0 || pushed_serial == 0) return st;
  st = ServerHas(client, task.zone, pushed_serial, ctx);
  if (st.ok() || !absl::IsFailedPrecondition(st)) return st;
  // An older request overtook this one: send the whole zone.
  *did_full_sync = true;
  st = FullSync(client, task, ctx, &pushed_serial);
  if (!st.ok() || pushed_serial == 0) return st;
  st = ServerHas(client, task.zone, pushed_serial, ctx);
  return absl::IsFailedPrecondition(st) ? absl::UnavailableError(st.message()) : st;
}

absl::Status ApiPusher::ServerHas(pdns::PdnsClient& client, const std::string& zone,
                                  uint32_t serial, const pdns::CallContext& ctx) {
  absl::StatusOr<pdns::ZoneInfo> now = client.GetZone(ctx, zone);
  if (absl::IsNotFound(now.status())) {
    return absl::FailedPreconditionError("the zone is gone from the server after the push");
  }
  if (!now.ok()) return now.status();
  if (SerialAtOrAfter(now->serial, serial)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "the server answers serial ", now->serial, " after the push of serial ", serial,
      " (an older request was applied late)"));
}

absl::Status ApiPusher::PushOnce(pdns::PdnsClient& client, const PropagationTask& task,
                                 const pdns::CallContext& ctx, bool* did_full_sync,
                                 uint32_t* pushed_serial) {
  *did_full_sync = false;
  *pushed_serial = 0;
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
    *did_full_sync = true;
    return FullSync(client, task, ctx, pushed_serial);
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
    *did_full_sync = true;
    return FullSync(client, task, ctx, pushed_serial);
  }
  if (st.ok()) *pushed_serial = SoaSerial(*current);
  return st;
}

absl::Status ApiPusher::FullSync(pdns::PdnsClient& client, const PropagationTask& task,
                                 const pdns::CallContext& ctx, uint32_t* pushed_serial) {
  *pushed_serial = 0;
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
  const uint32_t serial = SoaSerial(rrsets);
  absl::StatusOr<pdns::ZoneInfo> created = client.CreateZone(ctx, create);
  if (created.ok()) *pushed_serial = serial;
  if (created.ok() || !absl::IsAlreadyExists(created.status())) return created.status();

  // It exists: make it equal RRset by RRset, after the zone settings (kind,
  // masters, and soa_edit_api off so that PowerDNS keeps the truth's serial
  // instead of bumping its own on every PATCH).
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
  for (const RRset& rrset : rrsets) changes.push_back(RRsetChange{ChangeType::kReplace, rrset});
  absl::Status st = client.PatchRRsets(ctx, task.zone, changes);
  if (st.ok()) *pushed_serial = serial;
  return st;
}

}  // namespace dns
