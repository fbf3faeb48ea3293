// How a write's call ends once it committed: at once, with the servers'
// states as they are, or — when the caller asked to wait for propagation —
// when the fleet has settled or the wait ran out, without a thread waiting.
#ifndef DNS_SERVER_WRITE_REPLY_H_
#define DNS_SERVER_WRITE_REPLY_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/model.h"
#include "google/protobuf/duration.pb.h"
#include "server/propagation_control.h"
#include "server/proto_convert.h"
#include "server/rpc_runner.h"
#include "server/zone_manager.h"

namespace dns {

// The write options of a call: wait up to `wait` (a negative or invalid
// duration is INVALID_ARGUMENT on `field`), never past the call's deadline.
absl::StatusOr<WriteOptions> WriteOptionsFor(const CallInfo& call,
                                             const google::protobuf::Duration& wait,
                                             const std::string& field = "propagation_timeout");

// What every write request carries: its request id (with the digest of
// the rest), how long to wait for propagation, and validate_only.
struct WriteRequest {
  RequestKey key;
  WriteOptions options;
};

template <typename Request>
absl::StatusOr<WriteRequest> DecodeWrite(const CallInfo& call, const Request& request) {
  absl::StatusOr<RequestKey> key = RequestKeyOf(request, request.request_id());
  if (!key.ok()) return key.status();
  key->origin = OriginOf(call, request.request_id());
  absl::StatusOr<WriteOptions> w = WriteOptionsFor(call, request.propagation_timeout());
  if (!w.ok()) return w.status();
  w->validate_only = request.validate_only();
  return WriteRequest{*std::move(key), *std::move(w)};
}

// Replies OK now (w.wait zero, or no fleet), or after waiting for `serial`
// of `zone` (the deletion when `deleted`) on every server; `fill` writes the
// states into the response first.
void ReplyAfterPropagation(PropagationControl* propagation, const WriteOptions& w,
                           const std::string& zone, uint32_t serial, bool deleted,
                           absl::Time since,
                           std::function<void(const std::vector<ServerPropagation>&)> fill,
                           Reply reply);

}  // namespace dns

#endif  // DNS_SERVER_WRITE_REPLY_H_
