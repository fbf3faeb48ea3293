#include "storage/pg_zone_store.h"

#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json_text.h"
#include "nlohmann/json.hpp"
#include "storage/pg_audit.h"
#include "storage/pg_errors.h"
#include "storage/pg_records.h"
#include "storage/pg_run.h"
#include "common/status_details.h"

namespace dns {
namespace {

using json = nlohmann::json;

constexpr char kZoneColumns[] =
    "z.name, z.kind, z.account, z.customer_id, z.hosting_service_id,"
    " array_to_json(z.nameservers)::text, array_to_json(z.masters)::text,"
    " z.labels::text, z.serial, z.version,"
    " (extract(epoch from z.create_time) * 1000000)::bigint,"
    " (extract(epoch from z.update_time) * 1000000)::bigint";

// The types of the columns above, as NULLs: a row that carries none of them.
constexpr char kNoZoneColumns[] =
    "NULL::int, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,"
    " NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint";

const char* KindName(ZoneKind kind) {
  switch (kind) {
    case ZoneKind::kMaster:
      return "MASTER";
    case ZoneKind::kSlave:
      return "SLAVE";
    case ZoneKind::kNative:
      break;
  }
  return "NATIVE";
}

ZoneKind KindFromName(absl::string_view name) {
  if (name == "MASTER") return ZoneKind::kMaster;
  if (name == "SLAVE") return ZoneKind::kSlave;
  return ZoneKind::kNative;
}

std::string MastersText(const std::vector<std::string>& masters) {
  return absl::StrJoin(masters, ",");
}

// kZoneColumns, starting at column `first` of the row.
// A state's name as an SQL literal (from the enum: no quoting needed).
std::string StateLiteral(PropagationState state) {
  switch (state) {
    case PropagationState::kInSync:
      return "'IN_SYNC'";
    case PropagationState::kError:
      return "'ERROR'";
    case PropagationState::kSkipped:
      return "'SKIPPED'";
    case PropagationState::kPending:
      break;
  }
  return "'PENDING'";
}

Zone ZoneFromRow(const pqxx::row& row, int first = 0) {
  auto col = [&](int i) { return row[first + i]; };
  Zone zone;
  zone.name = col(0).as<std::string>();
  zone.kind = KindFromName(col(1).as<std::string>());
  zone.account = col(2).as<std::string>();
  zone.customer_id = col(3).as<std::string>();
  zone.hosting_service_id = col(4).as<std::string>();
  zone.nameservers = json::parse(col(5).as<std::string>()).get<std::vector<std::string>>();
  zone.masters = json::parse(col(6).as<std::string>()).get<std::vector<std::string>>();
  zone.labels = json::parse(col(7).as<std::string>()).get<std::map<std::string, std::string>>();
  zone.serial = static_cast<uint32_t>(col(8).as<int64_t>());
  zone.etag = FormatEtag(col(9).as<int64_t>());
  zone.create_time = absl::FromUnixMicros(col(10).as<int64_t>());
  zone.update_time = absl::FromUnixMicros(col(11).as<int64_t>());
  return zone;
}

absl::Status ZoneNotFound(const std::string& name) { return ZoneNotFoundError(name); }

// A zone's attributes in its audit entry.
json ZoneDetails(const Zone& zone) {
  return {{"kind", KindName(zone.kind)}, {"account", zone.account},
          {"customer_id", zone.customer_id}, {"hosting_service_id", zone.hosting_service_id},
          {"nameservers", zone.nameservers}, {"masters", zone.masters}, {"labels", zone.labels}};
}

// The attributes an UpdateZone set (unset ones are left out).
json UpdateDetails(const ZoneUpdate& update) {
  json j = json::object();
  if (update.kind) j["kind"] = KindName(*update.kind);
  if (update.account) j["account"] = *update.account;
  if (update.customer_id) j["customer_id"] = *update.customer_id;
  if (update.hosting_service_id) j["hosting_service_id"] = *update.hosting_service_id;
  if (update.masters) j["masters"] = *update.masters;
  if (update.labels) j["labels"] = *update.labels;
  if (update.nameservers) j["nameservers"] = *update.nameservers;
  return j;
}

absl::Status StaleEtag(const std::string& name) {
  return WithReason(
      absl::AbortedError(absl::StrCat("zone ", name,
                                      " was changed since the given etag was read")),
      "STALE_ZONE");
}

// Parses the optional etag of a request; nullopt when none was given.
absl::StatusOr<std::optional<int64_t>> ExpectedVersion(const Expectations& expect) {
  if (expect.etag.empty()) return std::nullopt;
  absl::StatusOr<int64_t> version = ParseEtag(expect.etag);
  if (!version.ok()) return version.status();
  return *version;
}

struct ClaimResult {
  bool replayed = false;
};

ClaimResult Claim(pqxx::work& txn, const RequestKey& key, const char* method,
                  const std::string& zone) {
  pqxx::row row = txn.exec_params1(
      "SELECT replayed FROM dnsv1.claim_request($1, $2, $3, $4)", key.request_id, method,
      key.fingerprint, zone);
  return ClaimResult{row[0].as<bool>()};
}

void CompleteRequest(pqxx::work& txn, const RequestKey& key, int64_t serial,
                     int64_t version) {
  if (key.request_id.empty()) return;
  txn.exec_params0("UPDATE dnsv1.requests SET serial = $2, version = $3 WHERE request_id = $1",
                   key.request_id, serial, version);
}

}  // namespace

std::string FormatEtag(int64_t version) { return absl::StrCat("v", version); }

absl::StatusOr<int64_t> ParseEtag(const std::string& etag) {
  absl::string_view text = etag;
  int64_t version = 0;
  if (!absl::ConsumePrefix(&text, "v") || !absl::SimpleAtoi(text, &version)) {
    return InvalidField("etag", absl::StrCat("'", etag, "' is not an etag this service issued"));
  }
  return version;
}

PgZoneStore::PgZoneStore(std::shared_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

void PgZoneStore::PrepareConnection(pqxx::connection& conn) {
  conn.prepare("change_rrsets",
               "SELECT serial, version, replayed FROM dnsv1.change_rrsets("
               "$1, $2::jsonb, $3::jsonb, $4::bigint, $5::bigint, $6::bigint, $7, $8)");
  conn.prepare("change_rrsets_audited",
               "SELECT serial, version, replayed FROM dnsv1.change_rrsets_audited("
               "$1, $2::jsonb, $3::jsonb, $4::bigint, $5::bigint, $6, $7, $8::jsonb)");
  conn.prepare("get_zone", absl::StrCat("SELECT ", kZoneColumns,
                                        " FROM dnsv1.zones z WHERE z.name = $1"));
  conn.prepare("zone_id", "SELECT domain_id FROM dnsv1.zones WHERE name = $1");
  // By zone name in one statement (one snapshot, one round trip): the
  // propagator reads a whole zone for every full sync.
  conn.prepare("zone_records_by_name",
               "SELECT r.name, r.type, r.content, r.ttl, r.prio, r.disabled"
               " FROM dnsv1.zones z JOIN records r ON r.domain_id = z.domain_id"
               " WHERE z.name = $1 AND r.type IS NOT NULL"
               " ORDER BY r.name COLLATE \"C\", r.type COLLATE \"C\", r.id");
  // Records first (as RRsetsFromRows reads them), then the zone's columns,
  // computed once (the CTE; repeated on every row, read from the first): a full push and
  // GetZone FULL in one statement, one snapshot.
  // The zone's columns come once, in the first row (the record columns
  // NULL there), not on every record's row: for a zone of 100,000 RRsets
  // repeating them cost dnsd some 70 MB of result buffers per read.
  conn.prepare("zone_with_records",
               absl::StrCat("WITH z AS MATERIALIZED (SELECT z.domain_id, ", kZoneColumns,
                            " FROM dnsv1.zones z WHERE z.name = $1)"
                            " SELECT * FROM ("
                            "  SELECT r.name AS n, r.type AS t, r.content, r.ttl, r.prio, r.disabled,"
                            "   r.id AS i, ", kNoZoneColumns,
                            "  FROM z JOIN records r ON r.domain_id = z.domain_id"
                            "  WHERE r.type IS NOT NULL"
                            "  UNION ALL"
                            "  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, z.* FROM z) u"
                            " ORDER BY u.n COLLATE \"C\" NULLS FIRST, u.t COLLATE \"C\", u.i"));
  // The RRsets a coalesced PATCH sends, by zone name and [{"n","t"}] keys.
  conn.prepare("zone_rrsets_by_key",
               "SELECT r.name, r.type, r.content, r.ttl, r.prio, r.disabled"
               " FROM dnsv1.zones z JOIN records r ON r.domain_id = z.domain_id"
               " JOIN (SELECT DISTINCT n, t FROM jsonb_to_recordset($2::jsonb) AS k(n TEXT, t TEXT)) k"
               " ON r.name = k.n AND r.type = k.t"
               " WHERE z.name = $1"
               " ORDER BY r.name COLLATE \"C\", r.type COLLATE \"C\", r.id");
}


absl::Status PgZoneStore::Ping(absl::Time deadline) {
  absl::Status status;
  // A second try gets a fresh connection when the first found a broken one
  // (the database restarted since it was opened).
  for (int attempt = 0; attempt < 2; ++attempt) {
    absl::StatusOr<ConnectionPool::Lease> lease = pool_->Acquire(deadline);
    if (!lease.ok()) return lease.status();
    status = GuardPg("ping", [&]() -> absl::Status {
      pqxx::nontransaction txn(**lease);
      txn.exec("SELECT 1");
      return absl::OkStatus();
    });
    if (status.ok()) return status;
    lease->Discard();
  }
  return status;
}

absl::StatusOr<Zone> PgZoneStore::CreateZone(const NewZone& nz, const RequestKey& key) {
  const Zone& zone = nz.zone;
  absl::StatusOr<bool> replayed = RunPg<bool>(*pool_, "CreateZone", [&](pqxx::connection& conn) {
    pqxx::work txn(conn);
    if (Claim(txn, key, "CreateZone", zone.name).replayed) return true;
    // The serial rule lives in SQL (dnsv1.next_serial): a new zone starts at
    // the date, an imported one keeps its file's serial when that is ahead.
    const int64_t serial =
        txn.exec_params1("SELECT dnsv1.next_serial($1, now())",
                         static_cast<int64_t>(std::max<uint32_t>(zone.serial, 1) - 1))[0]
            .as<int64_t>();
    int domain_id =
        txn.exec_params1(
               "INSERT INTO domains (name, type, master, account)"
               " VALUES ($1, $2, NULLIF($3, ''), NULLIF(left($4, 40), '')) RETURNING id",
               Bare(zone.name), KindName(zone.kind), MastersText(zone.masters), zone.account)[0]
            .as<int>();
    txn.exec_params0(
        "INSERT INTO dnsv1.zones (domain_id, name, kind, account, customer_id,"
        " hosting_service_id, nameservers, masters, labels, serial)"
        " VALUES ($1, $2, $3, $4, $5, $6,"
        " ARRAY(SELECT jsonb_array_elements_text($7::jsonb)),"
        " ARRAY(SELECT jsonb_array_elements_text($8::jsonb)), $9::jsonb, $10)",
        domain_id, zone.name, KindName(zone.kind), zone.account, zone.customer_id,
        zone.hosting_service_id, json(zone.nameservers).dump(), json(zone.masters).dump(),
        json(zone.labels).dump(), serial);
    txn.exec_params0(
        "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)"
        " SELECT $1, i.n, i.t, i.c, i.ttl, i.p, i.d, true FROM jsonb_to_recordset($2::jsonb)"
        " AS i(n TEXT, t TEXT, c TEXT, ttl INT, p INT, d BOOLEAN)",
        domain_id, RecordRows(nz.rrsets));
    txn.exec_params0(
        "UPDATE records SET content = regexp_replace(content, '^(\\S+\\s+\\S+\\s+)\\d+', '\\1' || $2)"
        " WHERE domain_id = $1 AND type = 'SOA'",
        domain_id, serial);
    txn.exec_params("SELECT dnsv1.rectify_auth($1, $2, true)", domain_id, Bare(zone.name));
    // A new zone: every server gets it whole (applied_serial 0 → create);
    // the journal entry anchors later incremental pushes.
    txn.exec_params(
        "INSERT INTO dnsv1.zone_changes (zone, serial, keys)"
        " SELECT $1, $2, '[]' WHERE EXISTS (SELECT 1 FROM dnsv1.servers)",
        zone.name, serial);
    txn.exec_params("SELECT dnsv1.enqueue_propagation($1, $2, false, true)", zone.name, serial);
    AuditRecord audit;
    audit.zone = zone.name;
    audit.account = zone.account;
    audit.serial_after = serial;
    audit.rows_after =
        txn.exec_params1("SELECT dnsv1.zone_rows($1)::text", domain_id)[0].as<std::string>();
    audit.details = ZoneDetails(zone).dump();
    AppendAudit(txn, key.origin, audit);
    CompleteRequest(txn, key, serial, 1);
    txn.commit();
    return false;
  });
  if (!replayed.ok()) {
    if (absl::IsAlreadyExists(replayed.status())) {
      return WithReason(
          absl::AlreadyExistsError(absl::StrCat("zone ", zone.name, " already exists")),
          "ZONE_ALREADY_EXISTS");
    }
    return replayed.status();
  }
  return GetZone(zone.name);
}

absl::StatusOr<Zone> PgZoneStore::GetZone(const std::string& name) {
  return RunPg<Zone>(*pool_, "GetZone", [&](pqxx::connection& conn) -> absl::StatusOr<Zone> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_prepared("get_zone", name);
    if (rows.empty()) return ZoneNotFound(name);
    return ZoneFromRow(rows[0]);
  });
}

absl::StatusOr<Page<Zone>> PgZoneStore::ListZones(const ZoneFilter& filter,
                                                  const std::string& after_name, int limit) {
  std::vector<std::string> params;
  std::string where = "TRUE";
  std::string sql;
  auto param = [&](std::string value) {
    params.push_back(std::move(value));
    return absl::StrCat("$", params.size());
  };
  if (!filter.account.empty()) absl::StrAppend(&where, " AND z.account = ", param(filter.account));
  if (!filter.accounts_any.empty()) {
    absl::StrAppend(&where, " AND z.account = ANY (ARRAY(SELECT jsonb_array_elements_text(",
                    param(nlohmann::json(filter.accounts_any).dump()), "::jsonb)))");
  }
  if (!filter.customer_id.empty()) {
    absl::StrAppend(&where, " AND z.customer_id = ", param(filter.customer_id));
  }
  if (!filter.hosting_service_id.empty()) {
    absl::StrAppend(&where, " AND z.hosting_service_id = ", param(filter.hosting_service_id));
  }
  if (!filter.name_prefix.empty()) {
    // A range instead of LIKE: no escaping of % and _, and it uses the index.
    absl::StrAppend(&where, " AND z.name >= ", param(filter.name_prefix), " AND z.name < ",
                    param(absl::StrCat(filter.name_prefix, "\x7f")));
  }
  if (!after_name.empty()) absl::StrAppend(&where, " AND z.name > ", param(after_name));
  std::string from = "dnsv1.zones z";
  std::string extra;
  if (!filter.server.empty()) {
    // A zone without a row for the server has never been pushed there.
    const std::string server = param(filter.server);
    from = absl::StrCat(
        "dnsv1.zones z CROSS JOIN (SELECT maintenance FROM dnsv1.servers WHERE name = ", server,
        ") s LEFT JOIN dnsv1.zone_servers zs ON zs.zone = z.name AND zs.server = ", server);
    const std::string state =
        "CASE WHEN zs.zone IS NULL THEN 'PENDING'"
        " WHEN zs.state <> 'IN_SYNC' AND s.maintenance THEN 'SKIPPED' ELSE zs.state END";
    extra = absl::StrCat(", ", state,
                         ", COALESCE(zs.desired_serial, z.serial), COALESCE(zs.applied_serial, 0),"
                         " COALESCE(zs.last_error, ''), COALESCE(zs.attempts, 0),"
                         " (extract(epoch from COALESCE(zs.update_time, z.update_time))"
                         " * 1000000)::bigint");
    if (!filter.states.empty()) {
      std::vector<std::string> names;
      for (PropagationState st : filter.states) names.push_back(StateLiteral(st));
      absl::StrAppend(&where, " AND (", state, ") IN (", absl::StrJoin(names, ", "), ")");
    }
  }
  sql = absl::StrCat("SELECT ", kZoneColumns, extra, " FROM ", from, " WHERE ", where,
                     " ORDER BY z.name LIMIT ", limit + 1);
  return RunPg<Page<Zone>>(*pool_, "ListZones", [&](pqxx::connection& conn) -> absl::StatusOr<Page<Zone>> {
    pqxx::nontransaction txn(conn);
    if (!filter.server.empty() &&
        txn.exec_params("SELECT 1 FROM dnsv1.servers WHERE name = $1", filter.server).empty()) {
      return WithReason(absl::NotFoundError(absl::StrCat("server ", filter.server,
                                                         " is not registered")),
                        "SERVER_NOT_FOUND");
    }
    pqxx::result rows = txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    Page<Zone> page;
    for (const auto& row : rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.more = true;
        break;
      }
      page.items.push_back(ZoneFromRow(row));
      if (!filter.server.empty()) {
        constexpr int kFirst = 12;  // after kZoneColumns
        ServerPropagation p;
        p.server = filter.server;
        const std::string state = row[kFirst].as<std::string>();
        p.state = state == "IN_SYNC"   ? PropagationState::kInSync
                  : state == "ERROR"   ? PropagationState::kError
                  : state == "SKIPPED" ? PropagationState::kSkipped
                                       : PropagationState::kPending;
        p.desired_serial = static_cast<uint32_t>(row[kFirst + 1].as<int64_t>());
        p.applied_serial = static_cast<uint32_t>(row[kFirst + 2].as<int64_t>());
        p.last_error = row[kFirst + 3].as<std::string>();
        p.attempts = row[kFirst + 4].as<int>();
        p.update_time = absl::FromUnixMicros(row[kFirst + 5].as<int64_t>());
        page.items.back().propagation.push_back(std::move(p));
      }
    }
    return page;
  });
}

