// The role table covers every RPC of every dns.v1 service, no more: a new
// RPC without an entry fails here (and is refused to everyone at run time).
#include "server/auth/method_roles.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/contract_methods.h"

namespace dns {
namespace {

TEST(MethodRolesTest, EveryRpcHasARoleAndNamesAreUniqueAcrossServices) {
  std::vector<std::string> methods;
  for (const auto& m : testing::ContractMethods()) methods.push_back(m.name);
  ASSERT_GT(methods.size(), 25u);
  std::set<std::string> seen;
  for (const std::string& m : methods) {
    EXPECT_TRUE(seen.insert(m).second) << m << " is in two services: the table keys by name";
    EXPECT_TRUE(RequiredRole(m).has_value()) << m << " has no entry in the role table";
  }
  for (const std::string& m : MethodsWithRoles()) {
    EXPECT_TRUE(seen.count(m)) << m << " is in the table but in no service";
  }
}

TEST(MethodRolesTest, RolesFollowTheirKindOfCall) {
  EXPECT_EQ(RequiredRole("GetZone"), Role::kReader);
  EXPECT_EQ(RequiredRole("WatchHealth"), Role::kReader);
  EXPECT_EQ(RequiredRole("ExportZone"), Role::kReader);
  EXPECT_EQ(RequiredRole("ChangeRRsets"), Role::kEditor);
  EXPECT_EQ(RequiredRole("ProvisionDomain"), Role::kEditor);
  EXPECT_EQ(RequiredRole("ImportZone"), Role::kEditor);
  EXPECT_EQ(RequiredRole("RegisterServer"), Role::kOperator);
  EXPECT_EQ(RequiredRole("ExecuteFailover"), Role::kOperator);
  EXPECT_EQ(RequiredRole("ReconcileServer"), Role::kOperator);
  EXPECT_EQ(RequiredRole("CreateToken"), Role::kAdmin);
  EXPECT_EQ(RequiredRole("ListAuditEntries"), Role::kReader);
  EXPECT_EQ(RequiredRole("GetAuditEntry"), Role::kReader);
  EXPECT_EQ(RequiredRole("RevertChange"), Role::kAdmin);
  EXPECT_FALSE(RequiredRole("NoSuchMethod").has_value());
  EXPECT_FALSE(RequiredRole("").has_value());
}

}  // namespace
}  // namespace dns
