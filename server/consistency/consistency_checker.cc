#include "server/consistency/consistency_checker.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/host_port.h"
#include "common/status_details.h"
#include "server/consistency/rrset_normalizer.h"

namespace dns {

int CompareSerials(uint32_t theirs, uint32_t truth) {
  const int32_t d = static_cast<int32_t>(theirs - truth);
  return d < 0 ? -1 : (d > 0 ? 1 : 0);
}

namespace {

bool InScope(const std::string& zone, const ConsistencyScope& scope,
             const std::set<std::string>& names) {
  if (!names.empty() && names.count(zone) == 0) return false;
  return scope.name_prefix.empty() || absl::StartsWith(zone, scope.name_prefix);
}

}  // namespace

// One server's part of a check.
class ConsistencyChecker::ServerRun {
 public:
  ServerRun(ConsistencyChecker& checker, const Server& server, const CheckRequest& request,
            const std::function<bool(std::vector<Finding>)>& emit)
      : c_(checker), server_(server), request_(request), emit_(emit) {
    summary_.server = server.name;
    summary_.mode = server.mode;
    summary_.depth = server.mode == ServerMode::kSharedDb
                         ? std::min(request.depth, ConsistencyDepth::kSerials)
                         : request.depth;
    ctx_.request_id = request.request_id;
  }

  ServerCheckSummary Run() {
    const absl::Time start = absl::Now();
    Go();
    summary_.duration = absl::Now() - start;
    return summary_;
  }

 private:
  void Go() {
    const bool api = server_.mode == ServerMode::kApi;
    if (api) {
      client_ = c_.fleet_.client(server_.name);
      if (client_ == nullptr) return Fail("no client for the server");
      ctx_.deadline = absl::Now() + absl::Minutes(2);
      absl::StatusOr<std::vector<pdns::ZoneInfo>> zones = client_->ListZones(ctx_);
      if (!zones.ok()) return Fail(absl::StrCat("zone list: ", zones.status().message()));
      const std::set<std::string> names(request_.scope.zones.begin(), request_.scope.zones.end());
      for (const pdns::ZoneInfo& z : *zones) {
        if (InScope(z.name, request_.scope, names)) theirs_[z.name] = z.serial;
      }
    } else {
      address_ = ParseIpHostPort(server_.dns_address, 53);
      if (!address_) {
        return Fail(absl::StrCat("no usable DNS address '", server_.dns_address, "'"));
      }
    }
    std::string after;
    for (;;) {
      absl::StatusOr<Page<ZoneSerial>> page =
          c_.store_.ListZoneSerials(request_.scope, after, c_.options_.zones_per_page);
      if (!page.ok()) return Fail(absl::StrCat("reading the truth: ", page.status().message()));
      if (page->items.empty()) break;
      after = page->items.back().name;
      if (!CheckPage(page->items)) return;
      if (!page->more) break;
    }
    if (api && request_.scope.CoversExtraZones()) {
      std::vector<Finding> extra;
      for (const auto& [zone, serial] : theirs_) {
        Finding f = Make(zone, FindingKind::kZoneExtra, 0, serial, "not in the truth");
        f.propagation = PropagationState::kInSync;
        extra.push_back(std::move(f));
        if (extra.size() == 500 && !Emit(std::move(extra))) return;
      }
      if (!extra.empty()) Emit(std::move(extra));
      summary_.zones_differing += static_cast<int64_t>(theirs_.size());
    }
  }

