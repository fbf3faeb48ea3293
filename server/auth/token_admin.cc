#include "server/auth/token_admin.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "server/auth/token_secret.h"
#include "server/domain/page_token.h"

namespace dns {

absl::StatusOr<CreatedToken> TokenAdmin::Create(const NewToken& request) {
  std::vector<FieldViolation> violations;
  if (absl::Status st = ValidateTokenName(request.name); !st.ok()) {
    violations.push_back({"name", std::string(st.message())});
  }
  if (request.role == Role::kUnspecified) {
    violations.push_back({"role", "is required: reader, editor, operator or admin"});
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < request.accounts.size(); ++i) {
    const std::string& a = request.accounts[i];
    const std::string field = absl::StrCat("accounts[", i, "]");
    if (a.empty() || a.size() > 255) {
      violations.push_back({field, "must be 1 to 255 characters"});
    } else if (!seen.insert(a).second) {
      violations.push_back({field, "is listed twice"});
    }
  }
  if (request.accounts.size() > 100) violations.push_back({"accounts", "at most 100"});
  if (request.ttl && (*request.ttl < absl::Minutes(1) || *request.ttl > absl::Hours(24 * 3650))) {
    violations.push_back({"ttl", "must be between one minute and ten years"});
  }
  if (!violations.empty()) return InvalidFields(violations);
  absl::StatusOr<std::string> secret = GenerateTokenSecret();
  if (!secret.ok()) return secret.status();
  TokenInfo token;
  token.name = request.name;
  token.role = request.role;
  token.accounts = request.accounts;
  if (request.ttl) token.expire_time = absl::Now() + *request.ttl;
  token.created_by = request.created_by;
  absl::StatusOr<TokenInfo> stored = store_.CreateToken(token, HashTokenSecret(*secret), request.origin);
  if (!stored.ok()) return stored.status();
  return CreatedToken{*std::move(stored), *std::move(secret)};
}

absl::StatusOr<TokenList> TokenAdmin::List(int page_size, const std::string& page_token,
                                           bool show_revoked) {
  absl::StatusOr<int> size = PageSize(page_size);
  if (!size.ok()) return InvalidField("page_size", std::string(size.status().message()));
  const std::string fingerprint =
      FilterFingerprint({"tokens", show_revoked ? "revoked" : ""});
  absl::StatusOr<std::vector<std::string>> start = PageStart(page_token, fingerprint, 1);
  if (!start.ok()) return start.status();
  absl::StatusOr<Page<TokenInfo>> page =
      store_.ListTokens(start->empty() ? "" : start->front(), *size, show_revoked);
  if (!page.ok()) return page.status();
  TokenList out{std::move(page->items), ""};
  if (page->more) out.next_page_token = EncodePageToken({out.tokens.back().name}, fingerprint);
  return out;
}

absl::StatusOr<TokenInfo> TokenAdmin::EnsureBootstrap(const std::string& name,
                                                      const std::string& secret,
                                                      const WriteOrigin& origin) {
  if (absl::Status st = ValidateTokenName(name); !st.ok()) {
    return InvalidFields({{"auth_bootstrap_token_name", std::string(st.message())}});
  }
  if (secret.size() < 32 || secret.size() > 512) {
    return InvalidFields({{"auth_bootstrap_token_file",
                           "must hold one secret of 32 to 512 characters"}});
  }
  for (unsigned char c : secret) {
    if (c <= ' ' || c >= 0x7f) {
      return InvalidFields({{"auth_bootstrap_token_file",
                             "the secret must be printable ASCII without spaces"}});
    }
  }
  TokenInfo token;
  token.name = name;
  token.role = Role::kAdmin;
  token.created_by = "bootstrap token file";
  return store_.EnsureToken(token, HashTokenSecret(secret), origin);
}

absl::StatusOr<TokenInfo> TokenAdmin::Revoke(const std::string& name,
                                             const WriteOrigin& origin) {
  if (absl::Status st = ValidateTokenName(name); !st.ok()) {
    return InvalidFields({{"name", std::string(st.message())}});
  }
  return store_.RevokeToken(name, origin);
}

}  // namespace dns
