// Pushes one zone's pending changes to one API-mode PowerDNS server: a PATCH
// of the RRsets the journal says changed since what the server has
// (coalesced, DELETEs before REPLACEs, the SOA last), a POST for a zone the
// server lacks, a DELETE for a deleted zone, and a full sync (create, or make
// the existing zone equal RRset by RRset) when the journal does not reach
// back far enough or the server lost the zone.
#ifndef DNS_SERVER_PROPAGATION_API_PUSHER_H_
#define DNS_SERVER_PROPAGATION_API_PUSHER_H_

#include "absl/status/status.h"
#include "client/pdns_client.h"
#include "server/core/weighted_gate.h"
#include "storage/propagation_store.h"
#include "storage/zone_store.h"

namespace dns {

class ApiPusher {
 public:
  // `full_syncs` bounds the RRsets of full pushes being worked on at once.
  ApiPusher(PropagationStore& store, ZoneStore& zones, WeightedGate& full_syncs)
      : store_(store), zones_(zones), full_syncs_(full_syncs) {}

  // OK once the server holds the task's desired serial (or no longer holds
  // a deleted zone). `did_full_sync` says whether the whole zone was sent.
  //
  // After a failed try (`task.attempts` > 0) the serial is read back: a
  // request that timed out may still be acted on late (a frozen server
  // works off its queue when it resumes) and overwrite newer content with
  // older; if so the whole zone is sent again.
  absl::Status Push(pdns::PdnsClient& client, const PropagationTask& task,
                    const pdns::CallContext& ctx, bool* did_full_sync);

 private:
  // `pushed_serial`: the serial of the SOA that was sent (0: nothing sent).
  absl::Status PushOnce(pdns::PdnsClient& client, const PropagationTask& task,
                        const pdns::CallContext& ctx, bool* did_full_sync,
                        uint32_t* pushed_serial);
  absl::Status FullSync(pdns::PdnsClient& client, const PropagationTask& task,
                        const pdns::CallContext& ctx, uint32_t* pushed_serial);
  // OK when the server answers `serial` or a later one.
  absl::Status ServerHas(pdns::PdnsClient& client, const std::string& zone, uint32_t serial,
                         const pdns::CallContext& ctx);

  PropagationStore& store_;
  ZoneStore& zones_;
  WeightedGate& full_syncs_;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_API_PUSHER_H_
