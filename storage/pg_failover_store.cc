#include "storage/pg_failover_store.h"

#include <pqxx/pqxx>

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_details.h"
#include "nlohmann/json.hpp"
#include "storage/pg_records.h"
#include "storage/pg_run.h"

namespace dns {
namespace {

using json = nlohmann::json;

const char* StateName(FailoverState state) {
  switch (state) {
    case FailoverState::kPending:
      return "PENDING";
    case FailoverState::kPropagating:
      return "PROPAGATING";
    case FailoverState::kSucceeded:
      return "SUCCEEDED";
    case FailoverState::kIncomplete:
      return "INCOMPLETE";
    case FailoverState::kFailed:
      break;
  }
  return "FAILED";
}

FailoverState StateFromName(const std::string& name) {
  if (name == "PENDING") return FailoverState::kPending;
  if (name == "PROPAGATING") return FailoverState::kPropagating;
  if (name == "SUCCEEDED") return FailoverState::kSucceeded;
  if (name == "INCOMPLETE") return FailoverState::kIncomplete;
  return FailoverState::kFailed;
}

const char* ServerStateName(FailoverServerState state) {
  switch (state) {
    case FailoverServerState::kConfirmed:
      return "CONFIRMED";
    case FailoverServerState::kSkipped:
      return "SKIPPED";
    case FailoverServerState::kTimedOut:
      return "TIMED_OUT";
    case FailoverServerState::kPropagating:
      break;
  }
  return "PROPAGATING";
}

FailoverServerState ServerStateFromName(const std::string& name) {
  if (name == "CONFIRMED") return FailoverServerState::kConfirmed;
  if (name == "SKIPPED") return FailoverServerState::kSkipped;
  if (name == "TIMED_OUT") return FailoverServerState::kTimedOut;
  return FailoverServerState::kPropagating;
}

json RRsetJson(const RRset& rrset) {
  json records = json::array();
  for (const Record& r : rrset.records) {
    records.push_back({{"content", r.content}, {"disabled", r.disabled}});
  }
  return {{"name", rrset.name}, {"type", rrset.type}, {"ttl", rrset.ttl}, {"records", records}};
}

RRset RRsetFromJson(const json& j) {
  RRset rrset{j.at("name").get<std::string>(), j.at("type").get<std::string>(),
              j.at("ttl").get<uint32_t>(), {}};
  for (const json& r : j.at("records")) {
    rrset.records.push_back(Record{r.at("content").get<std::string>(), r.at("disabled").get<bool>()});
  }
  return rrset;
}

json ScopeJson(const FailoverScope& scope) {
  return {{"all_zones", scope.all_zones},
          {"zones", scope.zones},
          {"account", scope.account},
          {"customer_id", scope.customer_id},
          {"hosting_service_id", scope.hosting_service_id}};
}

FailoverScope ScopeFromJson(const json& j) {
  FailoverScope scope;
  scope.all_zones = j.value("all_zones", false);
  scope.zones = j.value("zones", std::vector<std::string>());
  scope.account = j.value("account", "");
  scope.customer_id = j.value("customer_id", "");
  scope.hosting_service_id = j.value("hosting_service_id", "");
  return scope;
}

json SummaryJson(const FailoverPlan& plan) {
  return {{"zones_in_scope", plan.zones_in_scope},
          {"zones_changed", plan.zones.size()},
          {"rrsets_changed", plan.rrsets_changed},
          {"records_changed", plan.records_changed},
          {"fleet_records", plan.fleet_records},
          {"fleet_share", plan.fleet_share},
          {"needs_force", plan.needs_force},
          {"checksum", plan.checksum},
          {"unmatched_zones", plan.unmatched_zones}};
}

json ServersJson(const std::vector<FailoverServerProgress>& servers) {
  json out = json::array();
  for (const FailoverServerProgress& s : servers) {
    out.push_back({{"server", s.server},
                   {"mode", s.mode == ServerMode::kSharedDb ? "SHARED_DB" : "API"},
                   {"state", ServerStateName(s.state)},
                   {"pushed", s.zones_pushed},
                   {"confirmed", s.zones_confirmed},
                   {"failed", s.zones_failed},
                   {"detail", s.detail},
                   {"confirm_time", s.confirm_time == absl::InfinitePast()
                                        ? int64_t{0}
                                        : absl::ToUnixMicros(s.confirm_time)}});
  }
  return out;
}

std::vector<FailoverServerProgress> ServersFromJson(const json& j) {
  std::vector<FailoverServerProgress> out;
  for (const json& s : j) {
    FailoverServerProgress p;
    p.server = s.value("server", "");
    p.mode = s.value("mode", "") == "SHARED_DB" ? ServerMode::kSharedDb : ServerMode::kApi;
    p.state = ServerStateFromName(s.value("state", ""));
    p.zones_pushed = s.value("pushed", 0);
    p.zones_confirmed = s.value("confirmed", 0);
    p.zones_failed = s.value("failed", 0);
    p.detail = s.value("detail", "");
    const int64_t confirmed = s.value("confirm_time", int64_t{0});
    if (confirmed != 0) p.confirm_time = absl::FromUnixMicros(confirmed);
    out.push_back(std::move(p));
  }
  return out;
}

absl::Time TimeColumn(const pqxx::field& f) {
  return f.is_null() ? absl::InfinitePast() : absl::FromUnixMicros(f.as<int64_t>());
}

std::string MicrosColumn(const char* column) {
  return absl::StrCat("(extract(epoch from ", column, ") * 1000000)::bigint");
}

// Without the unmatched zones' names unless asked: an all-zones failover
// may list a hundred thousand.
std::string FailoverColumns(bool with_unmatched) {
  return absl::StrCat(
      "f.id, coalesce(f.request_id, ''), f.requested_by, f.state, f.from_ip, f.to_ip, "
      "f.scope::text, f.apex_and_www_only, f.ttl, f.forced, ",
      with_unmatched ? "f.summary::text" : "(f.summary - 'unmatched_zones')::text",
      ", f.servers::text, f.error, ", MicrosColumn("f.create_time"), ", ",
      MicrosColumn("f.commit_time"), ", ", MicrosColumn("f.end_time"),
      ", f.reverses, f.reversed_by");
}

Failover FailoverFromRow(const pqxx::row& row) {
  Failover op;
  op.id = row[0].as<std::string>();
  op.request_id = row[1].as<std::string>();
  op.requested_by = row[2].as<std::string>();
  op.state = StateFromName(row[3].as<std::string>());
  op.spec.from_ip = row[4].as<std::string>();
  op.spec.to_ip = row[5].as<std::string>();
  op.spec.scope = ScopeFromJson(json::parse(row[6].as<std::string>()));
  op.spec.apex_and_www_only = row[7].as<bool>();
  if (!row[8].is_null()) op.spec.ttl = static_cast<uint32_t>(row[8].as<int64_t>());
  op.forced = row[9].as<bool>();
  const json summary = json::parse(row[10].as<std::string>());
  FailoverPlan& plan = op.plan;
  plan.zones_in_scope = summary.value("zones_in_scope", 0);
  plan.zones_changed = summary.value("zones_changed", 0);
  plan.rrsets_changed = summary.value("rrsets_changed", 0);
  plan.records_changed = summary.value("records_changed", 0);
  plan.fleet_records = summary.value("fleet_records", int64_t{0});
  plan.fleet_share = summary.value("fleet_share", 0.0);
  plan.needs_force = summary.value("needs_force", false);
  plan.checksum = summary.value("checksum", "");
  plan.unmatched_zones = summary.value("unmatched_zones", std::vector<std::string>());
  op.servers = ServersFromJson(json::parse(row[11].as<std::string>()));
  op.error = row[12].as<std::string>();
  op.create_time = TimeColumn(row[13]);
  op.commit_time = TimeColumn(row[14]);
  op.end_time = TimeColumn(row[15]);
  op.reverses = row[16].as<std::string>();
  op.reversed_by = row[17].as<std::string>();
  return op;
}

absl::Status FailoverNotFound(const std::string& id) {
  return WithReason(absl::NotFoundError(absl::StrCat("failover ", id, " does not exist")),
                    "FAILOVER_NOT_FOUND");
}

// The zones of the plan with their changes, as failover_zones holds them.
std::string ZoneRows(const FailoverPlan& plan) {
  json rows = json::array();
  for (const FailoverZoneChange& z : plan.zones) {
    json before = json::array();
    json after = json::array();
    for (const FailoverRRsetChange& c : z.rrsets) {
      before.push_back(RRsetJson(c.before));
      after.push_back(RRsetJson(c.after));
    }
    rows.push_back({{"zone", z.zone}, {"serial", z.serial}, {"before", before}, {"after", after}});
  }
  return rows.dump();
}

std::vector<FailoverZoneChange> ReadZones(pqxx::transaction_base& txn, const std::string& id) {
  pqxx::result rows = txn.exec_params(
      "SELECT zone, planned_serial, before::text, after::text, committed_serial "
      "FROM dnsv1.failover_zones WHERE failover_id = $1 ORDER BY zone",
      id);
  std::vector<FailoverZoneChange> zones;
  zones.reserve(rows.size());
  for (const auto& row : rows) {
    FailoverZoneChange z;
    z.zone = row[0].as<std::string>();
    z.serial = static_cast<uint32_t>(row[1].as<int64_t>());
    const json before = json::parse(row[2].as<std::string>());
    const json after = json::parse(row[3].as<std::string>());
    for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
      z.rrsets.push_back({RRsetFromJson(before[i]), RRsetFromJson(after[i])});
    }
    if (!row[4].is_null()) z.committed_serial = static_cast<uint32_t>(row[4].as<int64_t>());
    zones.push_back(std::move(z));
  }
  return zones;
}

std::optional<Failover> ReadFailover(pqxx::transaction_base& txn, const std::string& id,
                                     bool with_zones) {
  pqxx::result rows = txn.exec_params(
      absl::StrCat("SELECT ", FailoverColumns(with_zones), " FROM dnsv1.failovers f WHERE f.id = $1"),
      id);
  if (rows.empty()) return std::nullopt;
  Failover op = FailoverFromRow(rows[0]);
  if (with_zones) op.plan.zones = ReadZones(txn, id);
  return op;
}

std::string Interval(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d), " milliseconds");
}

