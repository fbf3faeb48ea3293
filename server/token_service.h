#ifndef DNS_SERVER_TOKEN_SERVICE_H_
#define DNS_SERVER_TOKEN_SERVICE_H_

#include "dns/v1/token_service.grpc.pb.h"
#include "server/auth/token_admin.h"
#include "server/rpc_runner.h"

namespace dns {

// Thin handlers over TokenAdmin (admin role only, by the role table).
class TokenServiceImpl final : public v1::TokenService::CallbackService {
 public:
  TokenServiceImpl(TokenAdmin& admin, RpcRunner& runner) : admin_(admin), runner_(runner) {}

  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const v1::CreateTokenRequest* request,
                                        v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const v1::ListTokensRequest* request,
                                       v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const v1::RevokeTokenRequest* request,
                                        v1::Token* response) override;

 private:
  TokenAdmin& admin_;
  RpcRunner& runner_;
};

// The stored token as the API shows it (never its secret or digest).
void TokenToProto(const TokenInfo& token, v1::Token* proto);

}  // namespace dns

#endif  // DNS_SERVER_TOKEN_SERVICE_H_
