// The last-resort guard of every handler: an exception escaping the domain
// logic becomes INTERNAL with a log line carrying the request id, and the
// server goes on serving.
#include <grpcpp/grpcpp.h>

#include <sstream>
#include <stdexcept>

#include "dns/v1/zone_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/call_observer.h"
#include "common/logging.h"
#include "server/zone_manager.h"
#include "server/zone_service.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace dns {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Throws from every read, as a bug deep in the domain logic would.
class ThrowingZoneStore : public ZoneStore {
 public:
  absl::Status Ping(absl::Time) override { return absl::OkStatus(); }
  absl::StatusOr<Zone> CreateZone(const NewZone&, const RequestKey&) override {
    throw std::bad_alloc();
  }
  absl::StatusOr<Zone> GetZone(const std::string&) override {
    throw std::out_of_range("basic_string::substr: __pos (which is 8) > this->size() (which is 7)");
  }
  absl::StatusOr<Page<Zone>> ListZones(const ZoneFilter&, const std::string&, int) override {
    throw 42;  // not even a std::exception
  }
  absl::StatusOr<Zone> UpdateZone(const std::string&, const ZoneUpdate&, const Expectations&,
                                  const RequestKey&) override {
    return absl::UnimplementedError("");
  }
  absl::Status DeleteZone(const std::string&, const Expectations&, const RequestKey&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> GetZoneWithRRsets(
      const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<Page<RRset>> ListRRsets(const std::string&, const RRsetFilter&,
                                         const std::string&, const std::string&, int) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<RRset> GetRRset(const std::string&, const std::string&,
                                 const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<RRset>> GetRRsets(
      const std::string&, const std::vector<std::pair<std::string, std::string>>&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ChangeResult> ChangeRRsets(const std::string&, const std::vector<RRsetChange>&,
                                            const Expectations&, const RequestKey&,
                                            bool) override {
    return absl::UnimplementedError("");
  }
};

class RpcGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZoneDefaults defaults;
    defaults.nameservers = {"ns1.example.net."};
    manager_ = std::make_unique<ZoneManager>(store_, defaults);
    runner_ = std::make_unique<RpcRunner>(RpcRunner::Options{});
    scope_ = std::make_unique<ScopeGuard>(store_);
    service_ = std::make_unique<ZoneServiceImpl>(*manager_, *runner_, *scope_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
    observers.push_back(std::make_unique<CallObserverFactory>(nullptr));
    builder.experimental().SetInterceptorCreators(std::move(observers));
    server_ = builder.BuildAndStart();
    stub_ = v1::ZoneService::NewStub(server_->InProcessChannel({}));
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    ASSERT_TRUE(ConfigureLogging("info", "json").ok());
  }
  void TearDown() override {
    server_->Shutdown();
    spdlog::set_default_logger(previous_);
  }

  static std::unique_ptr<grpc::ClientContext> WithId(const std::string& id) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("x-request-id", id);
    return context;
  }

  ThrowingZoneStore store_;
  std::unique_ptr<ZoneManager> manager_;
  std::unique_ptr<RpcRunner> runner_;
  std::unique_ptr<ScopeGuard> scope_;
  std::unique_ptr<ZoneServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::ZoneService::Stub> stub_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(RpcGuardTest, EscapedExceptionIsInternalWithTheRequestIdLogged) {
  v1::GetZoneRequest req;
  req.set_zone("example.com");
  v1::Zone zone;
  grpc::Status st = stub_->GetZone(WithId("req-guard-1").get(), req, &zone);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(st.error_message(), HasSubstr("req-guard-1"));
  // What went wrong inside stays in the log.
  EXPECT_THAT(st.error_message(), Not(HasSubstr("substr")));
  const std::string log = log_.str();
  EXPECT_THAT(log, HasSubstr(R"("msg":"unexpected exception in a handler")"));
  EXPECT_THAT(log, HasSubstr(R"("request_id":"req-guard-1")"));
  EXPECT_THAT(log, HasSubstr("basic_string::substr"));
  EXPECT_THAT(log, HasSubstr(R"("code":"INTERNAL")"));  // the access line too
}

TEST_F(RpcGuardTest, AnyThrownValueIsCaughtAndTheServerGoesOn) {
  v1::ListZonesRequest list;
  v1::ListZonesResponse zones;
  grpc::Status st = stub_->ListZones(WithId("req-guard-2").get(), list, &zones);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_THAT(log_.str(), HasSubstr(R"("request_id":"req-guard-2")"));

  v1::CreateZoneRequest create;
  create.mutable_zone()->set_name("example.com");
  v1::Zone zone;
  st = stub_->CreateZone(WithId("req-guard-3").get(), create, &zone);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // Still serving.
  v1::GetZoneRequest get;
  get.set_zone("bad name!");
  st = stub_->GetZone(WithId("req-guard-4").get(), get, &zone);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace dns
