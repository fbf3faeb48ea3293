#include "server/write_reply.h"

#include "common/status_details.h"

namespace dns {

absl::StatusOr<WriteOptions> WriteOptionsFor(const CallInfo& call,
                                             const google::protobuf::Duration& wait,
                                             const std::string& field) {
  if (wait.seconds() < 0 || wait.nanos() < 0 || wait.nanos() >= 1000000000) {
    return InvalidField(field, "must be a non-negative duration");
  }
  if (wait.seconds() > 3600) return InvalidField(field, "must be at most one hour");
  WriteOptions w;
  w.request_id = call.request_id;
  w.wait = absl::Seconds(wait.seconds()) + absl::Nanoseconds(wait.nanos());
  w.deadline = call.deadline;
  return w;
}

void ReplyAfterPropagation(PropagationControl* propagation, const WriteOptions& w,
                           const std::string& zone, uint32_t serial, bool deleted,
                           absl::Time since,
                           std::function<void(const std::vector<ServerPropagation>&)> fill,
                           Reply reply) {
  if (propagation == nullptr || w.wait <= absl::ZeroDuration()) {
    reply(absl::OkStatus());
    return;
  }
  propagation->WaitAsync(zone, serial, deleted, since, std::min(absl::Now() + w.wait, w.deadline),
                         [fill = std::move(fill), reply](std::vector<ServerPropagation> states) {
                           fill(states);
                           reply(absl::OkStatus());
                         });
}

}  // namespace dns
