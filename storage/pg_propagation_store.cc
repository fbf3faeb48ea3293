#include "storage/pg_propagation_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "storage/pg_errors.h"
#include "storage/pg_run.h"
#include "common/status_details.h"

namespace dns {
namespace {

using json = nlohmann::json;

PropagationState StateFromName(const std::string& state, bool maintenance) {
  if (state == "IN_SYNC") return PropagationState::kInSync;
  if (maintenance) return PropagationState::kSkipped;
  if (state == "ERROR") return PropagationState::kError;
  return PropagationState::kPending;
}

std::string IntervalText(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d), " milliseconds");
}

}  // namespace

void PgPropagationStore::PrepareProgressConnection(pqxx::connection& conn) {
  pqxx::nontransaction(conn).exec("SET synchronous_commit = off");
  PrepareConnection(conn);
}

namespace {

// A row as ServerPropagation, from kRowColumns starting at column `first`.
constexpr char kRowColumns[] =
    "zs.server, zs.state, (SELECT s.maintenance FROM dnsv1.servers s WHERE s.name = zs.server),"
    " zs.desired_serial, zs.applied_serial, zs.last_error, zs.attempts,"
    " (extract(epoch from zs.update_time) * 1000000)::bigint";

ServerPropagation RowFrom(const pqxx::row& row, int first = 0) {
  ServerPropagation p;
  p.server = row[first].as<std::string>();
  p.state = StateFromName(row[first + 1].as<std::string>(),
                          !row[first + 2].is_null() && row[first + 2].as<bool>());
  p.desired_serial = static_cast<uint32_t>(row[first + 3].as<int64_t>());
  p.applied_serial = static_cast<uint32_t>(row[first + 4].as<int64_t>());
  p.last_error = row[first + 5].as<std::string>();
  p.attempts = row[first + 6].as<int>();
  p.update_time = absl::FromUnixMicros(row[first + 7].as<int64_t>());
  return p;
}

}  // namespace

void PgPropagationStore::PrepareConnection(pqxx::connection& conn) {
  // The propagator's hot statements, planned once per connection.
  // Two claim statements, not one with "$4 = '' OR zone = $4": a generic
  // plan for the OR form cannot use the primary key, and the per-zone claim
  // (one per committed write) then walks every pending row.
  // The rows a claim may take: due, server not in maintenance, room left
  // for the server ($5: {server: room}, $6: the room of any other). A lease
  // ends when it runs out or when its owner is gone: every connection of a
  // replica carries application_name "dnsd-<instance>", and PostgreSQL
  // drops the sessions of a killed process at once, so its work is taken
  // over at the next claim instead of after the lease.
  // Both statements add when a row is due ($7 is the hold, see
  // ClaimRequest).
  constexpr char kDue[] =
      " FROM dnsv1.zone_servers zs2 JOIN dnsv1.servers s ON s.name = zs2.server"
      " WHERE zs2.state <> 'IN_SYNC'"
      "   AND (zs2.lease_until IS NULL OR zs2.lease_until < now()"
      "        OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE starts_with("
      "          a.application_name, left('dnsd-' || zs2.lease_owner, 63))))"
      "   AND NOT s.maintenance"
      "   AND COALESCE(($5::jsonb ->> zs2.server)::int, $6) > 0";
  constexpr char kClaimHead[] =
      "UPDATE dnsv1.zone_servers zs SET lease_until = now() + $2::interval, lease_owner = $3,"
      "   claim_seq = zs.claim_seq + 1, hold_until = now() + $7::interval FROM (";
  constexpr char kClaimTail[] =
      ") due WHERE zs.zone = due.zone AND zs.server = due.server"
      " RETURNING zs.zone, zs.server, zs.desired_serial, zs.applied_serial,"
      "   zs.zone_deleted, zs.full_sync, zs.attempts, zs.claim_seq";
  // The sweep: the oldest due rows, no more per server than its room.
  // SKIP LOCKED needs a plain select; the per-server cut is made above it.
  conn.prepare("claim_due", absl::StrCat(
      kClaimHead,
      "SELECT c.zone, c.server FROM ("
      "  SELECT l.zone, l.server, l.next_attempt_time,"
      "    row_number() OVER (PARTITION BY l.server ORDER BY l.next_attempt_time) AS rn"
      "  FROM (SELECT zs2.zone, zs2.server, zs2.next_attempt_time", kDue,
      "          AND zs2.next_attempt_time <= now() AND $4::text IS NULL"
      "        ORDER BY zs2.next_attempt_time LIMIT $1 * 4"
      "        FOR UPDATE OF zs2 SKIP LOCKED) l) c"
      " WHERE c.rn <= COALESCE(($5::jsonb ->> c.server)::int, $6)"
      " ORDER BY c.next_attempt_time LIMIT $1",
      kClaimTail));
  // The rows of zones commits kicked ($4: a JSON array of names), due or
  // urgent ($8: the zones whose writers wait).
  conn.prepare("claim_zones", absl::StrCat(
      kClaimHead, "SELECT zs2.zone, zs2.server", kDue,
      " AND zs2.zone = ANY (ARRAY(SELECT jsonb_array_elements_text($4::jsonb)))",
      " AND (zs2.next_attempt_time <= now()"
      "      OR zs2.zone = ANY (ARRAY(SELECT jsonb_array_elements_text($8::jsonb))))",
      " LIMIT $1 FOR UPDATE OF zs2 SKIP LOCKED", kClaimTail));
  // Outcomes are recorded only under the claim they were made under.
  conn.prepare("mark_applied", absl::StrCat(
      "UPDATE dnsv1.zone_servers zs SET applied_serial = $3, lease_until = NULL,"
      " lease_owner = NULL, attempts = 0, last_error = '', update_time = now(),"
      " full_sync = full_sync AND NOT ($4 AND desired_serial = $3),"
      " pending_since = CASE WHEN desired_serial = $3 AND NOT zone_deleted THEN NULL"
      "                      ELSE pending_since END,"
      " state = CASE WHEN desired_serial = $3 AND NOT zone_deleted THEN 'IN_SYNC'"
      "              ELSE 'PENDING' END,"
      // Newer changes wait for the claim's hold (unchanged when it has
      // passed: an unchanged indexed column keeps the update HOT).
      " next_attempt_time = CASE WHEN desired_serial <> $3 AND hold_until > now()"
      "                          THEN hold_until ELSE next_attempt_time END"
      " WHERE zone = $1 AND server = $2 AND claim_seq = $5 RETURNING ", kRowColumns));
  conn.prepare("mark_failed", absl::StrCat(
      "UPDATE dnsv1.zone_servers zs SET state = 'ERROR', last_error = $3,"
      " attempts = attempts + 1, lease_until = NULL, lease_owner = NULL, update_time = now(),"
      " next_attempt_time = now() + $4::interval, full_sync = full_sync OR $5"
      " WHERE zone = $1 AND server = $2 AND claim_seq = $6 RETURNING ", kRowColumns));
  conn.prepare("zone_propagation", absl::StrCat(
      "SELECT ", kRowColumns, " FROM dnsv1.zone_servers zs WHERE zs.zone = $1 ORDER BY zs.server"));
}

