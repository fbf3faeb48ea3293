#include "server/token_command.h"

#include <cstdlib>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/auth/token_admin.h"
#include "storage/connection_pool.h"
#include "storage/pg_token_store.h"

namespace dns {
namespace {

// The command line's writes, in the audit trail: the local user, if known.
WriteOrigin LocalOrigin(const std::string& command) {
  WriteOrigin origin;
  origin.actor = command;
  origin.rpc = command;
  const char* user = std::getenv("USER");
  if (user != nullptr) origin.peer = absl::StrCat("local:", user);
  return origin;
}



std::string When(const std::optional<absl::Time>& t) {
  return t ? absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *t, absl::UTCTimeZone()) : "-";
}

void Print(const TokenInfo& t, std::ostream& out) {
  out << t.name << "\t" << RoleName(t.role) << "\t"
      << (t.accounts.empty() ? "*" : absl::StrJoin(t.accounts, ",")) << "\tcreated "
      << When(t.create_time) << "\tlast used " << When(t.last_use_time) << "\texpires "
      << When(t.expire_time) << (t.revoke_time ? "\tREVOKED " + When(t.revoke_time) : "")
      << "\n";
}

int Failed(const absl::Status& status, std::ostream& err) {
  err << "dnsd token: " << status.message() << "\n";
  return 1;
}

}  // namespace

int RunTokenCommand(const TokenCommand& command, std::ostream& out, std::ostream& err) {
  const std::vector<std::string>& args = command.args;
  const std::string verb = args.empty() ? "" : args[0];
  const bool named = verb == "create" || verb == "revoke";
  if ((named && args.size() != 2) || (verb == "list" && args.size() != 1) ||
      (!named && verb != "list")) {
    err << "usage: dnsd token create NAME --role=reader|editor|operator|admin "
           "[--accounts=a,b] [--ttl=720h]\n"
           "       dnsd token list [--show_revoked]\n"
           "       dnsd token revoke NAME\n";
    return 2;
  }
  ConnectionPool::Options pool_options;
  pool_options.url = command.database_url;
  pool_options.size = 1;
  auto pool = std::make_shared<ConnectionPool>(pool_options);
  PgTokenStore store(pool);
  TokenAdmin admin(store);
  if (verb == "create") {
    NewToken in;
    in.name = args[1];
    std::optional<Role> role = RoleFromName(command.role);
    if (!role) {
      err << "dnsd token: --role must be reader, editor, operator or admin\n";
      return 2;
    }
    in.role = *role;
    in.accounts = command.accounts;
    in.ttl = command.ttl;
    in.created_by = "dnsd token create";
    in.origin = LocalOrigin("dnsd token create");
    absl::StatusOr<CreatedToken> created = admin.Create(in);
    if (!created.ok()) return Failed(created.status(), err);
    out << created->secret << "\n";
    err << "token " << created->token.name << " (" << RoleName(created->token.role)
        << ") created; its secret above is shown only this once\n";
    return 0;
  }
  if (verb == "revoke") {
    absl::StatusOr<TokenInfo> revoked = admin.Revoke(args[1], LocalOrigin("dnsd token revoke"));
    if (!revoked.ok()) return Failed(revoked.status(), err);
    Print(*revoked, out);
    return 0;
  }
  std::string page_token;
  do {
    absl::StatusOr<TokenList> page = admin.List(1000, page_token, command.show_revoked);
    if (!page.ok()) return Failed(page.status(), err);
    for (const TokenInfo& t : page->tokens) Print(t, out);
    page_token = page->next_page_token;
  } while (!page_token.empty());
  return 0;
}

}  // namespace dns
