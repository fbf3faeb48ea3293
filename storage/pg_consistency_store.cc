#include "storage/pg_consistency_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "storage/pg_records.h"
#include "storage/pg_audit.h"
#include "storage/pg_run.h"

namespace dns {
namespace {

using json = nlohmann::json;

PropagationState StateFromName(const std::string& state) {
  if (state == "IN_SYNC") return PropagationState::kInSync;
  if (state == "ERROR") return PropagationState::kError;
  return PropagationState::kPending;
}

json RRsetJson(const RRset& r) {
  json records = json::array();
  for (const Record& rec : r.records) records.push_back({{"c", rec.content}, {"d", rec.disabled}});
  return {{"n", r.name}, {"t", r.type}, {"ttl", r.ttl}, {"r", records}};
}

RRset RRsetFromJson(const json& j) {
  RRset r;
  r.name = j.value("n", "");
  r.type = j.value("t", "");
  r.ttl = j.value("ttl", 0u);
  for (const json& rec : j.value("r", json::array())) {
    r.records.push_back(Record{rec.value("c", ""), rec.value("d", false)});
  }
  return r;
}

std::string ResultJson(const ReconcileResult& result) {
  json actions = json::array();
  for (const ReconcileAction& a : result.actions) {
    json replace = json::array(), remove = json::array();
    for (const RRset& r : a.replace) replace.push_back(RRsetJson(r));
    for (const RRset& r : a.remove) remove.push_back(RRsetJson(r));
    actions.push_back({{"zone", a.zone}, {"type", static_cast<int>(a.type)},
                       {"truth", a.truth_serial}, {"theirs", a.server_serial},
                       {"replace", replace}, {"remove", remove}, {"reason", a.reason}});
  }
  return json{{"server", result.server},
              {"depth", static_cast<int>(result.depth)},
              {"actions", actions},
              {"total", result.actions_total},
              {"zones", result.zones_checked},
              {"event", result.event_id},
              {"request_id", result.request_id}}
      .dump();
}

ReconcileResult ResultFromJson(const std::string& text) {
  const json j = json::parse(text);
  ReconcileResult out;
  out.dry_run = false;
  out.server = j.value("server", "");
  out.depth = static_cast<ConsistencyDepth>(j.value("depth", 3));
  out.actions_total = j.value("total", int64_t{0});
  out.zones_checked = j.value("zones", int64_t{0});
  out.event_id = j.value("event", int64_t{0});
  out.request_id = j.value("request_id", "");
  for (const json& a : j.value("actions", json::array())) {
    ReconcileAction action;
    action.zone = a.value("zone", "");
    action.type = static_cast<ReconcileActionType>(a.value("type", 2));
    action.truth_serial = a.value("truth", 0u);
    action.server_serial = a.value("theirs", 0u);
    action.reason = a.value("reason", "");
    for (const json& r : a.value("replace", json::array())) action.replace.push_back(RRsetFromJson(r));
    for (const json& r : a.value("remove", json::array())) action.remove.push_back(RRsetFromJson(r));
    out.actions.push_back(std::move(action));
  }
  return out;
}

absl::Status ReusedId(const std::string& request_id) {
  return WithReason(absl::InvalidArgumentError(absl::StrCat(
                        "request_id ", request_id, " was used for another request")),
                    "REQUEST_ID_REUSED");
}

}  // namespace

absl::StatusOr<Page<ZoneSerial>> PgConsistencyStore::ListZoneSerials(const ConsistencyScope& scope,
                                                                     const std::string& after,
                                                                     int limit) {
  const std::string names = json(scope.zones).dump();
  const std::string prefix_end = absl::StrCat(scope.name_prefix, "\x7f");
  return RunPg<Page<ZoneSerial>>(
      *pool_, "ListZoneSerials", [&](pqxx::connection& conn) -> absl::StatusOr<Page<ZoneSerial>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_params(
            "SELECT name, serial FROM dnsv1.zones z WHERE z.name > $1"
            " AND ($2::jsonb = '[]'::jsonb OR z.name IN"
            "   (SELECT jsonb_array_elements_text($2::jsonb)))"
            " AND ($3 = '' OR (z.name >= $3 AND z.name < $4))"
            " AND ($5 = '' OR z.account = $5)"
            " ORDER BY z.name LIMIT $6",
            after, names, scope.name_prefix, prefix_end, scope.account, limit + 1);
        Page<ZoneSerial> page;
        for (const auto& r : rows) {
          if (static_cast<int>(page.items.size()) == limit) {
            page.more = true;
            break;
          }
          page.items.push_back({r[0].as<std::string>(), static_cast<uint32_t>(r[1].as<int64_t>())});
        }
        return page;
      });
}