absl::StatusOr<Zone> PgZoneStore::UpdateZone(const std::string& name, const ZoneUpdate& update,
                                             const Expectations& expect,
                                             const RequestKey& key) {
  absl::StatusOr<std::optional<int64_t>> expected_version = ExpectedVersion(expect);
  if (!expected_version.ok()) return expected_version.status();
  absl::StatusOr<bool> done = RunPg<bool>(*pool_, "UpdateZone", [&](pqxx::connection& conn)
                                                          -> absl::StatusOr<bool> {
    pqxx::work txn(conn);
    if (Claim(txn, key, "UpdateZone", name).replayed) return true;
    pqxx::result current = txn.exec_params(
        "SELECT domain_id, version, serial, account FROM dnsv1.zones WHERE name = $1 FOR UPDATE",
        name);
    if (current.empty()) return ZoneNotFound(name);
    int domain_id = current[0][0].as<int>();
    int64_t version = current[0][1].as<int64_t>();
    int64_t serial = current[0][2].as<int64_t>();
    AuditRecord audit;
    audit.zone = name;
    audit.account = current[0][3].as<std::string>();
    audit.serial_before = serial;
    if (*expected_version && **expected_version != version) return StaleEtag(name);

    auto text_or_null = [](const std::optional<std::string>& v) -> const char* {
      return v ? v->c_str() : nullptr;
    };
    std::optional<std::string> kind;
    if (update.kind) kind = KindName(*update.kind);
    std::optional<std::string> masters_json, labels_json, masters_text;
    if (update.masters) {
      masters_json = json(*update.masters).dump();
      masters_text = MastersText(*update.masters);
    }
    if (update.labels) labels_json = json(*update.labels).dump();
    if (update.nameservers) {
      serial = txn.exec_params1("SELECT dnsv1.next_serial($1, now())", serial)[0].as<int64_t>();
      std::string apex = Bare(name);
      pqxx::result ttl = txn.exec_params(
          "SELECT min(ttl) FROM records WHERE domain_id = $1 AND name = $2 AND type = 'NS'",
          domain_id, apex);
      int ns_ttl = (ttl.empty() || ttl[0][0].is_null()) ? 3600 : ttl[0][0].as<int>();
      txn.exec_params0("DELETE FROM records WHERE domain_id = $1 AND name = $2 AND type = 'NS'",
                       domain_id, apex);
      RRset ns{name, "NS", static_cast<uint32_t>(ns_ttl), {}};
      for (const auto& host : *update.nameservers) ns.records.push_back(Record{host, false});
      txn.exec_params0(
          "INSERT INTO records (domain_id, name, type, content, ttl, prio, disabled, auth)"
          " SELECT $1, i.n, i.t, i.c, i.ttl, i.p, i.d, true FROM jsonb_to_recordset($2::jsonb)"
          " AS i(n TEXT, t TEXT, c TEXT, ttl INT, p INT, d BOOLEAN)",
          domain_id, RecordRows({ns}));
      // MNAME is the first nameserver; the serial is the SOA's third field.
      txn.exec_params0(
          "UPDATE records SET content = regexp_replace(content, '^\\S+(\\s+\\S+\\s+)\\d+',"
          " $2 || '\\1' || $3) WHERE domain_id = $1 AND type = 'SOA'",
          domain_id, update.nameservers->front(), serial);
    }
    std::optional<std::string> nameservers_json;
    if (update.nameservers) nameservers_json = json(*update.nameservers).dump();
    txn.exec_params0(
        "UPDATE dnsv1.zones SET"
        " kind = COALESCE($2, kind), account = COALESCE($3, account),"
        " customer_id = COALESCE($4, customer_id),"
        " hosting_service_id = COALESCE($5, hosting_service_id),"
        " masters = COALESCE(ARRAY(SELECT jsonb_array_elements_text($6::jsonb)), masters),"
        " labels = COALESCE($7::jsonb, labels),"
        " nameservers = CASE WHEN $8::jsonb IS NULL THEN nameservers"
        "   ELSE ARRAY(SELECT jsonb_array_elements_text($8::jsonb)) END,"
        " serial = $9, version = version + 1, update_time = now()"
        " WHERE domain_id = $1",
        domain_id, text_or_null(kind), text_or_null(update.account),
        text_or_null(update.customer_id), text_or_null(update.hosting_service_id),
        text_or_null(masters_json), text_or_null(labels_json), text_or_null(nameservers_json),
        serial);
    txn.exec_params0(
        "UPDATE domains SET type = COALESCE($2, type),"
        " master = CASE WHEN $3::text IS NULL THEN master ELSE NULLIF($3, '') END,"
        " account = CASE WHEN $4::text IS NULL THEN account ELSE NULLIF(left($4, 40), '') END"
        " WHERE id = $1",
        domain_id, text_or_null(kind), text_or_null(masters_text),
        text_or_null(update.account));
    if (update.nameservers) {
      json keys = json::array({{{"n", Bare(name)}, {"t", "NS"}}, {{"n", Bare(name)}, {"t", "SOA"}}});
      txn.exec_params(
          "INSERT INTO dnsv1.zone_changes (zone, serial, keys)"
          " SELECT $1, $2, $3::jsonb WHERE EXISTS (SELECT 1 FROM dnsv1.servers)",
          name, serial, keys.dump());
    }
    if (update.nameservers || update.kind || update.masters) {
      // Kind and masters live on the zone object, not in RRsets.
      txn.exec_params("SELECT dnsv1.enqueue_propagation($1, $2, false, $3)", name, serial,
                      update.kind.has_value() || update.masters.has_value());
    }
    audit.serial_after = serial;
    audit.details = UpdateDetails(update).dump();
    AppendAudit(txn, key.origin, audit);
    CompleteRequest(txn, key, serial, version + 1);
    txn.commit();
    return false;
  });
  if (!done.ok()) return done.status();
  return GetZone(name);
}

