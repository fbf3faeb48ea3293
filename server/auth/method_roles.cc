#include "server/auth/method_roles.h"

#include <map>

namespace dns {
namespace {

struct Rule {
  Role role;
  // Whether an account-scoped caller may call it (the call keeps it to its
  // accounts); the others cover the whole fleet.
  bool scoped;
};

const std::map<std::string, Rule, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, Rule, std::less<>>{
      // ZoneService
      {"GetZone", {Role::kReader, true}},
      {"ListZones", {Role::kReader, true}},
      {"ExportZone", {Role::kReader, true}},
      {"CreateZone", {Role::kEditor, true}},
      {"UpdateZone", {Role::kEditor, true}},
      {"DeleteZone", {Role::kEditor, true}},
      {"ImportZone", {Role::kEditor, true}},
      {"SyncZone", {Role::kEditor, true}},
      // RecordService
      {"ListRRsets", {Role::kReader, true}},
      {"GetRRset", {Role::kReader, true}},
      {"ChangeRRsets", {Role::kEditor, true}},
      // ServerService
      {"GetServer", {Role::kReader, false}},
      {"ListServers", {Role::kReader, false}},
      {"CheckServerHealth", {Role::kReader, false}},
      {"GetServerMetrics", {Role::kReader, false}},
      {"WatchHealth", {Role::kReader, false}},
      {"CheckConsistency", {Role::kReader, false}},
      {"WatchConsistency", {Role::kReader, false}},
      {"RegisterServer", {Role::kOperator, false}},
      {"UpdateServer", {Role::kOperator, false}},
      {"DeregisterServer", {Role::kOperator, false}},
      {"ReconcileServer", {Role::kOperator, false}},
      // FailoverService
      {"GetFailover", {Role::kReader, false}},
      {"ListFailovers", {Role::kReader, false}},
      {"ProvisionDomain", {Role::kEditor, true}},
      {"PlanFailover", {Role::kOperator, true}},
      {"ExecuteFailover", {Role::kOperator, true}},
      // TokenService
      {"CreateToken", {Role::kAdmin, false}},
      {"ListTokens", {Role::kAdmin, false}},
      {"RevokeToken", {Role::kAdmin, false}},
      // AuditService: a scoped caller sees its accounts' zones' entries.
      {"ListAuditEntries", {Role::kReader, true}},
      {"GetAuditEntry", {Role::kReader, true}},
      {"RevertChange", {Role::kAdmin, true}},
  };
  return *table;
}

}  // namespace

std::optional<Role> RequiredRole(absl::string_view method) {
  auto it = Table().find(method);
  if (it == Table().end()) return std::nullopt;
  return it->second.role;
}

bool OpenToScopedCallers(absl::string_view method) {
  auto it = Table().find(method);
  return it != Table().end() && it->second.scoped;
}

std::vector<std::string> MethodsWithRoles() {
  std::vector<std::string> out;
  for (const auto& [name, rule] : Table()) out.push_back(name);
  return out;
}

}  // namespace dns
