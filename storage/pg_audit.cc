#include "storage/pg_audit.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace dns {

std::string OriginJson(const WriteOrigin& origin) {
  nlohmann::json j = {{"actor", origin.empty() ? std::string("dnsd") : origin.actor},
                      {"subject", origin.client_subject},
                      {"rpc", origin.rpc},
                      {"request_id", origin.request_id},
                      {"peer", origin.peer}};
  if (origin.reverts != 0) j["reverts"] = origin.reverts;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int64_t AppendAudit(pqxx::transaction_base& txn, const WriteOrigin& origin,
                    const AuditRecord& r) {
  auto text = [](const std::optional<std::string>& v) -> const char* {
    return v ? v->c_str() : nullptr;
  };
  std::optional<std::string> before, after;
  if (r.serial_before) before = absl::StrCat(*r.serial_before);
  if (r.serial_after) after = absl::StrCat(*r.serial_after);
  return txn
      .exec_params1(
          "SELECT dnsv1.append_audit($1::jsonb, NULLIF($2, ''), NULLIF($3, ''), $4,"
          " $5::bigint, $6::bigint, $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb)",
          OriginJson(origin), r.zone, r.account, r.target, text(before), text(after),
          text(r.keys), text(r.rows_before), text(r.rows_after), r.details)[0]
      .as<int64_t>();
}

}  // namespace dns
