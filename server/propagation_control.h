// What the domain logic needs from propagation: start it after a commit,
// optionally wait for it, and read where each server stands.
#ifndef DNS_SERVER_PROPAGATION_CONTROL_H_
#define DNS_SERVER_PROPAGATION_CONTROL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

class PropagationControl {
 public:
  virtual ~PropagationControl() = default;

  // A write to `zone` committed: push it now.
  virtual void Kick(const std::string& zone, const std::string& request_id) = 0;
  // Waits for every server to reach `serial` (or drop a deleted zone), a
  // fresh failure, or the deadline; returns the states then.
  virtual std::vector<ServerPropagation> Wait(const std::string& zone, uint32_t serial,
                                              bool deleted, absl::Time deadline) = 0;
  virtual absl::StatusOr<std::vector<ServerPropagation>> State(const std::string& zone) = 0;
  // Forces a push / re-confirmation on the named servers (all when empty);
  // returns the zone's serial.
  virtual absl::StatusOr<uint32_t> RequestSync(const std::string& zone,
                                               const std::vector<std::string>& servers) = 0;
  // Every RRset of `zone` as the registered server `server` has it (for
  // adopting existing zones).
  virtual absl::StatusOr<std::vector<RRset>> FetchZone(const std::string& server,
                                                       const std::string& zone,
                                                       const std::string& request_id) = 0;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_CONTROL_H_
