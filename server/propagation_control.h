// What the domain logic needs from propagation: start it after a commit,
// wait for it (without a thread), and read where each server stands.
#ifndef DNS_SERVER_PROPAGATION_CONTROL_H_
#define DNS_SERVER_PROPAGATION_CONTROL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

class PropagationControl {
 public:
  using WaitDone = std::function<void(std::vector<ServerPropagation>)>;

  virtual ~PropagationControl() = default;

  // A write to `zone` committed (on behalf of the call `request_id`): push
  // it, here or on another replica; at once when `caller_waits` for it,
  // else once the zone's hold has passed (a busy zone's changes coalesce).
  virtual void Kick(const std::string& zone, const std::string& request_id,
                    bool caller_waits) = 0;
  // Many zones committed at once (too many to name): every replica sweeps
  // for due work now.
  virtual void KickAll() = 0;
  // Calls `done` once every server has `serial` (or dropped a deleted
  // zone), failed twice since `since`, or at `deadline`, with the states
  // then. Holds no thread while it waits; `done` must be quick.
  virtual void WaitAsync(const std::string& zone, uint32_t serial, bool deleted,
                         absl::Time since, absl::Time deadline, WaitDone done) = 0;
  virtual absl::StatusOr<std::vector<ServerPropagation>> State(const std::string& zone) = 0;
  // Forces a push / re-confirmation on the named servers (all when empty);
  // returns the zone's serial.
  virtual absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                               const std::vector<std::string>& servers) = 0;
  // Every RRset of `zone` as the registered server `server` has it (for
  // adopting existing zones).
  virtual absl::StatusOr<std::vector<RRset>> FetchZone(const std::string& server,
                                                       const std::string& zone,
                                                       const std::string& request_id,
                                                       absl::Time deadline) = 0;

  // WaitAsync, blocking the calling thread (tools and tests).
  std::vector<ServerPropagation> Wait(const std::string& zone, uint32_t serial, bool deleted,
                                      absl::Time since, absl::Time deadline) {
    auto result = std::make_shared<std::vector<ServerPropagation>>();
    auto done = std::make_shared<absl::Notification>();
    WaitAsync(zone, serial, deleted, since, deadline,
              [result, done](std::vector<ServerPropagation> states) {
                *result = std::move(states);
                done->Notify();
              });
    done->WaitForNotification();
    return *result;
  }
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_CONTROL_H_
