#include "server/token_service.h"

#include "common/status_details.h"
#include "google/protobuf/util/time_util.h"

namespace dns {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Stamp(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

std::optional<Role> RoleFromProto(int role) {
  if (role < static_cast<int>(Role::kReader) || role > static_cast<int>(Role::kAdmin)) {
    return std::nullopt;
  }
  return static_cast<Role>(role);
}

}  // namespace

void TokenToProto(const TokenInfo& token, v1::Token* proto) {
  proto->set_name(token.name);
  proto->set_role(static_cast<v1::Role>(static_cast<int>(token.role)));
  for (const std::string& a : token.accounts) proto->add_accounts(a);
  *proto->mutable_create_time() = Stamp(token.create_time);
  if (token.last_use_time) *proto->mutable_last_use_time() = Stamp(*token.last_use_time);
  if (token.expire_time) *proto->mutable_expire_time() = Stamp(*token.expire_time);
  if (token.revoke_time) *proto->mutable_revoke_time() = Stamp(*token.revoke_time);
  proto->set_created_by(token.created_by);
}

grpc::ServerUnaryReactor* TokenServiceImpl::CreateToken(grpc::CallbackServerContext* context,
                                                        const v1::CreateTokenRequest* request,
                                                        v1::CreateTokenResponse* response) {
  return runner_.Serve(context, "CreateToken", [this, request, response](const CallInfo& call,
                                                                         Reply reply) {
    NewToken in;
    in.name = request->name();
    std::optional<Role> role = RoleFromProto(request->role());
    if (!role && request->role() != v1::ROLE_UNSPECIFIED) {
      return reply(InvalidField("role", "must be ROLE_READER, ROLE_EDITOR, ROLE_OPERATOR or ROLE_ADMIN"));
    }
    in.role = role.value_or(Role::kUnspecified);
    in.accounts.assign(request->accounts().begin(), request->accounts().end());
    if (request->has_ttl()) {
      const google::protobuf::Duration& d = request->ttl();
      if (d.seconds() < 0 || d.nanos() < 0) return reply(InvalidField("ttl", "must be positive"));
      in.ttl = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
    }
    in.created_by = call.principal.name;
    in.origin = OriginOf(call);
    absl::StatusOr<CreatedToken> created = admin_.Create(in);
    if (!created.ok()) return reply(created.status());
    TokenToProto(created->token, response->mutable_token());
    response->set_secret(created->secret);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* TokenServiceImpl::ListTokens(grpc::CallbackServerContext* context,
                                                       const v1::ListTokensRequest* request,
                                                       v1::ListTokensResponse* response) {
  return runner_.Serve(context, "ListTokens", [this, request, response](const CallInfo&,
                                                                        Reply reply) {
    absl::StatusOr<TokenList> listed =
        admin_.List(request->page_size(), request->page_token(), request->show_revoked());
    if (!listed.ok()) return reply(listed.status());
    for (const TokenInfo& t : listed->tokens) TokenToProto(t, response->add_tokens());
    response->set_next_page_token(listed->next_page_token);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* TokenServiceImpl::RevokeToken(grpc::CallbackServerContext* context,
                                                        const v1::RevokeTokenRequest* request,
                                                        v1::Token* response) {
  return runner_.Serve(context, "RevokeToken", [this, request, response](const CallInfo& call,
                                                                         Reply reply) {
    absl::StatusOr<TokenInfo> revoked = admin_.Revoke(request->name(), OriginOf(call));
    if (!revoked.ok()) return reply(revoked.status());
    TokenToProto(*revoked, response);
    reply(absl::OkStatus());
  });
}

}  // namespace dns