// Serial `applied` at or after `wanted` (RFC 1982), in SQL.
constexpr char kReached[] =
    "(zs.applied_serial <> 0 AND "
    "((zs.applied_serial - fz.committed_serial + 4294967296) % 4294967296) < 2147483648)";

}  // namespace

absl::StatusOr<FailoverMatches> PgFailoverStore::FindMatches(const FailoverSpec& spec) {
  const FailoverScope& scope = spec.scope;
  std::string where;
  std::string value;
  if (scope.all_zones) {
    where = "$3::text IS NOT NULL";
  } else if (!scope.zones.empty()) {
    where = "z.name IN (SELECT jsonb_array_elements_text($3::text::jsonb))";
    value = json(scope.zones).dump();
  } else if (!scope.account.empty()) {
    where = "z.account = $3";
    value = scope.account;
  } else if (!scope.customer_id.empty()) {
    where = "z.customer_id = $3";
    value = scope.customer_id;
  } else {
    where = "z.hosting_service_id = $3";
    value = scope.hosting_service_id;
  }
  if (value.empty()) value = "[]";
  const std::string sql = absl::StrCat(
      "WITH scope AS (SELECT z.domain_id, z.name, z.serial, z.kind FROM dnsv1.zones z WHERE ",
      where,
      "), hit AS ("
      " SELECT DISTINCT r.domain_id, r.name, r.type FROM records r"
      " JOIN scope s ON s.domain_id = r.domain_id"
      " WHERE r.type IN ('A', 'AAAA') AND r.content = $1 AND s.kind <> 'SLAVE'"
      "   AND (NOT $2 OR r.name = rtrim(s.name, '.') OR r.name = 'www.' || rtrim(s.name, '.')))"
      " SELECT s.name, s.serial, r.name, r.type, r.content, r.ttl, r.disabled"
      " FROM scope s LEFT JOIN hit h ON h.domain_id = s.domain_id"
      " LEFT JOIN records r ON r.domain_id = h.domain_id AND r.name = h.name AND r.type = h.type"
      " ORDER BY s.name, r.name COLLATE \"C\", r.type COLLATE \"C\", r.id");
  return RunPg<FailoverMatches>(
      *pool_, "FindFailoverMatches", [&](pqxx::connection& conn) -> absl::StatusOr<FailoverMatches> {
        pqxx::read_transaction txn(conn);
        pqxx::result rows = txn.exec_params(sql, spec.from_ip, spec.apex_and_www_only, value);
        FailoverMatches matches;
        for (const auto& row : rows) {
          std::string zone = row[0].as<std::string>();
          if (matches.zones.empty() || matches.zones.back().zone != zone) {
            matches.zones.push_back(
                FailoverCandidate{zone, static_cast<uint32_t>(row[1].as<int64_t>()), {}});
          }
          if (row[2].is_null()) continue;
          FailoverCandidate& c = matches.zones.back();
          std::string name = Absolute(row[2].as<std::string>());
          std::string type = row[3].as<std::string>();
          const uint32_t ttl = row[5].as<uint32_t>();
          if (c.rrsets.empty() || c.rrsets.back().name != name || c.rrsets.back().type != type) {
            c.rrsets.push_back(RRset{name, type, ttl, {}});
          }
          RRset& rrset = c.rrsets.back();
          rrset.ttl = std::min(rrset.ttl, ttl);
          rrset.records.push_back(Record{row[4].as<std::string>(), row[6].as<bool>()});
        }
        if (!scope.zones.empty() && matches.zones.size() < scope.zones.size()) {
          std::set<std::string> found;
          for (const auto& c : matches.zones) found.insert(c.zone);
          for (size_t i = 0; i < scope.zones.size(); ++i) {
            if (!found.count(scope.zones[i])) {
              return WithReason(absl::NotFoundError(absl::StrCat("scope.zones[", i, "]: zone ",
                                                                 scope.zones[i],
                                                                 " does not exist")),
                                "ZONE_NOT_FOUND");
            }
          }
        }
        if (!scope.all_zones && scope.zones.empty() && matches.zones.empty()) {
          const char* field = !scope.account.empty()       ? "account"
                              : !scope.customer_id.empty() ? "customer_id"
                                                           : "hosting_service_id";
          return WithReason(absl::NotFoundError(absl::StrCat("scope.", field, ": no zone has ",
                                                             field, " '", value, "'")),
                            absl::StrCat(absl::AsciiStrToUpper(field), "_NOT_FOUND"));
        }
        matches.fleet_records = txn.exec1("SELECT count(*) FROM records")[0].as<int64_t>();
        return matches;
      });
}