  // False: stop (the caller went away, or the server cannot be read).
  bool CheckPage(const std::vector<ZoneSerial>& zones) {
    summary_.zones_checked += static_cast<int64_t>(zones.size());
    std::vector<std::string> names;
    for (const ZoneSerial& z : zones) names.push_back(z.name);
    absl::StatusOr<std::map<std::string, ZonePropagation>> rows =
        c_.store_.GetServerPropagation(server_.name, names);
    if (!rows.ok()) {
      Fail(absl::StrCat("reading propagation: ", rows.status().message()));
      return false;
    }
    rows_ = *std::move(rows);
    std::vector<Finding> found;
    std::vector<std::string> present;  // on both: content compared
    if (server_.mode == ServerMode::kApi) {
      for (const ZoneSerial& z : zones) {
        auto it = theirs_.find(z.name);
        if (it == theirs_.end()) {
          found.push_back(Make(z.name, FindingKind::kZoneMissing, z.serial, 0, "not on the server"));
          continue;
        }
        SerialFinding(z, it->second, &found);
        present.push_back(z.name);
        theirs_.erase(it);
      }
    } else if (!ProbePage(zones, &found)) {
      return false;
    }
    if (summary_.depth == ConsistencyDepth::kContent && !present.empty()) {
      CompareContent(present, zones, &found);
    }
    std::set<std::string> differing;
    for (const Finding& f : found) differing.insert(f.zone);
    summary_.zones_differing += static_cast<int64_t>(differing.size());
    return found.empty() || Emit(std::move(found));
  }

  bool ProbePage(const std::vector<ZoneSerial>& zones, std::vector<Finding>* found) {
    std::vector<absl::StatusOr<ProbeResult>> answers(zones.size(),
                                                     absl::UnknownError("not asked"));
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < zones.size(); i = next++) {
        answers[i] = c_.prober_.QuerySoaSerial(address_->host, address_->port, zones[i].name,
                                               c_.options_.probe_timeout);
      }
    };
    const int threads = static_cast<int>(
        std::min<size_t>(std::max(1, c_.options_.dns_parallelism), zones.size()));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (size_t i = 0; i < zones.size(); ++i) {
      const absl::StatusOr<ProbeResult>& a = answers[i];
      if (a.ok() && a->soa_serial) {
        answered_ = true;
        SerialFinding(zones[i], *a->soa_serial, found);
        continue;
      }
      const bool missing = absl::IsNotFound(a.status()) ||
                           absl::IsFailedPrecondition(a.status());  // NXDOMAIN, no SOA, REFUSED
      if (missing) {
        answered_ = true;
        found->push_back(Make(zones[i].name, FindingKind::kZoneMissing, zones[i].serial, 0,
                              absl::StrCat("DNS: ", a.status().message())));
        continue;
      }
      if (!answered_ && ++failures_ >= c_.options_.give_up_after) {
        Fail(absl::StrCat("no DNS answer from ", server_.dns_address, ": ",
                          a.status().message()));
        return false;
      }
      found->push_back(Make(zones[i].name, FindingKind::kCheckFailed, zones[i].serial, 0,
                            absl::StrCat("DNS: ", a.status().message())));
    }
    return true;
  }

  void CompareContent(const std::vector<std::string>& present,
                      const std::vector<ZoneSerial>& zones, std::vector<Finding>* found) {
    absl::StatusOr<std::map<std::string, std::vector<RRset>>> truth =
        c_.store_.GetRRsetsOfZones(present);
    if (!truth.ok()) {
      for (const std::string& z : present) {
        found->push_back(Make(z, FindingKind::kCheckFailed, 0, 0,
                              absl::StrCat("reading the truth: ", truth.status().message())));
      }
      return;
    }
    std::map<std::string, uint32_t> serials;
    for (const ZoneSerial& z : zones) serials[z.name] = z.serial;
    // The client bounds the calls in flight; all are queued at once.
    ctx_.deadline = absl::Now() + absl::Minutes(2);
    std::vector<std::future<absl::StatusOr<pdns::ZoneInfo>>> calls;
    calls.reserve(present.size());
    for (const std::string& z : present) calls.push_back(client_->AsyncGetZone(ctx_, z));
    for (size_t i = 0; i < present.size(); ++i) {
      const std::string& zone = present[i];
      absl::StatusOr<pdns::ZoneInfo> theirs = calls[i].get();
      auto ours = truth->find(zone);
      if (ours == truth->end()) continue;  // deleted from the truth meanwhile
      if (absl::IsNotFound(theirs.status())) {
        found->push_back(Make(zone, FindingKind::kZoneMissing, serials[zone], 0,
                              "deleted from the server during the check"));
        continue;
      }
      if (!theirs.ok()) {
        found->push_back(Make(zone, FindingKind::kCheckFailed, serials[zone], 0,
                              absl::StrCat("zone read: ", theirs.status().message())));
        continue;
      }
      for (RRsetDifference& d : DiffRRsets(ours->second, theirs->rrsets)) {
        Finding f = Make(zone, d.kind, serials[zone], theirs->serial, d.detail);
        f.truth_rrset = std::move(d.truth);
        f.server_rrset = std::move(d.server);
        found->push_back(std::move(f));
      }
    }
  }

  void SerialFinding(const ZoneSerial& zone, uint32_t theirs, std::vector<Finding>* found) {
    if (summary_.depth == ConsistencyDepth::kZones) return;
    const int order = CompareSerials(theirs, zone.serial);
    if (order == 0) return;
    found->push_back(Make(zone.name,
                          order < 0 ? FindingKind::kSerialBehind : FindingKind::kSerialAhead,
                          zone.serial, theirs,
                          absl::StrCat("serial ", theirs, order < 0 ? " behind " : " ahead of ",
                                       zone.serial)));
  }

  Finding Make(const std::string& zone, FindingKind kind, uint32_t truth, uint32_t theirs,
               std::string detail) {
    Finding f;
    f.server = server_.name;
    f.zone = zone;
    f.kind = kind;
    f.truth_serial = truth;
    f.server_serial = theirs;
    f.detail = std::move(detail);
    auto row = rows_.find(zone);
    if (row == rows_.end()) {
      f.propagation = PropagationState::kPending;
    } else {
      f.propagation = row->second.state;
      f.pending_since = row->second.pending_since;
    }
    return f;
  }

  void Fail(const std::string& error) {
    summary_.complete = false;
    summary_.error = error;
    Finding f;
    f.server = server_.name;
    f.kind = FindingKind::kCheckFailed;
    f.detail = error;
    Emit({std::move(f)});
  }

  bool Emit(std::vector<Finding> findings) {
    summary_.findings += static_cast<int64_t>(findings.size());
    return emit_(std::move(findings));
  }

  ConsistencyChecker& c_;
  const Server server_;
  const CheckRequest& request_;
  const std::function<bool(std::vector<Finding>)>& emit_;
  ServerCheckSummary summary_;
  pdns::CallContext ctx_;
  std::shared_ptr<pdns::PdnsClient> client_;
  std::optional<HostPort> address_;
  std::map<std::string, uint32_t> theirs_;  // API: the server's zones not yet matched
  std::map<std::string, ZonePropagation> rows_;  // the page's propagation rows
  bool answered_ = false;
  int failures_ = 0;
};

