// Helpers for tests that talk to a real dnsd over gRPC.
#ifndef DNS_TESTS_INTEGRATION_GRPC_TEST_UTIL_H_
#define DNS_TESTS_INTEGRATION_GRPC_TEST_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "dns/v1/record_service.grpc.pb.h"
#include "dns/v1/zone_service.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/support/dnsd_process.h"
#include "tests/support/postgres_server.h"

namespace dns::testing {

// google.rpc details decoded from a failed call.
struct ErrorDetails {
  std::string reason;
  std::map<std::string, std::string> violations;  // field -> description
  std::map<std::string, std::string> metadata;    // ErrorInfo.metadata
};

inline ErrorDetails DetailsOf(const grpc::Status& status) {
  ErrorDetails out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&info)) {
      out.reason = info.reason();
      out.metadata.insert(info.metadata().begin(), info.metadata().end());
    }
    if (any.UnpackTo(&bad)) {
      for (const auto& v : bad.field_violations()) out.violations[v.field()] = v.description();
    }
  }
  return out;
}

inline std::unique_ptr<grpc::ClientContext> Context(const std::string& request_id = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  // Ride out a dnsd restart (tests kill it) instead of failing fast.
  context->set_wait_for_ready(true);
  if (!request_id.empty()) context->AddMetadata("x-request-id", request_id);
  return context;
}

// One PostgreSQL and one dnsd for a whole test binary.
class DnsdEnvironment {
 public:
  static DnsdEnvironment& Get() {
    static DnsdEnvironment* env = new DnsdEnvironment();
    return *env;
  }

  void Start(std::vector<std::string> extra_flags = {}) {
    if (dnsd_) return;
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    ASSERT_TRUE(pg_->CreateDatabase("dns").ok());
    std::vector<std::string> flags = {"--default_nameservers=ns1.example.net.,ns2.example.net.",
                                      "--min_ttl=60"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    auto dnsd = DnsdProcess::Start(DNSD_PATH, pg_->Url("dns"), flags);
    ASSERT_TRUE(dnsd.ok()) << dnsd.status();
    dnsd_ = *std::move(dnsd);
    channel_ = grpc::CreateChannel(dnsd_->target(), grpc::InsecureChannelCredentials());
  }

  void Stop() {
    dnsd_.reset();
    pg_.reset();
  }

  PostgresServer& pg() { return *pg_; }
  DnsdProcess& dnsd() { return *dnsd_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

 private:
  std::unique_ptr<PostgresServer> pg_;
  std::unique_ptr<DnsdProcess> dnsd_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace dns::testing

#endif  // DNS_TESTS_INTEGRATION_GRPC_TEST_UTIL_H_