absl::StatusOr<std::pair<Failover, bool>> PgFailoverStore::Create(const Failover& op,
                                                                  const FailoverCreate& extra,
                                                                  const std::string& owner,
                                                                  absl::Duration lease) {
  const std::string scope = ScopeJson(op.spec.scope).dump();
  const std::string summary = SummaryJson(op.plan).dump();
  const std::string zones = ZoneRows(op.plan);
  const std::string ttl = op.spec.ttl ? absl::StrCat(*op.spec.ttl) : std::string();
  using Result = std::pair<Failover, bool>;
  return RunPg<Result>(*pool_, "CreateFailover", [&](pqxx::connection& conn) -> absl::StatusOr<Result> {
    pqxx::work txn(conn);
    txn.exec("SET LOCAL statement_timeout = '120s'");
    pqxx::result inserted = txn.exec_params(
        "INSERT INTO dnsv1.failovers (id, request_id, fingerprint, requested_by, state, from_ip,"
        " to_ip, scope, apex_and_www_only, ttl, forced, summary, owner, lease_until, reverses)"
        " VALUES ($1, NULLIF($2, ''), $3, $4, 'PENDING', $5, $6, $7::jsonb, $8, $9::bigint, $10,"
        " $11::jsonb, $12, now() + $13::interval, $14)"
        " ON CONFLICT (request_id) DO NOTHING RETURNING id",
        op.id, op.request_id, extra.fingerprint, op.requested_by, op.spec.from_ip, op.spec.to_ip,
        scope, op.spec.apex_and_www_only, ttl.empty() ? nullptr : ttl.c_str(), op.forced, summary,
        owner, Interval(lease), op.reverses);
    if (inserted.empty()) {
      pqxx::row existing = txn.exec_params1(
          "SELECT id, fingerprint FROM dnsv1.failovers WHERE request_id = $1", op.request_id);
      if (existing[1].as<std::string>() != extra.fingerprint) {
        return InvalidField("request_id", "was used before for a different request");
      }
      std::optional<Failover> found = ReadFailover(txn, existing[0].as<std::string>(), false);
      if (!found) return FailoverNotFound(existing[0].as<std::string>());
      return Result(*std::move(found), false);
    }
    txn.exec_params(
        "INSERT INTO dnsv1.failover_zones (failover_id, zone, planned_serial, before, after)"
        " SELECT $1, x.zone, x.serial, x.before, x.after"
        " FROM jsonb_to_recordset($2::jsonb) AS x(zone TEXT, serial BIGINT, before JSONB, after JSONB)",
        op.id, zones);
    if (!op.reverses.empty()) {
      txn.exec_params(
          "UPDATE dnsv1.failovers SET reversed_by = $1 WHERE id = $2 AND reversed_by = ''", op.id,
          op.reverses);
    }
    std::optional<Failover> created = ReadFailover(txn, op.id, false);
    txn.commit();
    return Result(*std::move(created), true);
  });
}