absl::StatusOr<CheckSummary> ConsistencyChecker::Check(const CheckRequest& request,
                                                       const Sink& sink) {
  const absl::Time start = absl::Now();
  std::vector<Server> servers = fleet_.servers();
  if (!request.server.empty()) {
    servers.erase(std::remove_if(servers.begin(), servers.end(),
                                 [&](const Server& s) { return s.name != request.server; }),
                  servers.end());
    if (servers.empty()) {
      return WithReason(absl::NotFoundError(absl::StrCat("server ", request.server,
                                                         " is not registered")),
                        "SERVER_NOT_FOUND");
    }
  }
  absl::Mutex mu;
  bool stopped = false;
  std::function<bool(std::vector<Finding>)> emit = [&](std::vector<Finding> findings) {
    absl::MutexLock lock(&mu);
    if (stopped) return false;
    if (!sink(std::move(findings))) stopped = true;
    return !stopped;
  };
  std::vector<ServerCheckSummary> results(servers.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < servers.size(); i = next++) {
      results[i] = ServerRun(*this, servers[i], request, emit).Run();
    }
  };
  const int threads =
      static_cast<int>(std::min<size_t>(std::max(1, options_.server_parallelism), servers.size()));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  {
    absl::MutexLock lock(&mu);
    if (stopped) return absl::CancelledError("the check was stopped");
  }
  CheckSummary summary;
  summary.depth = request.depth;
  for (const ServerCheckSummary& s : results) {
    summary.findings += s.findings;
    summary.zones_in_scope = std::max(summary.zones_in_scope, s.zones_checked);
  }
  summary.servers = std::move(results);
  summary.duration = absl::Now() - start;
  return summary;
}

}  // namespace dns