absl::Status PgZoneStore::DeleteZone(const std::string& name, const Expectations& expect,
                                     const RequestKey& key) {
  absl::StatusOr<std::optional<int64_t>> expected_version = ExpectedVersion(expect);
  if (!expected_version.ok()) return expected_version.status();
  return RunPg<bool>(*pool_, "DeleteZone",
                   [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
                     pqxx::work txn(conn);
                     if (Claim(txn, key, "DeleteZone", name).replayed) return true;
                     pqxx::result current = txn.exec_params(
                         "SELECT domain_id, version, serial, account,"
                         " dnsv1.zone_rows(domain_id)::text"
                         " FROM dnsv1.zones WHERE name = $1 FOR UPDATE",
                         name);
                     if (current.empty()) return ZoneNotFound(name);
                     if (*expected_version &&
                         **expected_version != current[0][1].as<int64_t>()) {
                       return StaleEtag(name);
                     }
                     AuditRecord audit;
                     audit.zone = name;
                     audit.account = current[0][3].as<std::string>();
                     audit.serial_before = current[0][2].as<int64_t>();
                     audit.rows_before = current[0][4].as<std::string>();
                     AppendAudit(txn, key.origin, audit);
                     // Cascades to records, dnsv1.zones and PowerDNS's side tables.
                     txn.exec_params0("DELETE FROM domains WHERE id = $1",
                                      current[0][0].as<int>());
                     txn.exec_params0("DELETE FROM dnsv1.zone_changes WHERE zone = $1", name);
                     txn.exec_params("SELECT dnsv1.enqueue_propagation($1, 0, true)", name);
                     CompleteRequest(txn, key, 0, 0);
                     txn.commit();
                     return true;
                   })
      .status();
}