absl::StatusOr<std::optional<Failover>> PgFailoverStore::FindByRequestId(
    const std::string& request_id, const std::string& fingerprint) {
  using Found = std::optional<Failover>;
  return RunPg<Found>(*pool_, "FindFailover", [&](pqxx::connection& conn) -> absl::StatusOr<Found> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT id, fingerprint FROM dnsv1.failovers WHERE request_id = $1", request_id);
    if (rows.empty()) return Found();
    if (rows[0][1].as<std::string>() != fingerprint) {
      return InvalidField("request_id", "was used before for a different request");
    }
    return ReadFailover(txn, rows[0][0].as<std::string>(), false);
  });
}

absl::StatusOr<Failover> PgFailoverStore::Commit(const std::string& id, const std::string& owner) {
  return RunPg<Failover>(*pool_, "CommitFailover", [&](pqxx::connection& conn) -> absl::StatusOr<Failover> {
    pqxx::work txn(conn);
    // Thousands of zones in one transaction: longer than a call's statement.
    txn.exec("SET LOCAL statement_timeout = '300s'");
    pqxx::result row = txn.exec_params(
        "SELECT state, coalesce(owner, '') FROM dnsv1.failovers WHERE id = $1 FOR UPDATE", id);
    if (row.empty()) return FailoverNotFound(id);
    if (row[0][0].as<std::string>() != "PENDING") {
      std::optional<Failover> op = ReadFailover(txn, id, false);
      return *op;
    }
    if (row[0][1].as<std::string>() != owner) {
      return absl::FailedPreconditionError(
          absl::StrCat("failover ", id, " is driven by another replica now"));
    }
    txn.exec_params("SELECT dnsv1.commit_failover($1)", id);
    txn.exec_params("SELECT dnsv1.audit_failover($1)", id);
    txn.exec_params(
        "UPDATE dnsv1.zone_servers zs SET lease_owner = $2,"
        " lease_until = now() + interval '30 seconds', claim_seq = zs.claim_seq + 1"
        " FROM dnsv1.failover_zones fz, dnsv1.servers s"
        " WHERE fz.failover_id = $1 AND zs.zone = fz.zone AND s.name = zs.server"
        "   AND NOT s.maintenance AND s.status NOT IN ('UNAVAILABLE', 'MAINTENANCE')"
        "   AND zs.desired_serial = fz.committed_serial AND zs.state <> 'IN_SYNC'"
        "   AND NOT zs.zone_deleted"
        // An API server gets the failover's RRsets only: it must have had
        // exactly the planned serial. A SHARED_DB server reads everything
        // from the database (its full_sync flag means nothing).
        "   AND (s.mode = 'SHARED_DB'"
        "        OR (NOT zs.full_sync AND zs.applied_serial = fz.planned_serial))"
        "   AND (zs.lease_until IS NULL OR zs.lease_until < now())",
        id, owner);
    txn.exec_params(
        "UPDATE dnsv1.failovers SET state = 'PROPAGATING', commit_time = clock_timestamp()"
        " WHERE id = $1", id);
    std::optional<Failover> op = ReadFailover(txn, id, false);
    txn.commit();
    return *op;
  });
}