absl::StatusOr<std::map<std::string, std::vector<RRset>>> PgConsistencyStore::GetRRsetsOfZones(
    const std::vector<std::string>& zones) {
  using Result = std::map<std::string, std::vector<RRset>>;
  const std::string names = json(zones).dump();
  return RunPg<Result>(*pool_, "GetRRsetsOfZones", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT z.name, r.name, r.type, r.content, r.ttl, r.prio, r.disabled"
        " FROM dnsv1.zones z JOIN records r ON r.domain_id = z.domain_id"
        " WHERE z.name IN (SELECT jsonb_array_elements_text($1::jsonb)) AND r.type IS NOT NULL"
        " ORDER BY z.name, r.name COLLATE \"C\", r.type COLLATE \"C\", r.id",
        names);
    Result out;
    // RRsetsFromRows reads one zone's consecutive rows: hand it each run.
    size_t begin = 0;
    for (size_t i = 1; i <= rows.size(); ++i) {
      if (i < rows.size() &&
          rows[i][0].as<std::string>() == rows[begin][0].as<std::string>()) {
        continue;
      }
      std::vector<RRset>& rrsets = out[rows[begin][0].as<std::string>()];
      for (RRset& r : RRsetsFromRows(rows, begin, i, 1)) rrsets.push_back(std::move(r));
      begin = i;
    }
    return out;
  });
}

absl::StatusOr<std::map<std::string, ZonePropagation>> PgConsistencyStore::GetServerPropagation(
    const std::string& server, const std::vector<std::string>& zones) {
  using Result = std::map<std::string, ZonePropagation>;
  const std::string names = json(zones).dump();
  return RunPg<Result>(*pool_, "GetServerPropagation", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT zs.zone, zs.state, zs.desired_serial, zs.applied_serial,"
        " (extract(epoch from COALESCE(zs.pending_since, zs.update_time)) * 1000000)::bigint,"
        " s.maintenance"
        " FROM dnsv1.zone_servers zs JOIN dnsv1.servers s ON s.name = zs.server"
        " WHERE zs.server = $1 AND zs.zone IN (SELECT jsonb_array_elements_text($2::jsonb))"
        " AND NOT zs.zone_deleted",
        server, names);
    Result out;
    for (const auto& r : rows) {
      ZonePropagation p;
      p.state = StateFromName(r[1].as<std::string>());
      if (p.state != PropagationState::kInSync && r[5].as<bool>()) {
        p.state = PropagationState::kSkipped;
      }
      p.desired_serial = static_cast<uint32_t>(r[2].as<int64_t>());
      p.applied_serial = static_cast<uint32_t>(r[3].as<int64_t>());
      if (p.state != PropagationState::kInSync) {
        p.pending_since = absl::FromUnixMicros(r[4].as<int64_t>());
      }
      out[r[0].as<std::string>()] = p;
    }
    return out;
  });
}

absl::StatusOr<std::vector<Drift>> PgConsistencyStore::ListDrifts(const std::string& server) {
  return RunPg<std::vector<Drift>>(*pool_, "ListDrifts", [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<Drift>> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT zone, kind, truth_serial, server_serial, detail FROM dnsv1.consistency_drifts"
        " WHERE server = $1 ORDER BY zone",
        server);
    std::vector<Drift> out;
    for (const auto& r : rows) {
      out.push_back({server, r[0].as<std::string>(), FindingKindFromName(r[1].as<std::string>()),
                     static_cast<uint32_t>(r[2].as<int64_t>()),
                     static_cast<uint32_t>(r[3].as<int64_t>()), r[4].as<std::string>()});
    }
    return out;
  });
}

