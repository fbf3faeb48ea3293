#include "server/propagation/shared_db_confirmer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/host_port.h"
#include "common/serial.h"

namespace dns {

absl::Status SharedDbConfirmer::Confirm(const Server& server, pdns::PdnsClient& client,
                                        const PropagationTask& task,
                                        const pdns::CallContext& ctx) {
  absl::StatusOr<int64_t> flushed = client.FlushCache(ctx, task.zone);
  if (!flushed.ok()) return flushed.status();
  if (task.zone_deleted) return absl::OkStatus();
  std::optional<HostPort> address = ParseIpHostPort(server.dns_address, 53);
  if (!address) {
    return absl::FailedPreconditionError(
        absl::StrCat("server ", server.name, " has no usable DNS address '", server.dns_address,
                     "'"));
  }
  const absl::Time until = std::min(clock_->Now() + options_.confirm_timeout, ctx.deadline);
  absl::Status last;
  for (int round = 0;; ++round) {
    absl::StatusOr<ProbeResult> probe =
        prober_.QuerySoaSerial(address->host, address->port, task.zone, options_.probe_timeout);
    if (probe.ok() && probe->soa_serial && SerialAtOrAfter(*probe->soa_serial, task.desired_serial)) {
      return absl::OkStatus();
    }
    last = probe.ok() ? absl::FailedPreconditionError(absl::StrCat(
                            "server answers serial ", probe->soa_serial.value_or(0), ", want ",
                            task.desired_serial))
                      : probe.status();
    if (clock_->Now() >= until) break;
    clock_->SleepFor(absl::Milliseconds(std::min(5 << std::min(round, 5), 100)));
    // A replica may have caught up after our flush: flush again now and then.
    if (round % 5 == 4) (void)client.FlushCache(ctx, task.zone);
  }
  return absl::UnavailableError(
      absl::StrCat("DNS check at ", server.dns_address, ": ", last.message()));
}

}  // namespace dns