absl::Status PgFailoverStore::Update(const Failover& op, const std::string& owner) {
  const std::string servers = ServersJson(op.servers).dump();
  const std::string end =
      op.end_time == absl::InfinitePast() ? std::string() : absl::StrCat(absl::ToUnixMicros(op.end_time));
  absl::StatusOr<bool> updated = RunPg<bool>(*pool_, "UpdateFailover", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "UPDATE dnsv1.failovers SET state = $2, servers = $3::jsonb, error = $4,"
        " end_time = to_timestamp($5::bigint / 1000000.0),"
        " lease_until = CASE WHEN $2 IN ('SUCCEEDED', 'INCOMPLETE', 'FAILED') THEN NULL"
        "                    ELSE lease_until END"
        " WHERE id = $1 AND owner = $6 RETURNING 1",
        op.id, StateName(op.state), servers, op.error, end.empty() ? nullptr : end.c_str(), owner);
    return !rows.empty();
  });
  if (!updated.ok()) return updated.status();
  if (!*updated) {
    return absl::FailedPreconditionError(
        absl::StrCat("failover ", op.id, " is driven by another replica now"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PgFailoverStore::Renew(const std::string& id, const std::string& owner,
                                            absl::Duration lease) {
  return RunPg<bool>(*pool_, "RenewFailover", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
    pqxx::nontransaction txn(conn);
    return !txn.exec_params("UPDATE dnsv1.failovers SET lease_until = now() + $3::interval"
                            " WHERE id = $1 AND owner = $2 RETURNING 1",
                            id, owner, Interval(lease))
                .empty();
  });
}

absl::StatusOr<std::vector<std::string>> PgFailoverStore::ClaimOrphans(const std::string& owner,
                                                                       absl::Duration lease) {
  using Ids = std::vector<std::string>;
  return RunPg<Ids>(*pool_, "ClaimFailovers", [&](pqxx::connection& conn) -> absl::StatusOr<Ids> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "UPDATE dnsv1.failovers SET owner = $1, lease_until = now() + $2::interval"
        " WHERE id IN (SELECT id FROM dnsv1.failovers"
        "              WHERE state IN ('PENDING', 'PROPAGATING')"
        "                AND (lease_until IS NULL OR lease_until < now())"
        "              ORDER BY seq FOR UPDATE SKIP LOCKED)"
        " RETURNING id",
        owner, Interval(lease));
    Ids ids;
    for (const auto& row : rows) ids.push_back(row[0].as<std::string>());
    return ids;
  });
}

