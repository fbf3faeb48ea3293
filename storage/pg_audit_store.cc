#include "storage/pg_audit_store.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "storage/pg_records.h"
#include "storage/pg_run.h"

namespace dns {
namespace {

using json = nlohmann::json;

constexpr char kColumns[] =
    "id, (extract(epoch FROM time) * 1000000)::bigint, actor, client_subject, rpc, request_id,"
    " peer, COALESCE(zone, ''), COALESCE(account, ''), target, serial_before, serial_after,"
    " keys::text, details::text, COALESCE(reverts, 0), COALESCE(reverted_by, 0)";

// gpgsql rows ({"n","t","c","ttl","p","d"}) grouped into RRsets in order of
// first appearance; an RRset's TTL is its smallest record's, as elsewhere.
std::vector<RRset> RRsetsFromRowsJson(const std::string& text) {
  std::vector<RRset> out;
  if (text.empty()) return out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (const json& row : json::parse(text)) {
    std::string name = Absolute(row.value("n", ""));
    std::string type = row.value("t", "");
    const uint32_t ttl = row.value("ttl", 0u);
    auto [it, added] = index.try_emplace({name, type}, out.size());
    if (added) out.push_back(RRset{name, type, ttl, {}});
    RRset& rrset = out[it->second];
    rrset.ttl = std::min(rrset.ttl, ttl);
    rrset.records.push_back(
        Record{JoinPriority(type, row.value("p", 0), row.value("c", "")), row.value("d", false)});
  }
  return out;
}

AuditEntry EntryFromRow(const pqxx::row& row) {
  AuditEntry e;
  e.id = row[0].as<int64_t>();
  e.time = absl::FromUnixMicros(row[1].as<int64_t>());
  e.origin.actor = row[2].as<std::string>();
  e.origin.client_subject = row[3].as<std::string>();
  e.origin.rpc = row[4].as<std::string>();
  e.origin.request_id = row[5].as<std::string>();
  e.origin.peer = row[6].as<std::string>();
  e.zone = row[7].as<std::string>();
  e.account = row[8].as<std::string>();
  e.target = row[9].as<std::string>();
  if (!row[10].is_null()) e.serial_before = static_cast<uint32_t>(row[10].as<int64_t>());
  if (!row[11].is_null()) e.serial_after = static_cast<uint32_t>(row[11].as<int64_t>());
  if (!row[12].is_null()) {
    for (const json& k : json::parse(row[12].as<std::string>())) {
      std::pair<std::string, std::string> key{Absolute(k.value("n", "")), k.value("t", "")};
      if (std::find(e.keys.begin(), e.keys.end(), key) == e.keys.end()) e.keys.push_back(key);
    }
  }
  e.details = row[13].as<std::string>();
  e.origin.reverts = row[14].as<int64_t>();
  e.reverted_by = row[15].as<int64_t>();
  return e;
}

}  // namespace

absl::StatusOr<Page<AuditEntry>> PgAuditStore::ListEntries(const AuditFilter& filter,
                                                           int64_t before_id, int limit) {
  std::vector<std::string> params;
  auto param = [&](std::string value) {
    params.push_back(std::move(value));
    return absl::StrCat("$", params.size());
  };
  std::string where = "TRUE";
  if (before_id > 0) absl::StrAppend(&where, " AND id < ", param(absl::StrCat(before_id)), "::bigint");
  if (!filter.zone.empty()) absl::StrAppend(&where, " AND zone = ", param(filter.zone));
  if (!filter.account.empty()) absl::StrAppend(&where, " AND account = ", param(filter.account));
  if (!filter.accounts_any.empty()) {
    absl::StrAppend(&where, " AND account = ANY (ARRAY(SELECT jsonb_array_elements_text(",
                    param(json(filter.accounts_any).dump()), "::jsonb)))");
  }
  if (!filter.actor.empty()) absl::StrAppend(&where, " AND actor = ", param(filter.actor));
  if (!filter.rpc.empty()) absl::StrAppend(&where, " AND rpc = ", param(filter.rpc));
  if (filter.start) {
    absl::StrAppend(&where, " AND time >= to_timestamp(",
                    param(absl::StrCat(absl::ToUnixMicros(*filter.start))), "::bigint / 1e6)");
  }
  if (filter.end) {
    absl::StrAppend(&where, " AND time < to_timestamp(",
                    param(absl::StrCat(absl::ToUnixMicros(*filter.end))), "::bigint / 1e6)");
  }
  const std::string sql = absl::StrCat("SELECT ", kColumns, " FROM dnsv1.audit_log WHERE ",
                                       where, " ORDER BY id DESC LIMIT ", limit + 1);
  return RunPg<Page<AuditEntry>>(
      *pool_, "ListAuditEntries", [&](pqxx::connection& conn) -> absl::StatusOr<Page<AuditEntry>> {
        pqxx::nontransaction txn(conn);
        pqxx::result rows = txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
        Page<AuditEntry> page;
        for (const auto& row : rows) {
          if (static_cast<int>(page.items.size()) == limit) {
            page.more = true;
            break;
          }
          page.items.push_back(EntryFromRow(row));
        }
        return page;
      });
}

absl::StatusOr<AuditEntry> PgAuditStore::GetEntry(int64_t id) {
  return RunPg<AuditEntry>(*pool_, "GetAuditEntry", [&](pqxx::connection& conn) -> absl::StatusOr<AuditEntry> {
    pqxx::nontransaction txn(conn);
    pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT ", kColumns, ", COALESCE(rrsets_before::text, ''),"
                     " COALESCE(rrsets_after::text, '') FROM dnsv1.audit_log WHERE id = $1"),
        id);
    if (rows.empty()) {
      return WithReason(absl::NotFoundError(absl::StrCat("audit entry ", id, " does not exist")),
                        "AUDIT_ENTRY_NOT_FOUND");
    }
    AuditEntry e = EntryFromRow(rows[0]);
    e.rrsets_before = RRsetsFromRowsJson(rows[0][16].as<std::string>());
    e.rrsets_after = RRsetsFromRowsJson(rows[0][17].as<std::string>());
    return e;
  });
}

}  // namespace dns