absl::StatusOr<std::vector<RRset>> PgZoneStore::GetZoneRRsets(const std::string& zone) {
  return RunPg<std::vector<RRset>>(*pool_, "GetZoneRRsets", [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<RRset>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_prepared("zone_records_by_name", zone);
        // Every zone holds at least its SOA: no rows means no zone.
        if (rows.empty()) return ZoneNotFound(zone);
        return RRsetsFromRows(rows);
      });
}

absl::StatusOr<std::pair<Zone, std::vector<RRset>>> PgZoneStore::GetZoneWithRRsets(
    const std::string& name) {
  using Result = std::pair<Zone, std::vector<RRset>>;
  return RunPg<Result>(*pool_, "GetZoneWithRRsets", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_prepared("zone_with_records", name);
        // The zone's own row sorts first (NULL name); none means no zone.
        if (rows.empty() || !rows[0][0].is_null()) return ZoneNotFound(name);
        return Result(ZoneFromRow(rows[0], 8), RRsetsFromRows(rows, 1));
      });
}

absl::StatusOr<Page<RRset>> PgZoneStore::ListRRsets(const std::string& zone,
                                                    const RRsetFilter& filter,
                                                    const std::string& after_name,
                                                    const std::string& after_type, int limit) {
  return RunPg<Page<RRset>>(*pool_, "ListRRsets", [&](pqxx::connection& conn) -> absl::StatusOr<Page<RRset>> {
        pqxx::read_transaction txn(conn);
        pqxx::result id = txn.exec_prepared("zone_id", zone);
        if (id.empty()) return ZoneNotFound(zone);
        // Pick the page's (name, type) keys first so a page holds whole RRsets.
        pqxx::result rows = txn.exec_params(
            "WITH keys AS ("
            "  SELECT DISTINCT name COLLATE \"C\" AS n, type COLLATE \"C\" AS t FROM records"
            "  WHERE domain_id = $1 AND type IS NOT NULL"
            "    AND (name COLLATE \"C\", type COLLATE \"C\") > ($2, $3)"
            "    AND ($4 = '' OR name = $4) AND ($5 = '' OR type = $5)"
            "  ORDER BY 1, 2 LIMIT $6)"
            " SELECT r.name, r.type, r.content, r.ttl, r.prio, r.disabled"
            " FROM records r JOIN keys ON r.name = keys.n AND r.type = keys.t"
            " WHERE r.domain_id = $1"
            " ORDER BY r.name COLLATE \"C\", r.type COLLATE \"C\", r.id",
            id[0][0].as<int>(), after_name.empty() ? "" : Bare(after_name), after_type,
            filter.name.empty() ? "" : Bare(filter.name), filter.type, limit + 1);
        Page<RRset> page;
        page.items = RRsetsFromRows(rows);
        if (static_cast<int>(page.items.size()) > limit) {
          page.items.resize(limit);
          page.more = true;
        }
        return page;
      });
}

