// Waits for a committed write to reach the fleet without holding a thread or
// asking the database while it waits: it reads each server's state once,
// then follows the propagation events of its zone on the event hub (from
// this replica's workers and, through LISTEN/NOTIFY, from every other one),
// and answers when every server is settled, at the deadline, or when dnsd
// shuts down.
#ifndef DNS_SERVER_PROPAGATION_PROPAGATION_WAITER_H_
#define DNS_SERVER_PROPAGATION_PROPAGATION_WAITER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/model.h"
#include "server/core/event_hub.h"
#include "server/core/timer_queue.h"

namespace dns {

// Whether every server in `states` is done with a write of `serial` (or
// the deletion of the zone) made at `since`: serving that serial or a later
// one (even while a newer write is still on its way there: a zone written
// without pause is never IN_SYNC, yet each write reaches it), in
// maintenance (skipped), or failed twice since the write. The
// recovery retries a failed push within about a second, so a passing fault
// (a busy SQLite backend, a dropped connection) is waited out, while a
// lasting one (a server down, a rejected key or record) is reported.
bool PropagationSettled(const std::vector<ServerPropagation>& states, uint32_t serial,
                        bool deleted, absl::Time since);

// The states as the write's caller sees them: a server serving the write's
// serial or a later one is in sync for it, whatever newer write is pending.
std::vector<ServerPropagation> AsSeenByWrite(std::vector<ServerPropagation> states,
                                             uint32_t serial, bool deleted);

struct WaitRequest {
  std::string zone;
  uint32_t serial = 0;
  bool deleted = false;
  // When the write committed (failures older than this do not count).
  absl::Time since;
  absl::Time deadline;
};

using WaitDone = std::function<void(std::vector<ServerPropagation>)>;
// Reads the zone's propagation state (once at the start, and again after
// the hub said events may have been missed).
using StateReader = std::function<absl::StatusOr<std::vector<ServerPropagation>>()>;

// Calls `done` exactly once, on whichever thread settles the wait (a
// worker's, the timer's, the caller's): it must be quick.
void WaitForPropagation(EventHub& hub, TimerQueue& timers, WaitRequest request,
                        StateReader read_state, WaitDone done);

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_PROPAGATION_WAITER_H_
