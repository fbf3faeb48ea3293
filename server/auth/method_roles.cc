#include "server/auth/method_roles.h"

#include <map>

namespace dns {
namespace {

const std::map<std::string, Role, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, Role, std::less<>>{
      // ZoneService
      {"GetZone", Role::kReader},
      {"ListZones", Role::kReader},
      {"ExportZone", Role::kReader},
      {"CreateZone", Role::kEditor},
      {"UpdateZone", Role::kEditor},
      {"DeleteZone", Role::kEditor},
      {"ImportZone", Role::kEditor},
      {"SyncZone", Role::kEditor},
      // RecordService
      {"ListRRsets", Role::kReader},
      {"GetRRset", Role::kReader},
      {"ChangeRRsets", Role::kEditor},
      // ServerService
      {"GetServer", Role::kReader},
      {"ListServers", Role::kReader},
      {"CheckServerHealth", Role::kReader},
      {"GetServerMetrics", Role::kReader},
      {"WatchHealth", Role::kReader},
      {"CheckConsistency", Role::kReader},
      {"WatchConsistency", Role::kReader},
      {"RegisterServer", Role::kOperator},
      {"UpdateServer", Role::kOperator},
      {"DeregisterServer", Role::kOperator},
      {"ReconcileServer", Role::kOperator},
      // FailoverService
      {"GetFailover", Role::kReader},
      {"ListFailovers", Role::kReader},
      {"ProvisionDomain", Role::kEditor},
      {"PlanFailover", Role::kOperator},
      {"ExecuteFailover", Role::kOperator},
      // TokenService
      {"CreateToken", Role::kAdmin},
      {"ListTokens", Role::kAdmin},
      {"RevokeToken", Role::kAdmin},
  };
  return *table;
}

}  // namespace

std::optional<Role> RequiredRole(absl::string_view method) {
  auto it = Table().find(method);
  if (it == Table().end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MethodsWithRoles() {
  std::vector<std::string> out;
  for (const auto& [name, role] : Table()) out.push_back(name);
  return out;
}

}  // namespace dns