absl::StatusOr<std::vector<PropagationTask>> PgPropagationStore::ClaimDue(
    const ClaimRequest& request) {
  const std::string rooms = json(request.room.room).dump();
  const std::string urgent = json(request.urgent).dump();
  const std::vector<std::string>& zones = request.zones;
  return RunPg<std::vector<PropagationTask>>(
      *progress_pool_, "ClaimDue", [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<PropagationTask>> {
        pqxx::nontransaction txn(conn);
        // SKIP LOCKED: concurrent claimers take disjoint rows instead of
        // queueing behind each other.
        pqxx::result rows =
            !zones.empty()
                ? txn.exec_prepared("claim_zones", request.limit, IntervalText(request.lease),
                                    request.owner, json(zones).dump(), rooms,
                                    request.room.default_room, IntervalText(request.hold),
                                    urgent)
                : txn.exec_prepared("claim_due", request.limit, IntervalText(request.lease),
                                    request.owner, static_cast<const char*>(nullptr), rooms,
                                    request.room.default_room, IntervalText(request.hold));
        std::vector<PropagationTask> tasks;
        for (const auto& row : rows) {
          tasks.push_back(PropagationTask{
              row[0].as<std::string>(), row[1].as<std::string>(),
              static_cast<uint32_t>(row[2].as<int64_t>()),
              static_cast<uint32_t>(row[3].as<int64_t>()), row[4].as<bool>(), row[5].as<bool>(),
              row[6].as<int>(), row[7].as<int64_t>(), ""});
        }
        return tasks;
      });
}

absl::StatusOr<int64_t> PgPropagationStore::RenewLeases(const std::string& owner,
                                                        absl::Duration lease) {
  return RunPg<int64_t>(*progress_pool_, "RenewLeases",
                        [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
                          pqxx::nontransaction txn(conn);
                          pqxx::result done = txn.exec_params(
                              // A leased row is never IN_SYNC: the filter lets the
                              // pending index find the owner's rows.
                              "UPDATE dnsv1.zone_servers SET lease_until = now() + $2::interval"
                              " WHERE state <> 'IN_SYNC' AND lease_owner = $1"
                              "   AND lease_until IS NOT NULL",
                              owner, IntervalText(lease));
                          return static_cast<int64_t>(done.affected_rows());
                        });
}

absl::StatusOr<int64_t> PgPropagationStore::ReleaseAll(const std::string& owner) {
  return RunPg<int64_t>(*progress_pool_, "ReleaseAll",
                        [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
                          pqxx::nontransaction txn(conn);
                          pqxx::result done = txn.exec_params(
                              "UPDATE dnsv1.zone_servers SET lease_until = NULL, lease_owner = NULL,"
                              " next_attempt_time = now()"
                              " WHERE state <> 'IN_SYNC' AND lease_owner = $1",
                              owner);
                          return static_cast<int64_t>(done.affected_rows());
                        });
}

absl::StatusOr<std::optional<std::vector<RRsetKey>>> PgPropagationStore::ChangedSince(
    const std::string& zone, uint32_t after_serial) {
  using Result = std::optional<std::vector<RRsetKey>>;
  return RunPg<Result>(*pool_, "ChangedSince", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
    pqxx::nontransaction txn(conn);
    // The journal reaches back far enough when it still holds the batch
    // that produced after_serial (it is pruned oldest first, only below
    // every server's applied serial).
    pqxx::result rows = txn.exec_params(
        "SELECT serial, keys::text FROM dnsv1.zone_changes"
        " WHERE zone = $1 AND serial >= $2 ORDER BY id",
        zone, static_cast<int64_t>(after_serial));
    if (rows.empty() || rows[0][0].as<int64_t>() != after_serial) return Result();
    std::vector<RRsetKey> keys;
    for (size_t i = 1; i < rows.size(); ++i) {
      for (const auto& k : json::parse(rows[i][1].as<std::string>())) {
        RRsetKey key{k["n"].get<std::string>() + ".", k["t"].get<std::string>()};
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
      }
    }
    return Result(std::move(keys));
  });
}

