#include "storage/pg_token_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_details.h"
#include "nlohmann/json.hpp"
#include "storage/pg_audit.h"
#include "storage/pg_run.h"

namespace dns {
namespace {

constexpr char kColumns[] =
    "name, role, array_to_json(accounts)::text,"
    " (extract(epoch FROM create_time) * 1000000)::bigint,"
    " (extract(epoch FROM last_use_time) * 1000000)::bigint,"
    " (extract(epoch FROM expire_time) * 1000000)::bigint,"
    " (extract(epoch FROM revoke_time) * 1000000)::bigint, created_by";

std::optional<absl::Time> TimeOrNull(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

TokenInfo TokenFromRow(const pqxx::row& row) {
  TokenInfo t;
  t.name = row[0].as<std::string>();
  t.role = RoleFromName(row[1].as<std::string>()).value_or(Role::kUnspecified);
  nlohmann::json accounts = nlohmann::json::parse(row[2].as<std::string>(), nullptr, false);
  if (accounts.is_array()) {
    for (const auto& a : accounts) {
      if (a.is_string()) t.accounts.push_back(a.get<std::string>());
    }
  }
  t.create_time = absl::FromUnixMicros(row[3].as<int64_t>());
  t.last_use_time = TimeOrNull(row[4]);
  t.expire_time = TimeOrNull(row[5]);
  t.revoke_time = TimeOrNull(row[6]);
  t.created_by = row[7].as<std::string>();
  return t;
}

absl::Status TokenNotFound(const std::string& name) {
  return WithReason(absl::NotFoundError(absl::StrCat("token ", name, " does not exist")),
                    "TOKEN_NOT_FOUND");
}

std::string Json(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

// A token's audit entry: what it may do, never its secret or hash.
AuditRecord TokenAudit(const TokenInfo& token) {
  AuditRecord record;
  record.target = absl::StrCat("token ", token.name);
  nlohmann::json details = {{"role", RoleName(token.role)}, {"accounts", token.accounts}};
  if (token.expire_time) details["expire_time"] = absl::FormatTime(*token.expire_time);
  if (token.revoke_time) details["revoke_time"] = absl::FormatTime(*token.revoke_time);
  record.details = details.dump();
  return record;
}

}  // namespace

absl::StatusOr<TokenInfo> PgTokenStore::CreateToken(const TokenInfo& token,
                                                    const std::string& secret_hash,
                                                    const WriteOrigin& origin) {
  const std::optional<std::string> expire =
      token.expire_time ? std::optional<std::string>(absl::StrCat(absl::ToUnixMicros(*token.expire_time)))
                        : std::nullopt;
  absl::StatusOr<TokenInfo> created = RunPg<TokenInfo>(
      *pool_, "CreateToken", [&](pqxx::connection& conn) -> absl::StatusOr<TokenInfo> {
        pqxx::work txn(conn);
        pqxx::row row = txn.exec_params1(
            absl::StrCat(
                "INSERT INTO dnsv1.tokens (name, role, accounts, secret_hash, expire_time,"
                " created_by) VALUES ($1, $2,"
                " ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), $4,"
                " to_timestamp($5::bigint / 1000000.0), $6) RETURNING ",
                kColumns),
            token.name, RoleName(token.role), Json(token.accounts),
            pqxx::binarystring(secret_hash),
            expire ? expire->c_str() : nullptr, token.created_by);
        TokenInfo created = TokenFromRow(row);
        AppendAudit(txn, origin, TokenAudit(created));
        txn.commit();
        return created;
      });
  if (absl::IsAlreadyExists(created.status())) {
    return WithReason(
        absl::AlreadyExistsError(absl::StrCat("token ", token.name, " already exists")),
        "TOKEN_ALREADY_EXISTS");
  }
  return created;
}

absl::StatusOr<Page<TokenInfo>> PgTokenStore::ListTokens(const std::string& after_name,
                                                         int limit, bool show_revoked) {
  return RunPg<Page<TokenInfo>>(
      *pool_, "ListTokens", [&](pqxx::connection& conn) -> absl::StatusOr<Page<TokenInfo>> {
        pqxx::read_transaction txn(conn);
        pqxx::result rows = txn.exec_params(
            absl::StrCat("SELECT ", kColumns,
                         " FROM dnsv1.tokens WHERE name > $1 AND ($2 OR revoke_time IS NULL)"
                         " ORDER BY name LIMIT $3"),
            after_name, show_revoked, limit + 1);
        Page<TokenInfo> page;
        for (const auto& row : rows) {
          if (static_cast<int>(page.items.size()) == limit) {
            page.more = true;
            break;
          }
          page.items.push_back(TokenFromRow(row));
        }
        return page;
      });
}

absl::StatusOr<TokenInfo> PgTokenStore::EnsureToken(const TokenInfo& token,
                                                    const std::string& secret_hash,
                                                    const WriteOrigin& origin) {
  absl::StatusOr<std::optional<TokenInfo>> kept = RunPg<std::optional<TokenInfo>>(
      *pool_, "EnsureToken",
      [&](pqxx::connection& conn) -> absl::StatusOr<std::optional<TokenInfo>> {
        pqxx::work txn(conn);
        pqxx::result rows = txn.exec_params(
            absl::StrCat("SELECT ", kColumns, ", secret_hash = $2"
                         " FROM dnsv1.tokens WHERE name = $1 FOR UPDATE"),
            token.name, pqxx::binarystring(secret_hash));
        if (rows.empty()) return std::optional<TokenInfo>();
        TokenInfo stored = TokenFromRow(rows[0]);
        if (stored.revoke_time) {
          return WithReason(absl::FailedPreconditionError(absl::StrCat(
                                "token ", token.name, " is revoked; it stays revoked")),
                            "TOKEN_REVOKED");
        }
        if (rows[0][8].as<bool>()) return stored;
        txn.exec_params0("UPDATE dnsv1.tokens SET secret_hash = $2 WHERE name = $1", token.name,
                         pqxx::binarystring(secret_hash));
        AuditRecord audit = TokenAudit(stored);
        audit.details = nlohmann::json{{"secret", "(replaced)"}}.dump();
        AppendAudit(txn, origin, audit);
        txn.commit();
        return stored;
      });
  if (!kept.ok()) return kept.status();
  if (*kept) return **kept;
  return CreateToken(token, secret_hash, origin);
}

absl::StatusOr<TokenInfo> PgTokenStore::RevokeToken(const std::string& name,
                                                    const WriteOrigin& origin) {
  return RunPg<TokenInfo>(
      *pool_, "RevokeToken", [&](pqxx::connection& conn) -> absl::StatusOr<TokenInfo> {
        pqxx::work txn(conn);
        pqxx::result rows = txn.exec_params(
            absl::StrCat("UPDATE dnsv1.tokens SET revoke_time = COALESCE(revoke_time, now())"
                         " WHERE name = $1 RETURNING ",
                         kColumns),
            name);
        if (rows.empty()) return TokenNotFound(name);
        TokenInfo revoked = TokenFromRow(rows[0]);
        AppendAudit(txn, origin, TokenAudit(revoked));
        txn.commit();
        return revoked;
      });
}

absl::StatusOr<TokenInfo> PgTokenStore::FindToken(const std::string& secret_hash) {
  return RunPg<TokenInfo>(
      *pool_, "FindToken", [&](pqxx::connection& conn) -> absl::StatusOr<TokenInfo> {
        pqxx::read_transaction txn(conn);
        pqxx::result rows = txn.exec_params(
            absl::StrCat("SELECT ", kColumns, " FROM dnsv1.tokens WHERE secret_hash = $1"),
            pqxx::binarystring(secret_hash));
        if (rows.empty()) return absl::NotFoundError("no such token");
        return TokenFromRow(rows[0]);
      });
}

absl::Status PgTokenStore::TouchTokens(const std::vector<std::string>& names, absl::Time time) {
  if (names.empty()) return absl::OkStatus();
  absl::StatusOr<bool> done =
      RunPg<bool>(*pool_, "TouchTokens", [&](pqxx::connection& conn) -> absl::StatusOr<bool> {
        pqxx::work txn(conn);
        txn.exec_params0(
            "UPDATE dnsv1.tokens SET last_use_time = to_timestamp($2::bigint / 1000000.0)"
            " WHERE name = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))"
            " AND (last_use_time IS NULL OR last_use_time < to_timestamp($2::bigint / 1000000.0))",
            Json(names), absl::ToUnixMicros(time));
        txn.commit();
        return true;
      });
  return done.status();
}

}  // namespace dns
