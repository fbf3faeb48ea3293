// `dnsd token create|list|revoke`: token administration straight on the
// database, for the first admin token and for operators without one.
#ifndef DNS_SERVER_TOKEN_COMMAND_H_
#define DNS_SERVER_TOKEN_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace dns {

struct TokenCommand {
  std::string database_url;
  // After "token": {"create", "NAME"}, {"list"}, {"revoke", "NAME"}.
  std::vector<std::string> args;
  std::string role;                     // create
  std::vector<std::string> accounts;    // create
  std::optional<absl::Duration> ttl;    // create
  bool show_revoked = false;            // list
};

// Prints results on `out` (create: the secret alone on the first line, so
// `TOKEN=$(dnsd token create ...)` works), problems on `err`. Returns the
// process exit code: 0 done, 1 refused or failed, 2 usage.
int RunTokenCommand(const TokenCommand& command, std::ostream& out, std::ostream& err);

}  // namespace dns

#endif  // DNS_SERVER_TOKEN_COMMAND_H_