absl::StatusOr<Recorded> PgPropagationStore::MarkApplied(const PropagationTask& task,
                                                         bool did_full_sync) {
  return RunPg<Recorded>(*progress_pool_, "MarkApplied", [&](pqxx::connection& conn) -> absl::StatusOr<Recorded> {
    Recorded out;
    if (!task.zone_deleted) {
      // One statement: its own transaction, no BEGIN/COMMIT round trips.
      pqxx::nontransaction txn(conn);
      pqxx::result row = txn.exec_prepared("mark_applied", task.zone, task.server,
                                           static_cast<int64_t>(task.desired_serial),
                                           did_full_sync, task.claim);
      if (row.empty()) {
        out.current = false;
        return out;
      }
      out.row = RowFrom(row[0]);
      out.more = out.row->state != PropagationState::kInSync &&
                 out.row->state != PropagationState::kSkipped;
      return out;
    }
    pqxx::work txn(conn);
    // Gone from the server; the row goes unless the zone came back since.
    pqxx::result gone = txn.exec_params(
        "DELETE FROM dnsv1.zone_servers WHERE zone = $1 AND server = $2 AND zone_deleted"
        " AND claim_seq = $3 RETURNING 1",
        task.zone, task.server, task.claim);
    if (!gone.empty()) {
      ServerPropagation p;
      p.server = task.server;
      p.state = PropagationState::kInSync;
      p.update_time = absl::Now();
      out.row = p;
    } else {
      pqxx::result back = txn.exec_params(
          absl::StrCat("UPDATE dnsv1.zone_servers zs SET lease_until = NULL, lease_owner = NULL,"
                       " applied_serial = 0, full_sync = true"
                       " WHERE zone = $1 AND server = $2 AND claim_seq = $3 RETURNING ",
                       kRowColumns),
          task.zone, task.server, task.claim);
      if (back.empty()) {
        out.current = false;
      } else {
        out.row = RowFrom(back[0]);
        out.more = true;
      }
    }
    txn.commit();
    return out;
  });
}

absl::StatusOr<Recorded> PgPropagationStore::MarkFailed(const PropagationTask& task,
                                                        const std::string& error,
                                                        absl::Duration retry_in,
                                                        bool need_full_sync) {
  return RunPg<Recorded>(*progress_pool_, "MarkFailed", [&](pqxx::connection& conn) -> absl::StatusOr<Recorded> {
    pqxx::nontransaction txn(conn);
    pqxx::result row = txn.exec_prepared("mark_failed", task.zone, task.server,
                                         error.substr(0, 1000), IntervalText(retry_in),
                                         need_full_sync, task.claim);
    Recorded out;
    if (row.empty()) {
      out.current = false;
    } else {
      out.row = RowFrom(row[0]);
    }
    return out;
  });
}

