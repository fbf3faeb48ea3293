#include "storage/pg_server_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"
#include "storage/pg_errors.h"
#include "storage/pg_audit.h"
#include "storage/pg_run.h"
#include "storage/pg_zone_store.h"
#include "common/status_details.h"

namespace dns {
namespace {

// Every column but api_key_sealed: reads that do not need the key never
// fetch it.
constexpr char kServerColumns[] =
    "s.name, s.api_url, s.dns_address, s.location, s.capacity_qps, s.mode, s.maintenance,"
    " s.status, s.version, s.last_error,"
    " (extract(epoch from s.last_check_time) * 1000000)::bigint, s.row_version,"
    " (extract(epoch from s.create_time) * 1000000)::bigint,"
    " (extract(epoch from s.update_time) * 1000000)::bigint,"
    " s.status_reason, array_to_json(s.active_alerts)::text";
constexpr int kSealedColumn = 16;  // appended by ListServersWithKeys

const char* ModeName(ServerMode mode) {
  return mode == ServerMode::kSharedDb ? "SHARED_DB" : "API";
}

Server ServerFromRow(const pqxx::row& row) {
  Server s;
  s.name = row[0].as<std::string>();
  s.api_url = row[1].as<std::string>();
  s.dns_address = row[2].as<std::string>();
  s.location = row[3].as<std::string>();
  s.capacity_qps = static_cast<uint32_t>(row[4].as<int64_t>());
  s.mode = row[5].as<std::string>() == "SHARED_DB" ? ServerMode::kSharedDb : ServerMode::kApi;
  s.maintenance = row[6].as<bool>();
  s.status = ServerStatusFromName(row[7].as<std::string>());
  s.version = row[8].as<std::string>();
  s.last_error = row[9].as<std::string>();
  s.last_check_time =
      row[10].is_null() ? absl::InfinitePast() : absl::FromUnixMicros(row[10].as<int64_t>());
  s.etag = FormatEtag(row[11].as<int64_t>());
  s.create_time = absl::FromUnixMicros(row[12].as<int64_t>());
  s.update_time = absl::FromUnixMicros(row[13].as<int64_t>());
  s.status_reason = row[14].as<std::string>();
  nlohmann::json alerts = nlohmann::json::parse(row[15].as<std::string>(), nullptr, false);
  if (alerts.is_array()) {
    for (const auto& a : alerts) {
      if (a.is_string()) s.active_alerts.push_back(a.get<std::string>());
    }
  }
  return s;
}

absl::Status ServerNotFound(const std::string& name) {
  return WithReason(absl::NotFoundError(absl::StrCat("server ", name, " is not registered")),
                    "SERVER_NOT_FOUND");
}

// A timestamp parameter: NULL for InfinitePast ("never").
std::optional<std::string> MicrosParam(absl::Time t) {
  if (t == absl::InfinitePast()) return std::nullopt;
  return absl::StrCat(absl::ToUnixMicros(t));
}

const char* OrNull(const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; }

bool Claim(pqxx::work& txn, const RequestKey& key, const char* method, const std::string& name) {
  // The server's name goes where zone writes put the zone.
  return txn
      .exec_params1("SELECT replayed FROM dnsv1.claim_request($1, $2, $3, $4)", key.request_id,
                    method, key.fingerprint, name)[0]
      .as<bool>();
}

// A status written here (maintenance, a registration's check) is a health
// event like one the monitor finds.
void NoteStatusChange(pqxx::work& txn, const std::string& name, const std::string& from,
                      const std::string& to, const std::string& reason) {
  if (from == to) return;
  txn.exec_params(
      "SELECT dnsv1.add_health_event(now(), 'STATUS_CHANGED', $1, $2, $3, $4, '', 0, 0)", name,
      from, to, reason);
}

void CompleteRequest(pqxx::work& txn, const RequestKey& key, int64_t version) {
  if (key.request_id.empty()) return;
  txn.exec_params0("UPDATE dnsv1.requests SET version = $2 WHERE request_id = $1",
                   key.request_id, version);
}

}  // namespace

PgServerStore::PgServerStore(std::shared_ptr<ConnectionPool> pool, SecretBox box)
    : pool_(std::move(pool)), box_(std::move(box)) {}


RequestKey PgServerStore::KeyWithSecret(const RequestKey& key, const std::string* api_key) const {
  if (key.request_id.empty()) return key;
  RequestKey out = key;
  // The fingerprint is stored in dnsv1.requests: only a keyed digest of the
  // API key goes there, never the key or a plain hash of it.
  absl::StrAppend(&out.fingerprint, ":k=", api_key ? box_.Digest(*api_key) : "-");
  return out;
}

absl::StatusOr<Server> PgServerStore::RegisterServer(const Server& server,
                                                     const RequestKey& request_key) {
  absl::StatusOr<std::string> sealed = box_.Seal(server.api_key);
  if (!sealed.ok()) return sealed.status();
  const RequestKey key = KeyWithSecret(request_key, &server.api_key);
  const std::optional<std::string> checked = MicrosParam(server.last_check_time);
  const ServerStatus status = server.maintenance ? ServerStatus::kMaintenance : server.status;
  absl::StatusOr<bool> done = RunPg<bool>(*pool_, "RegisterServer", [&](pqxx::connection& conn) {
    pqxx::work txn(conn);
    if (Claim(txn, key, "RegisterServer", server.name)) return true;
    txn.exec_params0(
        "INSERT INTO dnsv1.servers (name, api_url, api_key_sealed, dns_address, location,"
        " capacity_qps, mode, maintenance, status, version, last_error, last_check_time)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
        " to_timestamp($12::bigint / 1000000.0))",
        server.name, server.api_url, *sealed, server.dns_address, server.location,
        static_cast<int64_t>(server.capacity_qps), ModeName(server.mode), server.maintenance,
        ServerStatusName(status), server.version, server.last_error, OrNull(checked));
    // Every zone of the truth is pending on the new server (applied_serial 0:
    // an API server gets each zone created whole).
    txn.exec_params0(
        "INSERT INTO dnsv1.zone_servers (zone, server, desired_serial)"
        " SELECT name, $1, serial FROM dnsv1.zones",
        server.name);
    txn.exec("SELECT pg_notify('dnsv1_propagation', '')");
    AuditRecord audit;
    audit.target = absl::StrCat("server ", server.name);
    audit.details = nlohmann::json{{"api_url", server.api_url},
                                   {"dns_address", server.dns_address},
                                   {"location", server.location},
                                   {"capacity_qps", server.capacity_qps},
                                   {"mode", ModeName(server.mode)},
                                   {"maintenance", server.maintenance}}
                        .dump();
    AppendAudit(txn, request_key.origin, audit);
    CompleteRequest(txn, key, 1);
    txn.commit();
    return false;
  });
  if (!done.ok()) {
    if (absl::IsAlreadyExists(done.status())) {
      return WithReason(absl::AlreadyExistsError(
                            absl::StrCat("server ", server.name, " is already registered")),
                        "SERVER_ALREADY_EXISTS");
    }
    return done.status();
  }
  return GetServer(server.name);
}

absl::StatusOr<Server> PgServerStore::GetServer(const std::string& name) {
  return RunPg<Server>(*pool_, "GetServer", [&](pqxx::connection& conn) -> absl::StatusOr<Server> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT ", kServerColumns, " FROM dnsv1.servers s WHERE s.name = $1"), name);
    if (rows.empty()) return ServerNotFound(name);
    return ServerFromRow(rows[0]);
  });
}

