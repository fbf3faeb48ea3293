// Confirms a change on a SHARED_DB server: the server reads the database
// (or a replica of it), so the write itself was the propagation. What is
// left is to purge the server's cache for the zone and to ask it over DNS
// until it answers the new SOA serial (a replica may lag behind).
#ifndef DNS_SERVER_PROPAGATION_SHARED_DB_CONFIRMER_H_
#define DNS_SERVER_PROPAGATION_SHARED_DB_CONFIRMER_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/clock.h"
#include "client/dns_prober.h"
#include "client/pdns_client.h"
#include "common/model.h"
#include "storage/propagation_store.h"

namespace dns {

struct ConfirmOptions {
  // How long one attempt asks the server for the new serial.
  absl::Duration confirm_timeout = absl::Seconds(3);
  absl::Duration probe_timeout = absl::Seconds(1);
};

class SharedDbConfirmer {
 public:
  SharedDbConfirmer(DnsProber& prober, std::shared_ptr<Clock> clock = RealClock(),
                    ConfirmOptions options = {})
      : prober_(prober), clock_(std::move(clock)), options_(options) {}

  // OK once `server` answers the task's desired serial for its zone; for a
  // deleted zone once the cache is purged (a server keeps a deleted zone in
  // its zone cache until zone-cache-refresh-interval: nothing to confirm).
  absl::Status Confirm(const Server& server, pdns::PdnsClient& client,
                       const PropagationTask& task, const pdns::CallContext& ctx);

 private:
  DnsProber& prober_;
  const std::shared_ptr<Clock> clock_;
  const ConfirmOptions options_;
};

}  // namespace dns

#endif  // DNS_SERVER_PROPAGATION_SHARED_DB_CONFIRMER_H_