absl::StatusOr<int> PgConsistencyStore::RecordDrifts(const std::string& server,
                                                     const std::vector<Drift>& found,
                                                     const std::vector<Drift>& resolved) {
  if (found.empty() && resolved.empty()) return 0;
  auto rows = [](const std::vector<Drift>& drifts) {
    json out = json::array();
    for (const Drift& d : drifts) {
      out.push_back({{"zone", d.zone},
                     {"kind", FindingKindName(d.kind)},
                     {"truth", d.truth_serial},
                     {"theirs", d.server_serial},
                     {"detail", d.detail}});
    }
    return out.dump();
  };
  const std::string gone = rows(resolved);
  const std::string added = rows(found);
  return RunPg<int>(*pool_, "RecordDrifts", [&](pqxx::connection& conn) -> absl::StatusOr<int> {
    pqxx::work txn(conn);
    // Set-based, one statement each: the events in zone order.
    const int64_t resolved_events = txn.exec_params1(
        "WITH gone AS (DELETE FROM dnsv1.consistency_drifts d"
        "   USING jsonb_to_recordset($2::jsonb) AS r(zone text, truth bigint, theirs bigint,"
        "     detail text)"
        "   WHERE d.server = $1 AND d.zone = r.zone"
        "   RETURNING d.zone, d.kind, r.truth, r.theirs, r.detail)"
        " SELECT count(dnsv1.add_consistency_event('DRIFT_RESOLVED', $1, zone, kind, truth,"
        "   theirs, detail, 0, ''))"
        " FROM (SELECT * FROM gone ORDER BY zone) g",
        server, gone)[0].as<int64_t>();
    const int64_t found_events = txn.exec_params1(
        "WITH added AS (INSERT INTO dnsv1.consistency_drifts"
        "   (server, zone, kind, truth_serial, server_serial, detail)"
        "   SELECT $1, r.zone, r.kind, r.truth, r.theirs, r.detail"
        "   FROM jsonb_to_recordset($2::jsonb) AS r(zone text, kind text, truth bigint,"
        "     theirs bigint, detail text)"
        "   ON CONFLICT (server, zone) DO NOTHING"
        "   RETURNING zone, kind, truth_serial, server_serial, detail)"
        " SELECT count(dnsv1.add_consistency_event('DRIFT_FOUND', $1, zone, kind, truth_serial,"
        "   server_serial, detail, 0, ''))"
        " FROM (SELECT * FROM added ORDER BY zone) a",
        server, added)[0].as<int64_t>();
    txn.commit();
    return static_cast<int>(resolved_events + found_events);
  });
}

absl::StatusOr<std::optional<ReconcileResult>> PgConsistencyStore::FindReconcile(
    const RequestKey& key) {
  using Result = std::optional<ReconcileResult>;
  if (key.request_id.empty()) return Result();
  return RunPg<Result>(*pool_, "FindReconcile", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
    pqxx::nontransaction txn(conn);
    pqxx::result row = txn.exec_params(
        "SELECT fingerprint, result::text FROM dnsv1.reconciles WHERE request_id = $1",
        key.request_id);
    if (row.empty()) return Result();
    if (row[0][0].as<std::string>() != key.fingerprint) return ReusedId(key.request_id);
    return Result(ResultFromJson(row[0][1].as<std::string>()));
  });
}

