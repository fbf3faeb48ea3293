#include "server/audit_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "google/protobuf/util/time_util.h"
#include "server/proto_convert.h"
#include "server/write_reply.h"

namespace dns {
namespace {

using google::protobuf::util::TimeUtil;

absl::StatusOr<absl::Time> TimeOf(const google::protobuf::Timestamp& t, const char* field) {
  // RFC 3339's range: 0001-01-01 to 9999-12-31.
  if (t.seconds() < TimeUtil::kTimestampMinSeconds || t.seconds() > TimeUtil::kTimestampMaxSeconds ||
      t.nanos() < 0 || t.nanos() > 999999999) {
    return InvalidField(field, "is not a valid timestamp");
  }
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

std::string IdText(int64_t id) { return id == 0 ? "" : absl::StrCat(id); }

}  // namespace

void AuditEntryToProto(const AuditEntry& e, bool with_rrsets, v1::AuditEntry* proto) {
  proto->set_id(absl::StrCat(e.id));
  *proto->mutable_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(e.time));
  proto->set_actor(e.origin.actor);
  proto->set_client_subject(e.origin.client_subject);
  proto->set_rpc(e.origin.rpc);
  proto->set_request_id(e.origin.request_id);
  proto->set_peer(e.origin.peer);
  proto->set_zone(e.zone);
  proto->set_account(e.account);
  proto->set_target(e.target);
  if (e.serial_before) proto->set_serial_before(*e.serial_before);
  if (e.serial_after) proto->set_serial_after(*e.serial_after);
  for (const auto& [name, type] : e.keys) proto->add_changed_rrsets(absl::StrCat(name, " ", type));
  if (with_rrsets) {
    for (const RRset& r : e.rrsets_before) RRsetToProto(r, proto->add_rrsets_before());
    for (const RRset& r : e.rrsets_after) RRsetToProto(r, proto->add_rrsets_after());
  }
  proto->set_details_json(e.details);
  proto->set_reverts(IdText(e.origin.reverts));
  proto->set_reverted_by(IdText(e.reverted_by));
}

grpc::ServerUnaryReactor* AuditServiceImpl::ListAuditEntries(
    grpc::CallbackServerContext* context, const v1::ListAuditEntriesRequest* request,
    v1::ListAuditEntriesResponse* response) {
  return runner_.Serve(context, "ListAuditEntries", [this, request, response](
                                                        const CallInfo& call, Reply reply) {
    AuditQuery query;
    query.page_size = request->page_size();
    query.page_token = request->page_token();
    query.filter.zone = request->zone();
    query.filter.account = request->account();
    query.filter.actor = request->actor();
    query.filter.rpc = request->rpc();
    if (request->has_start_time()) {
      absl::StatusOr<absl::Time> t = TimeOf(request->start_time(), "start_time");
      if (!t.ok()) return reply(t.status());
      query.filter.start = *t;
    }
    if (request->has_end_time()) {
      absl::StatusOr<absl::Time> t = TimeOf(request->end_time(), "end_time");
      if (!t.ok()) return reply(t.status());
      query.filter.end = *t;
    }
    absl::StatusOr<ListResult<AuditEntry>> listed = manager_.List(query, call.principal);
    if (!listed.ok()) return reply(listed.status());
    for (const AuditEntry& e : listed->items) AuditEntryToProto(e, false, response->add_entries());
    response->set_next_page_token(listed->next_page_token);
    reply(absl::OkStatus());
  });
}

grpc::ServerUnaryReactor* AuditServiceImpl::GetAuditEntry(grpc::CallbackServerContext* context,
                                                          const v1::GetAuditEntryRequest* request,
                                                          v1::AuditEntry* response) {
  return runner_.Serve(context, "GetAuditEntry", [this, request, response](const CallInfo& call,
                                                                           Reply reply) {
    absl::StatusOr<AuditEntry> entry = manager_.Get(request->id(), call.principal);
    if (entry.ok()) AuditEntryToProto(*entry, true, response);
    reply(entry.status());
  });
}

grpc::ServerUnaryReactor* AuditServiceImpl::RevertChange(grpc::CallbackServerContext* context,
                                                         const v1::RevertChangeRequest* request,
                                                         v1::RevertChangeResponse* response) {
  return runner_.Serve(context, "RevertChange", [this, request, response](const CallInfo& call,
                                                                          Reply reply) {
    absl::StatusOr<WriteRequest> write = DecodeWrite(call, *request);
    if (!write.ok()) return reply(write.status());
    absl::StatusOr<AuditEntry> entry = manager_.Get(request->id(), call.principal);
    if (!entry.ok()) return reply(entry.status());
    // The zone may have moved to an account outside the caller's scope.
    if (auto out = scope_.CheckZone(call.principal, entry->zone); !out.ok()) return reply(out);
    const absl::Time since = absl::Now();
    absl::StatusOr<RevertResult> reverted =
        manager_.Revert(*entry, request->force(), write->key, write->options);
    if (!reverted.ok()) return reply(reverted.status());
    const ChangeResult& result = reverted->change;
    response->set_zone(entry->zone);
    response->set_serial(result.serial);
    response->set_etag(result.etag);
    for (const RRsetChange& c : reverted->applied) {
      if (c.type == ChangeType::kReplace) {
        RRsetToProto(c.rrset, response->add_rrsets());
      } else {
        response->add_deleted_rrsets(absl::StrCat(c.rrset.name, " ", c.rrset.type));
      }
    }
    if (write->options.validate_only) return reply(absl::OkStatus());
    auto fill = [response](const std::vector<ServerPropagation>& states) {
      response->clear_propagation();
      for (const auto& p : states) PropagationToProto(p, response->add_propagation());
    };
    fill(result.propagation);
    ReplyAfterPropagation(manager_.propagation(), write->options, entry->zone, result.serial,
                          false, since, fill, reply);
  });
}

}  // namespace dns
