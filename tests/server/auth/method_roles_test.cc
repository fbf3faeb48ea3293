// The role table covers every RPC of every dns.v1 service, no more: a new
// RPC without an entry fails here (and is refused to everyone at run time).
#include "server/auth/method_roles.h"

#include <set>

#include "dns/v1/audit_service.pb.h"
#include "dns/v1/failover_service.pb.h"
#include "dns/v1/record_service.pb.h"
#include "dns/v1/server_service.pb.h"
#include "dns/v1/token_service.pb.h"
#include "dns/v1/zone_service.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

// Every method of every service in dns.v1's files, by name.
std::vector<std::string> ContractMethods() {
  std::vector<std::string> out;
  for (const google::protobuf::FileDescriptor* file :
       {v1::CreateZoneRequest::descriptor()->file(), v1::ListRRsetsRequest::descriptor()->file(),
        v1::Server::descriptor()->file(), v1::FailoverScope::descriptor()->file(),
        v1::Token::descriptor()->file(), v1::AuditEntry::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) out.push_back(service->method(m)->name());
    }
  }
  return out;
}

TEST(MethodRolesTest, EveryRpcHasARoleAndNamesAreUniqueAcrossServices) {
  const std::vector<std::string> methods = ContractMethods();
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