absl::StatusOr<RRset> PgZoneStore::GetRRset(const std::string& zone, const std::string& name,
                                            const std::string& type) {
  absl::StatusOr<Page<RRset>> page = ListRRsets(zone, RRsetFilter{name, type}, "", "", 1);
  if (!page.ok()) return page.status();
  if (page->items.empty()) {
    return WithReason(absl::NotFoundError(absl::StrCat("RRset ", name, " ", type,
                                                       " does not exist in zone ", zone)),
                      "RRSET_NOT_FOUND");
  }
  return page->items.front();
}

absl::StatusOr<std::vector<RRset>> PgZoneStore::GetRRsets(
    const std::string& zone, const std::vector<std::pair<std::string, std::string>>& keys) {
  json wanted = json::array();
  for (const auto& [name, type] : keys) wanted.push_back({{"n", Bare(name)}, {"t", type}});
  const std::string wanted_text = wanted.dump();
  return RunPg<std::vector<RRset>>(*pool_, "GetRRsets", [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<RRset>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_prepared("zone_rrsets_by_key", zone, wanted_text);
        // No rows: every asked RRset is gone, or the zone is.
        if (rows.empty() && txn.exec_prepared("zone_id", zone).empty()) return ZoneNotFound(zone);
        return RRsetsFromRows(rows);
      });
}

