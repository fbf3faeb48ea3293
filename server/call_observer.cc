#include "server/call_observer.h"

#include <grpcpp/server_context.h>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "server/request_id.h"
#include "common/logging.h"

namespace dns {
namespace {

constexpr char kRequestIdKey[] = "x-request-id";

// Caller-supplied ids go into logs and headers: keep them printable and short.
bool AcceptableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

std::string TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  switch (type) {
    case grpc::experimental::ServerRpcInfo::Type::UNARY:
      return "unary";
    case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unary";
}

class CallObserver : public grpc::experimental::Interceptor {
 public:
  CallObserver(grpc::experimental::ServerRpcInfo* info, Metrics* metrics)
      : info_(info), metrics_(metrics), start_(absl::Now()) {
    // "/dns.v1.ZoneService/GetZone" -> service, method.
    absl::string_view full = info->method() ? info->method() : "";
    if (!full.empty() && full.front() == '/') full.remove_prefix(1);
    const size_t slash = full.find('/');
    service_ = std::string(full.substr(0, slash));
    method_ = slash == absl::string_view::npos ? "" : std::string(full.substr(slash + 1));
    type_ = TypeName(info->type());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* metadata = methods->GetRecvInitialMetadata();
      auto it = metadata->find(kRequestIdKey);
      if (it != metadata->end() &&
          AcceptableRequestId(absl::string_view(it->second.data(), it->second.size()))) {
        request_id_.assign(it->second.data(), it->second.size());
      } else {
        request_id_ = NewRequestId();
        if (it != metadata->end()) metadata->erase(it);
        // The strings live in this interceptor, which lives as long as the
        // call: the handler reads the id from its client metadata.
        metadata->emplace(grpc::string_ref(kRequestIdKey), grpc::string_ref(request_id_));
      }
      if (metrics_ != nullptr) metrics_->RpcStarted(type_, service_, method_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdKey, RequestId());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finished(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  const std::string& RequestId() {
    if (request_id_.empty()) request_id_ = NewRequestId();
    return request_id_;
  }

  void Finished(const grpc::Status& status) {
    const absl::Duration elapsed = absl::Now() - start_;
    const int code = static_cast<int>(status.error_code());
    if (metrics_ != nullptr) metrics_->RpcHandled(type_, service_, method_, code, elapsed);
    const auto level = status.ok() ? spdlog::level::info
                       : (code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
                          code == grpc::StatusCode::DATA_LOSS)
                           ? spdlog::level::err
                           : spdlog::level::warn;
    if (!spdlog::should_log(level)) return;
    Log(level, "rpc",
        {{"request_id", RequestId()},
         {"method", absl::StrCat(service_, "/", method_)},
         {"peer", info_->server_context()->peer()},
         {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code))},
         {"duration_ms", absl::StrFormat("%.2f", absl::ToDoubleMilliseconds(elapsed))},
         {"error", status.error_message()}});
  }

  grpc::experimental::ServerRpcInfo* const info_;
  Metrics* const metrics_;
  const absl::Time start_;
  std::string service_;
  std::string method_;
  std::string type_;
  std::string request_id_;
};

}  // namespace

grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new CallObserver(info, metrics_);
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kRequestIdKey);
  if (it != metadata.end() &&
      AcceptableRequestId(absl::string_view(it->second.data(), it->second.size()))) {
    return std::string(it->second.data(), it->second.size());
  }
  return NewRequestId();
}

}  // namespace dns