absl::Status PgPropagationStore::WakeServer(const std::string& server) {
  return RunPg<bool>(*progress_pool_, "WakeServer", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
           pqxx::nontransaction txn(conn);
           txn.exec_params0(
               "UPDATE dnsv1.zone_servers SET next_attempt_time = now()"
               " WHERE server = $1 AND state <> 'IN_SYNC' AND next_attempt_time > now()",
               server);
           return true;
         })
      .status();
}

absl::StatusOr<std::vector<ServerPropagation>> PgPropagationStore::GetPropagation(
    const std::string& zone) {
  return RunPg<std::vector<ServerPropagation>>(
      *pool_, "GetPropagation",
      [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<ServerPropagation>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_prepared("zone_propagation", zone);
        std::vector<ServerPropagation> out;
        for (const auto& row : rows) out.push_back(RowFrom(row));
        return out;
      });
}

absl::StatusOr<uint32_t> PgPropagationStore::RequestSync(const std::string& zone,
                                                         const std::vector<std::string>& servers) {
  const std::string names = json(servers).dump();
  return RunPg<uint32_t>(*pool_, "RequestSync", [&](pqxx::connection& conn) -> absl::StatusOr<uint32_t> {
    pqxx::work txn(conn);
    pqxx::result z = txn.exec_params("SELECT serial FROM dnsv1.zones WHERE name = $1", zone);
    if (z.empty()) {
      return WithReason(absl::NotFoundError(absl::StrCat("zone ", zone, " does not exist")),
                        "ZONE_NOT_FOUND");
    }
    const int64_t serial = z[0][0].as<int64_t>();
    pqxx::result unknown = txn.exec_params(
        "SELECT n FROM jsonb_array_elements_text($1::jsonb) AS n"
        " WHERE n NOT IN (SELECT name FROM dnsv1.servers) LIMIT 1",
        names);
    if (!unknown.empty()) {
      return WithReason(absl::NotFoundError(absl::StrCat(
                            "server ", unknown[0][0].as<std::string>(), " is not registered")),
                        "SERVER_NOT_FOUND");
    }
    // A forced sync re-checks the whole zone: servers may have drifted.
    txn.exec_params0(
        "INSERT INTO dnsv1.zone_servers AS zs (zone, server, desired_serial, full_sync,"
        "   pending_since)"
        " SELECT $1, s.name, $2, true, now() FROM dnsv1.servers s"
        " WHERE $3::jsonb = '[]'::jsonb OR s.name IN (SELECT jsonb_array_elements_text($3::jsonb))"
        " ON CONFLICT (zone, server) DO UPDATE SET desired_serial = EXCLUDED.desired_serial,"
        "   zone_deleted = false, full_sync = true, state = 'PENDING', attempts = 0,"
        "   pending_since = COALESCE(zs.pending_since, now()),"
        "   next_attempt_time = now(), update_time = now()",
        zone, serial, names);
    txn.commit();
    return static_cast<uint32_t>(serial);
  });
}

absl::StatusOr<int64_t> PgPropagationStore::PruneJournal(absl::Duration horizon) {
  return RunPg<int64_t>(*progress_pool_, "PruneJournal", [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
    pqxx::nontransaction txn(conn);
    // Keep the entry at each server's applied serial: ChangedSince needs it
    // as the anchor. Past the horizon that no longer holds: a server so far
    // behind gets the whole zone (ChangedSince finds no anchor).
    pqxx::result done = txn.exec_params(
        "DELETE FROM dnsv1.zone_changes zc WHERE zc.create_time < now() - $1::interval"
        " OR zc.serial < (SELECT min(zs.applied_serial) FROM dnsv1.zone_servers zs"
        "                 WHERE zs.zone = zc.zone)"
        " OR NOT EXISTS (SELECT 1 FROM dnsv1.zone_servers zs WHERE zs.zone = zc.zone)",
        IntervalText(horizon));
    return static_cast<int64_t>(done.affected_rows());
  });
}

absl::StatusOr<std::vector<PropagationStore::Backlog>> PgPropagationStore::PendingByServer() {
  return RunPg<std::vector<Backlog>>(*pool_, "PendingByServer", [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<Backlog>> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec(
        "SELECT s.name, count(zs.zone),"
        " COALESCE(extract(epoch from now() - min(zs.pending_since)), 0)::float8"
        " FROM dnsv1.servers s LEFT JOIN dnsv1.zone_servers zs"
        "   ON zs.server = s.name AND zs.state <> 'IN_SYNC'"
        " GROUP BY s.name ORDER BY s.name");
    std::vector<Backlog> out;
    for (const auto& row : rows) {
      out.push_back(Backlog{row[0].as<std::string>(), row[1].as<int64_t>(),
                            absl::Seconds(row[2].as<double>())});
    }
    return out;
  });
}

}  // namespace dns