absl::Status PgFailoverStore::Release(const std::string& id, const std::string& owner) {
  return RunPg<bool>(*pool_, "ReleaseFailover", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
           pqxx::nontransaction txn(conn);
           txn.exec_params("UPDATE dnsv1.failovers SET lease_until = now() - interval '1 second'"
                           " WHERE id = $1 AND owner = $2 AND state IN ('PENDING', 'PROPAGATING')",
                           id, owner);
           return true;
         })
      .status();
}

absl::StatusOr<Failover> PgFailoverStore::Get(const std::string& id, bool with_zones) {
  return RunPg<Failover>(*pool_, "GetFailover", [&](pqxx::connection& conn) -> absl::StatusOr<Failover> {
    pqxx::read_transaction txn(conn);
    std::optional<Failover> op = ReadFailover(txn, id, with_zones);
    if (!op) return FailoverNotFound(id);
    return *std::move(op);
  });
}

absl::StatusOr<Page<Failover>> PgFailoverStore::List(const FailoverListFilter& filter,
                                                     const std::string& after_id, int limit) {
  const std::string state = filter.state ? StateName(*filter.state) : "";
  return RunPg<Page<Failover>>(*pool_, "ListFailovers", [&](pqxx::connection& conn) -> absl::StatusOr<Page<Failover>> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT ", FailoverColumns(false),
                     " FROM dnsv1.failovers f"
                     " WHERE ($1 = '' OR f.seq < (SELECT seq FROM dnsv1.failovers WHERE id = $1))"
                     "   AND ($2 = '' OR f.from_ip = $2 OR f.to_ip = $2)"
                     "   AND ($3 = '' OR f.state = $3)"
                     " ORDER BY f.seq DESC LIMIT $4"),
        after_id, filter.ip, state, limit + 1);
    Page<Failover> page;
    for (const auto& row : rows) {
      if (static_cast<int>(page.items.size()) == limit) {
        page.more = true;
        break;
      }
      page.items.push_back(FailoverFromRow(row));
    }
    return page;
  });
}

