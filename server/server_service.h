#ifndef DNS_SERVER_SERVER_SERVICE_H_
#define DNS_SERVER_SERVER_SERVICE_H_

#include "dns/v1/server_service.grpc.pb.h"
#include "server/server_manager.h"

namespace dns {

// Thin handlers: decode, call ServerManager, encode. The API key of a
// request is never logged, never echoed, and never enters a request
// fingerprint as such (the store adds a keyed digest of it).
class ServerServiceImpl final : public v1::ServerService::Service {
 public:
  explicit ServerServiceImpl(ServerManager& manager) : manager_(manager) {}

  grpc::Status RegisterServer(grpc::ServerContext* context,
                              const v1::RegisterServerRequest* request,
                              v1::Server* response) override;
  grpc::Status GetServer(grpc::ServerContext* context, const v1::GetServerRequest* request,
                         v1::Server* response) override;
  grpc::Status ListServers(grpc::ServerContext* context, const v1::ListServersRequest* request,
                           v1::ListServersResponse* response) override;
  grpc::Status UpdateServer(grpc::ServerContext* context,
                            const v1::UpdateServerRequest* request,
                            v1::Server* response) override;
  grpc::Status DeregisterServer(grpc::ServerContext* context,
                                const v1::DeregisterServerRequest* request,
                                google::protobuf::Empty* response) override;

 private:
  ServerManager& manager_;
};

}  // namespace dns

#endif  // DNS_SERVER_SERVER_SERVICE_H_