absl::StatusOr<Page<Server>> PgServerStore::ListServers(const ServerFilter& filter,
                                                        const std::string& after_name,
                                                        int limit) {
  const std::string mode = filter.mode ? ModeName(*filter.mode) : "";
  return RunPg<Page<Server>>(*pool_, "ListServers", [&](pqxx::connection& conn) -> absl::StatusOr<Page<Server>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_params(
            absl::StrCat("SELECT ", kServerColumns,
                         " FROM dnsv1.servers s"
                         " WHERE ($1 = '' OR s.location = $1) AND ($2 = '' OR s.mode = $2)"
                         "   AND s.name > $3"
                         " ORDER BY s.name LIMIT $4"),
            filter.location, mode, after_name, limit + 1);
        Page<Server> page;
        for (const auto& row : rows) {
          if (static_cast<int>(page.items.size()) == limit) {
            page.more = true;
            break;
          }
          page.items.push_back(ServerFromRow(row));
        }
        return page;
      });
}

absl::StatusOr<Server> PgServerStore::UpdateServer(const std::string& name,
                                                   const ServerUpdate& update,
                                                   const std::string& expected_etag,
                                                   const RequestKey& request_key) {
  std::optional<int64_t> expected_version;
  if (!expected_etag.empty()) {
    absl::StatusOr<int64_t> version = ParseEtag(expected_etag);
    if (!version.ok()) return version.status();
    expected_version = *version;
  }
  std::optional<std::string> sealed;
  if (update.api_key) {
    absl::StatusOr<std::string> s = box_.Seal(*update.api_key);
    if (!s.ok()) return s.status();
    sealed = *std::move(s);
  }
  const RequestKey key =
      KeyWithSecret(request_key, update.api_key ? &*update.api_key : nullptr);
  std::optional<std::string> capacity;
  if (update.capacity_qps) capacity = absl::StrCat(*update.capacity_qps);
  std::optional<std::string> maintenance;
  if (update.maintenance) maintenance = *update.maintenance ? "true" : "false";
  const bool reaches_differently =
      update.api_url.has_value() || update.api_key.has_value() || update.dns_address.has_value();

  absl::StatusOr<bool> done = RunPg<bool>(*pool_, "UpdateServer", [&](pqxx::connection& conn)
                                                            -> absl::StatusOr<bool> {
    pqxx::work txn(conn);
    if (Claim(txn, key, "UpdateServer", name)) return true;
    pqxx::result current = txn.exec_params(
        "SELECT row_version, maintenance, status FROM dnsv1.servers WHERE name = $1 FOR UPDATE",
        name);
    if (current.empty()) return ServerNotFound(name);
    const int64_t version = current[0][0].as<int64_t>();
    const bool was_maintenance = current[0][1].as<bool>();
    if (expected_version && *expected_version != version) {
      return WithReason(absl::AbortedError(absl::StrCat(
                            "server ", name, " was changed since the given etag was read")),
                        "STALE_SERVER");
    }
    // In SET, the columns on the right still hold their old values.
    pqxx::row after = txn.exec_params1(
        "UPDATE dnsv1.servers SET"
        " api_url = COALESCE($2, api_url),"
        " api_key_sealed = COALESCE($3, api_key_sealed),"
        " dns_address = COALESCE($4, dns_address),"
        " location = COALESCE($5, location),"
        " capacity_qps = COALESCE($6::bigint, capacity_qps),"
        " maintenance = COALESCE($7::boolean, maintenance),"
        " status = CASE WHEN $7::boolean THEN 'MAINTENANCE'"
        "   WHEN NOT $7::boolean AND maintenance THEN 'UNSPECIFIED' ELSE status END,"
        " last_error = CASE WHEN NOT $7::boolean AND maintenance THEN '' ELSE last_error END,"
        " status_reason = CASE WHEN $7::boolean THEN 'in maintenance'"
        "   WHEN NOT $7::boolean AND maintenance THEN '' ELSE status_reason END,"
        " row_version = row_version + 1, update_time = now()"
        " WHERE name = $1 RETURNING status",
        name, OrNull(update.api_url), OrNull(sealed), OrNull(update.dns_address),
        OrNull(update.location), OrNull(capacity), OrNull(maintenance));
    NoteStatusChange(txn, name, current[0][2].as<std::string>(), after[0].as<std::string>(),
                     update.maintenance.value_or(false) ? "maintenance set by UpdateServer"
                                                        : "maintenance ended by UpdateServer");
    const bool leaves_maintenance =
        was_maintenance && update.maintenance.has_value() && !*update.maintenance;
    const bool in_maintenance = update.maintenance.value_or(was_maintenance);
    if (leaves_maintenance || (reaches_differently && !in_maintenance)) {
      // What waited (maintenance) or failed (old URL or key) is due now.
      txn.exec_params0(
          "UPDATE dnsv1.zone_servers SET next_attempt_time = now()"
          " WHERE server = $1 AND state <> 'IN_SYNC'",
          name);
      txn.exec("SELECT pg_notify('dnsv1_propagation', '')");
    }
    AuditRecord audit;
    audit.target = absl::StrCat("server ", name);
    nlohmann::json details = nlohmann::json::object();
    if (update.api_url) details["api_url"] = *update.api_url;
    if (update.api_key) details["api_key"] = "(changed)";
    if (update.dns_address) details["dns_address"] = *update.dns_address;
    if (update.location) details["location"] = *update.location;
    if (update.capacity_qps) details["capacity_qps"] = *update.capacity_qps;
    if (update.maintenance) details["maintenance"] = *update.maintenance;
    audit.details = details.dump();
    AppendAudit(txn, request_key.origin, audit);
    CompleteRequest(txn, key, version + 1);
    txn.commit();
    return false;
  });
  if (!done.ok()) return done.status();
  return GetServer(name);
}