absl::Status PgFailoverStore::SavePlan(const std::string& checksum,
                                       const std::vector<std::string>& zone_digests) {
  const std::string text = absl::StrJoin(zone_digests, "\n");
  return RunPg<bool>(*pool_, "SaveFailoverPlan", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
           pqxx::nontransaction txn(conn);
           txn.exec_params(
               "INSERT INTO dnsv1.failover_plans (checksum, zone_digests) VALUES ($1, $2)"
               " ON CONFLICT (checksum) DO UPDATE SET create_time = now()",
               checksum, text);
           return true;
         })
      .status();
}

absl::StatusOr<std::vector<std::string>> PgFailoverStore::LoadPlan(const std::string& checksum) {
  using Lines = std::vector<std::string>;
  return RunPg<Lines>(*pool_, "LoadFailoverPlan", [&](pqxx::connection& conn) -> absl::StatusOr<Lines> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT zone_digests FROM dnsv1.failover_plans WHERE checksum = $1", checksum);
    if (rows.empty()) return Lines();
    return Lines(absl::StrSplit(rows[0][0].as<std::string>(), '\n', absl::SkipEmpty()));
  });
}

absl::StatusOr<Failover> PgFailoverStore::ReversibleFor(const std::string& from_ip,
                                                        const std::string& to_ip) {
  return RunPg<Failover>(*pool_, "ReversibleFailover", [&](pqxx::connection& conn) -> absl::StatusOr<Failover> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT id FROM dnsv1.failovers WHERE from_ip = $1 AND to_ip = $2 AND reversed_by = ''"
        " AND state IN ('PROPAGATING', 'SUCCEEDED', 'INCOMPLETE') ORDER BY seq DESC LIMIT 1",
        to_ip, from_ip);
    if (rows.empty()) return Failover();
    std::optional<Failover> op = ReadFailover(txn, rows[0][0].as<std::string>(), true);
    return op ? *std::move(op) : Failover();
  });
}

absl::StatusOr<int64_t> PgFailoverStore::Prune(absl::Duration plan_age,
                                               absl::Duration operation_age) {
  return RunPg<int64_t>(*pool_, "PruneFailovers", [&](pqxx::connection& conn) -> absl::StatusOr<int64_t> {
    pqxx::nontransaction txn(conn);
    pqxx::result plans = txn.exec_params(
        "DELETE FROM dnsv1.failover_plans WHERE create_time < now() - $1::interval",
        Interval(plan_age));
    pqxx::result ops = txn.exec_params(
        "DELETE FROM dnsv1.failovers WHERE end_time < now() - $1::interval"
        " AND state IN ('SUCCEEDED', 'INCOMPLETE', 'FAILED')",
        Interval(operation_age));
    return static_cast<int64_t>(plans.affected_rows() + ops.affected_rows());
  });
}

absl::StatusOr<std::vector<ClaimedZone>> PgFailoverStore::ClaimedZones(const std::string& id,
                                                                       const std::string& server,
                                                                       const std::string& owner) {
  using Zones = std::vector<ClaimedZone>;
  return RunPg<Zones>(*pool_, "FailoverClaimed", [&](pqxx::connection& conn) -> absl::StatusOr<Zones> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        "SELECT fz.zone, fz.committed_serial, zs.claim_seq, fz.after::text, soa.content, soa.ttl"
        " FROM dnsv1.failover_zones fz"
        " JOIN dnsv1.zone_servers zs ON zs.zone = fz.zone AND zs.server = $2"
        " JOIN dnsv1.zones z ON z.name = fz.zone"
        " JOIN records soa ON soa.domain_id = z.domain_id AND soa.type = 'SOA'"
        " WHERE fz.failover_id = $1 AND zs.lease_owner = $3 AND zs.state <> 'IN_SYNC'"
        "   AND zs.desired_serial = fz.committed_serial"
        " ORDER BY fz.zone",
        id, server, owner);
    Zones out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      ClaimedZone z;
      z.zone = row[0].as<std::string>();
      z.serial = static_cast<uint32_t>(row[1].as<int64_t>());
      z.claim = row[2].as<int64_t>();
      for (const json& r : json::parse(row[3].as<std::string>())) z.rrsets.push_back(RRsetFromJson(r));
      z.soa = RRset{z.zone, "SOA", row[5].as<uint32_t>(), {Record{row[4].as<std::string>(), false}}};
      out.push_back(std::move(z));
    }
    return out;
  });
}

