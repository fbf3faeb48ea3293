// An in-memory PowerDNS server behind the PdnsClient interface, for tests of
// code that drives PowerDNS (propagation, consistency, failover). It applies
// creates, deletes and RRset changes the way PowerDNS does, records every
// call, and can be told to fail or to be slow.
#ifndef DNS_TESTS_TESTING_FAKE_PDNS_CLIENT_H_
#define DNS_TESTS_TESTING_FAKE_PDNS_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/pdns_client.h"

namespace dns::pdns {

class FakePdnsClient final : public PdnsClient {
 public:
  struct RecordedCall {
    std::string method;  // the interface's name without "Async": "GetZone"
    std::string zone;    // absolute; empty for server-wide calls
    std::string request_id;
    std::vector<RRsetChange> changes;  // PatchRRsets only
    std::optional<CreateZoneRequest> create;  // CreateZone only
  };

  explicit FakePdnsClient(std::string server_name);
  ~FakePdnsClient() override;

  // ---- Test control; all thread-safe. ----

  // The next `times` calls of `method` ("PatchRRsets", ...) fail with
  // `status` without touching the zones.
  void FailNext(const std::string& method, absl::Status status, int times = 1);
  // The next call of `method` times out (DEADLINE_EXCEEDED) without effect
  // at first, and takes effect right after the following call of `method`
  // has: a frozen server working off its queue when it resumes, an older
  // request landing after a newer one.
  void OvertakeNext(const std::string& method);
  // Every call fails with `status` until called again with OK (a dead
  // server: UNAVAILABLE).
  void FailAll(absl::Status status);
  // Answers arrive after `latency`, from a background thread.
  void SetLatency(absl::Duration latency);
  void SetVersion(std::string version);
  void SetStatistics(Statistics statistics);

  // Puts a zone straight into the server, replacing any of that name; id and
  // serial (from the SOA RRset) are filled in when empty.
  void PutZone(ZoneInfo zone);
  std::optional<ZoneInfo> FindZone(const std::string& zone) const;
  std::vector<std::string> ZoneNames() const;
  std::vector<RecordedCall> calls() const;
  // Calls of one method, e.g. CallsOf("FlushCache").
  std::vector<RecordedCall> CallsOf(const std::string& method) const;
  void ClearCalls();

  // ---- PdnsClient ----
  const std::string& server_name() const override { return server_name_; }
  ClientStats stats() override { return ClientStats{}; }
  // Calls waiting out their latency end at once with CANCELLED, and every
  // later call too.
  void Abort() override;

  std::future<absl::StatusOr<ServerInfo>> AsyncGetServerInfo(
      const CallContext& ctx) override;
  std::future<absl::StatusOr<Statistics>> AsyncGetStatistics(
      const CallContext& ctx) override;
  std::future<absl::StatusOr<std::vector<ZoneInfo>>> AsyncListZones(
      const CallContext& ctx) override;
  std::future<absl::StatusOr<ZoneInfo>> AsyncGetZone(
      const CallContext& ctx, const std::string& zone) override;
  std::future<absl::StatusOr<ZoneInfo>> AsyncCreateZone(
      const CallContext& ctx, const CreateZoneRequest& request) override;
  std::future<absl::Status> AsyncDeleteZone(const CallContext& ctx,
                                            const std::string& zone) override;
  std::future<absl::Status> AsyncPatchRRsets(
      const CallContext& ctx, const std::string& zone,
      const std::vector<RRsetChange>& changes) override;
  std::future<absl::StatusOr<int64_t>> AsyncFlushCache(
      const CallContext& ctx, const std::string& zone) override;
  std::future<absl::Status> AsyncNotifyZone(const CallContext& ctx,
                                            const std::string& zone) override;
  std::future<absl::Status> AsyncUpdateZoneAttributes(const CallContext& ctx,
                                                      const std::string& zone,
                                                      const ZoneAttributes& attrs) override;
  std::future<absl::Status> AsyncRectifyZone(const CallContext& ctx,
                                             const std::string& zone) override;
  std::future<absl::StatusOr<std::string>> AsyncExportZone(
      const CallContext& ctx, const std::string& zone) override;

 private:
  struct State;

  const std::string server_name_;
  // Shared with delayed answers, which may outlive this object.
  std::shared_ptr<State> state_;
};

}  // namespace dns::pdns

#endif  // DNS_TESTS_TESTING_FAKE_PDNS_CLIENT_H_