absl::Status PgServerStore::DeregisterServer(const std::string& name,
                                             const WriteOrigin& origin) {
  return RunPg<bool>(*pool_, "DeregisterServer",
                   [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
                     pqxx::work txn(conn);
                     // zone_servers rows go with it (ON DELETE CASCADE).
                     pqxx::result r =
                         txn.exec_params("DELETE FROM dnsv1.servers WHERE name = $1", name);
                     if (r.affected_rows() == 0) return ServerNotFound(name);
                     txn.exec("SELECT pg_notify('dnsv1_propagation', '')");
                     AuditRecord audit;
                     audit.target = absl::StrCat("server ", name);
                     AppendAudit(txn, origin, audit);
                     txn.commit();
                     return true;
                   })
      .status();
}

absl::Status PgServerStore::RecordCheck(const std::string& name, const ServerCheck& check) {
  const std::optional<std::string> time =
      MicrosParam(check.time == absl::InfinitePast() || check.time == absl::Time()
                      ? absl::Now()
                      : check.time);
  return RunPg<bool>(*pool_, "RecordCheck",
                   [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
                     pqxx::work txn(conn);
                     pqxx::result before = txn.exec_params(
                         "SELECT status FROM dnsv1.servers WHERE name = $1 FOR UPDATE", name);
                     if (before.empty()) return ServerNotFound(name);
                     pqxx::row after = txn.exec_params1(
                         "UPDATE dnsv1.servers SET"
                         " status = CASE WHEN maintenance THEN 'MAINTENANCE' ELSE $2 END,"
                         " version = CASE WHEN $3 = '' THEN version ELSE $3 END,"
                         " last_error = $4, status_reason = $4,"
                         " down_streak = 0, bad_streak = 0, good_streak = 0, up_streak = 0,"
                         " last_check_time = to_timestamp($5::bigint / 1000000.0)"
                         " WHERE name = $1 RETURNING status",
                         name, ServerStatusName(check.status), check.version, check.last_error,
                         OrNull(time));
                     NoteStatusChange(txn, name, before[0][0].as<std::string>(),
                                      after[0].as<std::string>(), check.last_error);
                     txn.commit();
                     return true;
                   })
      .status();
}