absl::Status PgFailoverStore::RecordClaimed(const std::string& server, const std::string& owner,
                                            const std::vector<ClaimedZone>& applied,
                                            const std::vector<ClaimedZone>& released) {
  auto rows = [](const std::vector<ClaimedZone>& zones) {
    json out = json::array();
    for (const ClaimedZone& z : zones) {
      out.push_back({{"zone", z.zone}, {"serial", z.serial}, {"claim", z.claim}});
    }
    return out.dump();
  };
  const std::string applied_rows = rows(applied);
  const std::string released_rows = rows(released);
  return RunPg<bool>(*pool_, "FailoverRecordClaimed", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
           pqxx::work txn(conn);
           // A row committed to again meanwhile keeps its newer desired
           // serial and is given back instead: the normal push sends the
           // rest.
           txn.exec_params(
               "UPDATE dnsv1.zone_servers zs SET applied_serial = x.serial, state = 'IN_SYNC',"
               " lease_until = NULL, lease_owner = NULL, attempts = 0, last_error = '',"
               " pending_since = NULL, update_time = now()"
               " FROM jsonb_to_recordset($2::jsonb) AS x(zone TEXT, serial BIGINT, claim BIGINT)"
               " WHERE zs.zone = x.zone AND zs.server = $1 AND zs.claim_seq = x.claim"
               "   AND zs.desired_serial = x.serial",
               server, applied_rows);
           txn.exec_params(
               "UPDATE dnsv1.zone_servers zs SET lease_until = NULL, lease_owner = NULL,"
               " next_attempt_time = now(), update_time = now()"
               " FROM jsonb_to_recordset($2::jsonb || $3::jsonb) AS x(zone TEXT, serial BIGINT,"
               "   claim BIGINT)"
               " WHERE zs.zone = x.zone AND zs.server = $1 AND zs.claim_seq = x.claim"
               "   AND zs.lease_owner = $4",
               server, applied_rows, released_rows, owner);
           txn.commit();
           return true;
         })
      .status();
}

absl::StatusOr<std::vector<FailoverServerCounts>> PgFailoverStore::Progress(const std::string& id) {
  using Counts = std::vector<FailoverServerCounts>;
  return RunPg<Counts>(*pool_, "FailoverProgress", [&](pqxx::connection& conn) -> absl::StatusOr<Counts> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT zs.server, count(*) FILTER (WHERE ", kReached, "),"
                     " count(*) FILTER (WHERE zs.state = 'ERROR' AND NOT ", kReached, "),"
                     " coalesce(max(zs.last_error) FILTER (WHERE zs.state = 'ERROR'), '')"
                     " FROM dnsv1.failover_zones fz JOIN dnsv1.zone_servers zs ON zs.zone = fz.zone"
                     " WHERE fz.failover_id = $1 AND fz.committed_serial IS NOT NULL"
                     " GROUP BY zs.server ORDER BY zs.server"),
        id);
    Counts out;
    for (const auto& row : rows) {
      out.push_back(FailoverServerCounts{row[0].as<std::string>(), row[1].as<int>(),
                                         row[2].as<int>(), row[3].as<std::string>()});
    }
    return out;
  });
}

absl::StatusOr<std::vector<std::pair<std::string, uint32_t>>> PgFailoverStore::AppliedSince(
    const std::string& id, const std::string& server, absl::Time since) {
  using Zones = std::vector<std::pair<std::string, uint32_t>>;
  const int64_t micros = since == absl::InfinitePast() ? 0 : absl::ToUnixMicros(since);
  return RunPg<Zones>(*pool_, "FailoverApplied", [&](pqxx::connection& conn) -> absl::StatusOr<Zones> {
    pqxx::read_transaction txn(conn);
    pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT fz.zone, fz.committed_serial"
                     " FROM dnsv1.failover_zones fz JOIN dnsv1.zone_servers zs ON zs.zone = fz.zone"
                     " WHERE fz.failover_id = $1 AND zs.server = $2 AND fz.committed_serial IS NOT NULL"
                     "   AND zs.update_time >= to_timestamp($3::bigint / 1000000.0) AND ",
                     kReached),
        id, server, micros);
    Zones out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
      out.emplace_back(row[0].as<std::string>(), static_cast<uint32_t>(row[1].as<int64_t>()));
    }
    return out;
  });
}

}  // namespace dns
