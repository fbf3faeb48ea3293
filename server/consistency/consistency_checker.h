// Compares the truth with PowerDNS servers. Zones are read from the truth a
// page at a time and each page is checked on a server before the next is
// read, so memory stays bounded by the page, the server's zone list
// (summary fields, API servers) and the findings handed out, whatever the
// number of zones.
//
// API servers: their zone list (one call) gives missing and extra zones and
// serials; depth CONTENT fetches each zone present on both and compares its
// RRsets after normalisation. SHARED_DB servers serve the truth's own
// tables: a SOA question per zone over DNS tells whether the server answers
// the zone and at which serial (a lagging standby, a stale cache).
#ifndef DNS_SERVER_CONSISTENCY_CONSISTENCY_CHECKER_H_
#define DNS_SERVER_CONSISTENCY_CONSISTENCY_CHECKER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/dns_prober.h"
#include "client/pdns_client.h"
#include "common/consistency.h"
#include "storage/consistency_store.h"

namespace dns {

// The fleet as the checker sees it.
struct FleetAccess {
  std::function<std::vector<Server>()> servers;
  // Null when the server is unknown.
  std::function<std::shared_ptr<pdns::PdnsClient>(const std::string&)> client;
};

struct CheckRequest {
  std::string server;  // empty: every registered server
  ConsistencyScope scope;
  ConsistencyDepth depth = ConsistencyDepth::kSerials;
  std::string request_id;  // for the PowerDNS calls' logs
};

struct CheckerOptions {
  int zones_per_page = 500;
  // SOA questions in flight per SHARED_DB server.
  int dns_parallelism = 32;
  absl::Duration probe_timeout = absl::Seconds(2);
  // Servers checked at once.
  int server_parallelism = 4;
  // A server whose first answers all fail this many times in a row is not
  // asked about every other zone: it is reported once as not readable.
  int give_up_after = 20;
};

class ConsistencyChecker {
 public:
  // Gets each server's findings of one page (never empty); false stops the
  // check (the caller went away). Called from one thread at a time.
  using Sink = std::function<bool(std::vector<Finding>)>;

  ConsistencyChecker(ConsistencyStore& store, FleetAccess fleet, DnsProber& prober,
                     CheckerOptions options = {})
      : store_(store), fleet_(std::move(fleet)), prober_(prober), options_(options) {}

  // NOT_FOUND for an unknown server; a server that cannot be read is a
  // CHECK_FAILED finding and an incomplete summary entry, not an error.
  absl::StatusOr<CheckSummary> Check(const CheckRequest& request, const Sink& sink);

 private:
  class ServerRun;

  ConsistencyStore& store_;
  const FleetAccess fleet_;
  DnsProber& prober_;
  const CheckerOptions options_;
};

// RFC 1982 order of `theirs` against `truth`: <0 behind, 0 equal, >0 ahead.
int CompareSerials(uint32_t theirs, uint32_t truth);

}  // namespace dns

#endif  // DNS_SERVER_CONSISTENCY_CONSISTENCY_CHECKER_H_