absl::StatusOr<std::vector<Server>> PgServerStore::ListServersWithKeys() {
  absl::StatusOr<std::vector<std::pair<Server, std::string>>> rows =
      RunPg<std::vector<std::pair<Server, std::string>>>(
          *pool_, "ListServersWithKeys",
          [&](pqxx::connection& conn)
              -> absl::StatusOr<std::vector<std::pair<Server, std::string>>> {
            pqxx::nontransaction txn(conn);
            pqxx::result result = txn.exec(absl::StrCat(
                "SELECT ", kServerColumns, ", s.api_key_sealed FROM dnsv1.servers s"
                " ORDER BY s.name"));
            std::vector<std::pair<Server, std::string>> out;
            for (const auto& row : result) {
              out.emplace_back(ServerFromRow(row), row[kSealedColumn].as<std::string>());
            }
            return out;
          });
  if (!rows.ok()) return rows.status();
  std::vector<Server> servers;
  absl::Status first_error;
  for (auto& [server, sealed] : *rows) {
    absl::StatusOr<std::string> key = box_.Open(sealed);
    if (!key.ok()) {
      spdlog::error("server {}: {}", server.name, std::string(key.status().message()));
      if (first_error.ok()) {
        first_error = absl::Status(key.status().code(),
                                   absl::StrCat("server ", server.name, ": ",
                                                key.status().message()));
      }
      continue;
    }
    server.api_key = *std::move(key);
    servers.push_back(std::move(server));
  }
  if (servers.empty() && !first_error.ok()) {
    return WithReason(absl::FailedPreconditionError(first_error.message()), "SECRET_KEY_MISMATCH");
  }
  return servers;
}

absl::StatusOr<std::map<std::string, PropagationCounts>> PgServerStore::CountPropagation(
    const std::vector<std::string>& servers) {
  using Result = std::map<std::string, PropagationCounts>;
  const std::string names = nlohmann::json(servers).dump();
  return RunPg<Result>(*pool_, "CountPropagation", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
    pqxx::nontransaction txn(conn);
    // zone_servers_server_idx answers it from the index; a zone without a
    // row for a server (none so far) counts as pending there.
    pqxx::result rows = txn.exec_params(
        "SELECT s.name, s.maintenance, zs.state, count(zs.zone),"
        " (SELECT count(*) FROM dnsv1.zones)"
        " FROM dnsv1.servers s LEFT JOIN dnsv1.zone_servers zs"
        "   ON zs.server = s.name AND NOT zs.zone_deleted"
        " WHERE s.name IN (SELECT jsonb_array_elements_text($1::jsonb))"
        " GROUP BY s.name, s.maintenance, zs.state",
        names);
    Result out;
    std::map<std::string, int64_t> zones, rowed;
    for (const auto& r : rows) {
      const std::string server = r[0].as<std::string>();
      PropagationCounts& c = out[server];
      zones[server] = r[4].as<int64_t>();
      if (r[2].is_null()) continue;
      const std::string state = r[2].as<std::string>();
      const int64_t n = r[3].as<int64_t>();
      rowed[server] += n;
      if (state == "IN_SYNC") {
        c.in_sync += n;
      } else if (r[1].as<bool>()) {
        c.skipped += n;
      } else if (state == "ERROR") {
        c.error += n;
      } else {
        c.pending += n;
      }
    }
    for (auto& [server, c] : out) c.pending += std::max<int64_t>(0, zones[server] - rowed[server]);
    return out;
  });
}

}  // namespace dns