absl::StatusOr<ChangeResult> PgZoneStore::ChangeRRsets(const std::string& zone,
                                                       const std::vector<RRsetChange>& changes,
                                                       const Expectations& expect,
                                                       const RequestKey& key,
                                                       bool validate_only) {
  absl::StatusOr<std::optional<int64_t>> expected_version = ExpectedVersion(expect);
  if (!expected_version.ok()) return expected_version.status();
  json deletes = json::array();
  std::vector<RRset> replacements;
  for (const RRsetChange& change : changes) {
    deletes.push_back({{"n", Bare(change.rrset.name)}, {"t", change.rrset.type}});
    if (change.type == ChangeType::kReplace) replacements.push_back(change.rrset);
  }
  const std::string deletes_text = deletes.dump();
  const std::string inserts_text = RecordRows(replacements);
  const std::string expected_serial =
      expect.serial ? absl::StrCat(*expect.serial) : std::string();
  const std::string expected_version_text =
      *expected_version ? absl::StrCat(**expected_version) : std::string();
  // Ignored by the function since migration 5 (the rule lives in SQL);
  // kept so the statement matches replicas of the previous version.
  const int64_t floor = 0;
  return RunPg<ChangeResult>(*pool_, "ChangeRRsets", [&](pqxx::connection& conn) -> absl::StatusOr<ChangeResult> {
        auto apply = [&](pqxx::transaction_base& txn) {
          const char* serial_arg = expect.serial ? expected_serial.c_str() : nullptr;
          const char* version_arg = *expected_version ? expected_version_text.c_str() : nullptr;
          if (validate_only) {
            return txn.exec_prepared1("change_rrsets", zone, deletes_text, inserts_text,
                                      serial_arg, version_arg, floor, "", "");
          }
          return txn.exec_prepared1("change_rrsets_audited", zone, deletes_text, inserts_text,
                                    serial_arg, version_arg, key.request_id, key.fingerprint,
                                    OriginJson(key.origin));
        };
        std::optional<pqxx::row> applied;
        if (validate_only) {
          // The same statement in a transaction that is rolled back: the
          // answer of a real write, nothing kept (nor notified).
          pqxx::work txn(conn);
          applied = apply(txn);
          txn.abort();
        } else {
          // One statement, so one round trip and its own transaction.
          pqxx::nontransaction txn(conn);
          applied = apply(txn);
        }
        const pqxx::row& row = *applied;
        if (row[0].is_null()) {
          // A replayed request_id whose zone was deleted since: report now.
          return ZoneNotFound(zone);
        }
        ChangeResult result;
        result.serial = static_cast<uint32_t>(row[0].as<int64_t>());
        result.etag = FormatEtag(row[1].as<int64_t>());
        return result;
      });
}

}  // namespace dns