absl::StatusOr<ReconcileResult> PgConsistencyStore::ApplyReconcile(const ReconcileApply& apply) {
  const std::string sync = json(apply.sync_zones).dump();
  const std::string remove = json(apply.delete_zones).dump();
  return RunPg<ReconcileResult>(*pool_, "ApplyReconcile", [&](pqxx::connection& conn)
                                                              -> absl::StatusOr<ReconcileResult> {
    pqxx::work txn(conn);
    if (!apply.key.request_id.empty()) {
      // A twin with the same id waits here on the key until the first
      // commits, then answers its result.
      pqxx::result mine = txn.exec_params(
          "INSERT INTO dnsv1.reconciles (request_id, server, fingerprint, result)"
          " VALUES ($1, $2, $3, '{}') ON CONFLICT (request_id) DO NOTHING RETURNING 1",
          apply.key.request_id, apply.server, apply.key.fingerprint);
      if (mine.empty()) {
        pqxx::row first = txn.exec_params1(
            "SELECT fingerprint, result::text FROM dnsv1.reconciles WHERE request_id = $1",
            apply.key.request_id);
        if (first[0].as<std::string>() != apply.key.fingerprint) {
          return ReusedId(apply.key.request_id);
        }
        return ResultFromJson(first[1].as<std::string>());
      }
    }
    pqxx::result server = txn.exec_params(
        "SELECT 1 FROM dnsv1.servers WHERE name = $1 FOR SHARE", apply.server);
    if (server.empty()) {
      return WithReason(absl::NotFoundError(absl::StrCat("server ", apply.server,
                                                         " is not registered")),
                        "SERVER_NOT_FOUND");
    }
    // Whole pushes: a zone whose content drifted at an equal serial would
    // not be repaired by the journal's changes.
    txn.exec_params0(
        "INSERT INTO dnsv1.zone_servers AS zs (zone, server, desired_serial, full_sync,"
        "   pending_since)"
        " SELECT z.name, $1, z.serial, true, now() FROM dnsv1.zones z"
        " WHERE z.name IN (SELECT jsonb_array_elements_text($2::jsonb))"
        " ON CONFLICT (zone, server) DO UPDATE SET desired_serial = EXCLUDED.desired_serial,"
        "   zone_deleted = false, full_sync = true, state = 'PENDING', attempts = 0,"
        "   pending_since = COALESCE(zs.pending_since, now()),"
        "   next_attempt_time = now(), update_time = now()",
        apply.server, sync);
    // Extra zones: deletions, unless the truth has the zone by now.
    txn.exec_params0(
        "INSERT INTO dnsv1.zone_servers AS zs (zone, server, desired_serial, zone_deleted,"
        "   pending_since)"
        " SELECT n, $1, 0, true, now() FROM jsonb_array_elements_text($2::jsonb) AS n"
        " WHERE NOT EXISTS (SELECT 1 FROM dnsv1.zones z WHERE z.name = n)"
        " ON CONFLICT (zone, server) DO UPDATE SET zone_deleted = true, state = 'PENDING',"
        "   attempts = 0, pending_since = COALESCE(zs.pending_since, now()),"
        "   next_attempt_time = now(), update_time = now()",
        apply.server, remove);
    ReconcileResult result = apply.result;
    result.dry_run = false;
    result.event_id =
        txn.exec_params1("SELECT dnsv1.add_consistency_event('RECONCILE_APPLIED', $1, '', '', 0,"
                         " 0, $2, $3, $4)",
                         apply.server,
                         absl::StrCat(apply.sync_zones.size(), " zones pushed again, ",
                                      apply.delete_zones.size(), " extra zones deleted"),
                         apply.actions_total, apply.key.request_id)[0]
            .as<int64_t>();
    AuditRecord audit;
    audit.target = absl::StrCat("server ", apply.server);
    audit.details = json{{"zones_pushed", apply.sync_zones},
                         {"extra_zones_deleted", apply.delete_zones},
                         {"event_id", result.event_id}}
                        .dump();
    AppendAudit(txn, apply.key.origin, audit);
    if (!apply.key.request_id.empty()) {
      txn.exec_params0("UPDATE dnsv1.reconciles SET result = $2::jsonb WHERE request_id = $1",
                       apply.key.request_id, ResultJson(result));
      txn.exec0("DELETE FROM dnsv1.reconciles WHERE create_time < now() - interval '7 days'");
    }
    txn.commit();
    return result;
  });
}

}  // namespace dns
