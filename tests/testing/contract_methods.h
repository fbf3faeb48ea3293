// Every RPC of every dns.v1 service, read from the generated descriptors:
// tests over "every RPC" cover a new one without being told of it.
#ifndef DNS_TESTS_TESTING_CONTRACT_METHODS_H_
#define DNS_TESTS_TESTING_CONTRACT_METHODS_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dns/v1/audit_service.pb.h"
#include "dns/v1/failover_service.pb.h"
#include "dns/v1/record_service.pb.h"
#include "dns/v1/server_service.pb.h"
#include "dns/v1/token_service.pb.h"
#include "dns/v1/zone_service.pb.h"

namespace dns::testing {

struct ContractMethod {
  std::string path;  // "/dns.v1.ZoneService/GetZone"
  std::string name;  // "GetZone"
};

inline std::vector<ContractMethod> ContractMethods() {
  std::vector<ContractMethod> out;
  for (const google::protobuf::FileDescriptor* file :
       {v1::CreateZoneRequest::descriptor()->file(), v1::ListRRsetsRequest::descriptor()->file(),
        v1::Server::descriptor()->file(), v1::FailoverScope::descriptor()->file(),
        v1::Token::descriptor()->file(), v1::AuditEntry::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        out.push_back({absl::StrCat("/", service->full_name(), "/", service->method(m)->name()),
                       service->method(m)->name()});
      }
    }
  }
  return out;
}

}  // namespace dns::testing

#endif  // DNS_TESTS_TESTING_CONTRACT_METHODS_H_
