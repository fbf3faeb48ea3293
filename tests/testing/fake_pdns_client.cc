#include "tests/testing/fake_pdns_client.h"

#include <algorithm>
#include <deque>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/pdns_json.h"

namespace dns::pdns {
namespace {

std::string Key(const std::string& zone) {
  return absl::AsciiStrToLower(Absolute(zone));
}

// SOA content "mname rname serial refresh retry expire minimum".
uint32_t SerialFromRRsets(const std::vector<RRset>& rrsets, uint32_t fallback) {
  for (const RRset& r : rrsets) {
    if (r.type != "SOA" || r.records.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(r.records.front().content, ' ', absl::SkipEmpty());
    uint32_t serial = 0;
    if (fields.size() >= 3 && absl::SimpleAtoi(fields[2], &serial)) return serial;
  }
  return fallback;
}

bool InZone(const std::string& name, const std::string& zone_key) {
  const std::string n = absl::AsciiStrToLower(Absolute(name));
  return n == zone_key || absl::EndsWith(n, absl::StrCat(".", zone_key)) ||
         zone_key == ".";
}

}  // namespace

struct FakePdnsClient::State {
  std::string server_name;
  mutable absl::Mutex mu;
  std::map<std::string, ZoneInfo> zones ABSL_GUARDED_BY(mu);
  std::vector<RecordedCall> calls ABSL_GUARDED_BY(mu);
  std::map<std::string, std::deque<absl::Status>> fail_next ABSL_GUARDED_BY(mu);
  std::map<std::string, int> overtake_next ABSL_GUARDED_BY(mu);
  // Per method: calls that timed out and take effect after the next one.
  std::map<std::string, std::vector<absl::AnyInvocable<void()>>> late ABSL_GUARDED_BY(mu);
  absl::Status fail_all ABSL_GUARDED_BY(mu);
  absl::Duration latency ABSL_GUARDED_BY(mu) = absl::ZeroDuration();
  bool aborted ABSL_GUARDED_BY(mu) = false;
  std::string version ABSL_GUARDED_BY(mu) = "4.7.3";
  Statistics statistics ABSL_GUARDED_BY(mu) = {{"uptime", "1"}};

  absl::Status Injected(const std::string& method) {
    absl::MutexLock lock(&mu);
    if (!fail_all.ok()) return fail_all;
    auto it = fail_next.find(method);
    if (it == fail_next.end() || it->second.empty()) return absl::OkStatus();
    absl::Status s = std::move(it->second.front());
    it->second.pop_front();
    return s;
  }

  absl::Status NotFound(const std::string& zone) const {
    return absl::NotFoundError(absl::StrCat("pdns server ", server_name,
                                            ": zone ", Absolute(zone),
                                            " not found"));
  }
};

namespace {

// Records the call, then answers it now or after the configured latency.
template <typename R, typename State>
std::future<R> Dispatch(const std::shared_ptr<State>& state,
                        FakePdnsClient::RecordedCall call,
                        absl::AnyInvocable<R(State&)> apply) {
  auto promise = std::make_shared<std::promise<R>>();
  std::future<R> future = promise->get_future();
  absl::Duration latency;
  {
    absl::MutexLock lock(&state->mu);
    state->calls.push_back(call);
    latency = state->latency;
  }
  auto finish = [state, method = std::move(call.method),
                 apply = std::move(apply), promise]() mutable {
    {
      absl::MutexLock lock(&state->mu);
      if (state->aborted) {
        promise->set_value(R(absl::CancelledError("abandoned: the client was aborted")));
        return;
      }
    }
    absl::Status injected = state->Injected(method);
    if (!injected.ok()) {
      promise->set_value(R(std::move(injected)));
      return;
    }
    std::vector<absl::AnyInvocable<void()>> late;
    {
      absl::MutexLock lock(&state->mu);
      auto it = state->overtake_next.find(method);
      if (it != state->overtake_next.end() && it->second > 0) {
        --it->second;
        state->late[method].push_back(
            [state, apply = std::move(apply)]() mutable { (void)apply(*state); });
        promise->set_value(R(absl::DeadlineExceededError("timed out (no answer)")));
        return;
      }
      late.swap(state->late[method]);
    }
    R result = apply(*state);
    for (auto& f : late) f();
    promise->set_value(std::move(result));
  };
  if (latency <= absl::ZeroDuration()) {
    finish();
  } else {
    std::thread([state, finish = std::move(finish), latency]() mutable {
      {
        // Aborting the client ends the wait at once.
        absl::MutexLock lock(&state->mu);
        auto aborted = [&state]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
          return state->aborted;
        };
        state->mu.AwaitWithTimeout(absl::Condition(&aborted), latency);
      }
      finish();
    }).detach();
  }
  return future;
}

}  // namespace

FakePdnsClient::FakePdnsClient(std::string server_name)
    : server_name_(std::move(server_name)), state_(std::make_shared<State>()) {
  state_->server_name = server_name_;
}

FakePdnsClient::~FakePdnsClient() = default;

void FakePdnsClient::FailNext(const std::string& method, absl::Status status,
                              int times) {
  absl::MutexLock lock(&state_->mu);
  for (int i = 0; i < times; ++i) state_->fail_next[method].push_back(status);
}

void FakePdnsClient::OvertakeNext(const std::string& method) {
  absl::MutexLock lock(&state_->mu);
  ++state_->overtake_next[method];
}

void FakePdnsClient::FailAll(absl::Status status) {
  absl::MutexLock lock(&state_->mu);
  state_->fail_all = std::move(status);
}

void FakePdnsClient::Abort() {
  absl::MutexLock lock(&state_->mu);
  state_->aborted = true;
}

void FakePdnsClient::SetLatency(absl::Duration latency) {
  absl::MutexLock lock(&state_->mu);
  state_->latency = latency;
}

void FakePdnsClient::SetVersion(std::string version) {
  absl::MutexLock lock(&state_->mu);
  state_->version = std::move(version);
}

void FakePdnsClient::SetStatistics(Statistics statistics) {
  absl::MutexLock lock(&state_->mu);
  state_->statistics = std::move(statistics);
}

void FakePdnsClient::PutZone(ZoneInfo zone) {
  zone.name = Absolute(zone.name);
  if (zone.id.empty()) zone.id = ZoneIdFromName(zone.name);
  zone.serial = SerialFromRRsets(zone.rrsets, zone.serial);
  absl::MutexLock lock(&state_->mu);
  state_->zones[Key(zone.name)] = std::move(zone);
}

std::optional<ZoneInfo> FakePdnsClient::FindZone(const std::string& zone) const {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->zones.find(Key(zone));
  if (it == state_->zones.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> FakePdnsClient::ZoneNames() const {
  absl::MutexLock lock(&state_->mu);
  std::vector<std::string> names;
  for (const auto& [key, zone] : state_->zones) names.push_back(zone.name);
  return names;
}

std::vector<FakePdnsClient::RecordedCall> FakePdnsClient::calls() const {
  absl::MutexLock lock(&state_->mu);
  return state_->calls;
}

std::vector<FakePdnsClient::RecordedCall> FakePdnsClient::CallsOf(
    const std::string& method) const {
  absl::MutexLock lock(&state_->mu);
  std::vector<RecordedCall> out;
  for (const RecordedCall& c : state_->calls) {
    if (c.method == method) out.push_back(c);
  }
  return out;
}

void FakePdnsClient::ClearCalls() {
  absl::MutexLock lock(&state_->mu);
  state_->calls.clear();
}

std::future<absl::StatusOr<ServerInfo>> FakePdnsClient::AsyncGetServerInfo(
    const CallContext& ctx) {
  return Dispatch<absl::StatusOr<ServerInfo>, State>(
      state_, {"GetServerInfo", "", ctx.request_id, {}, std::nullopt},
      [](State& s) -> absl::StatusOr<ServerInfo> {
        absl::MutexLock lock(&s.mu);
        return ServerInfo{"localhost", "authoritative", s.version};
      });
}

std::future<absl::StatusOr<Statistics>> FakePdnsClient::AsyncGetStatistics(
    const CallContext& ctx) {
  return Dispatch<absl::StatusOr<Statistics>, State>(
      state_, {"GetStatistics", "", ctx.request_id, {}, std::nullopt},
      [](State& s) -> absl::StatusOr<Statistics> {
        absl::MutexLock lock(&s.mu);
        return s.statistics;
      });
}

std::future<absl::StatusOr<std::vector<ZoneInfo>>>
FakePdnsClient::AsyncListZones(const CallContext& ctx) {
  return Dispatch<absl::StatusOr<std::vector<ZoneInfo>>, State>(
      state_, {"ListZones", "", ctx.request_id, {}, std::nullopt},
      [](State& s) -> absl::StatusOr<std::vector<ZoneInfo>> {
        absl::MutexLock lock(&s.mu);
        std::vector<ZoneInfo> out;
        for (const auto& [key, zone] : s.zones) {
          ZoneInfo summary = zone;
          summary.rrsets.clear();  // as with GET .../zones
          out.push_back(std::move(summary));
        }
        return out;
      });
}

std::future<absl::StatusOr<ZoneInfo>> FakePdnsClient::AsyncGetZone(
    const CallContext& ctx, const std::string& zone) {
  return Dispatch<absl::StatusOr<ZoneInfo>, State>(
      state_, {"GetZone", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [zone](State& s) -> absl::StatusOr<ZoneInfo> {
        absl::MutexLock lock(&s.mu);
        auto it = s.zones.find(Key(zone));
        if (it == s.zones.end()) return s.NotFound(zone);
        return it->second;
      });
}

std::future<absl::StatusOr<ZoneInfo>> FakePdnsClient::AsyncCreateZone(
    const CallContext& ctx, const CreateZoneRequest& request) {
  return Dispatch<absl::StatusOr<ZoneInfo>, State>(
      state_,
      {"CreateZone", Absolute(request.name), ctx.request_id, {}, request},
      [request](State& s) -> absl::StatusOr<ZoneInfo> {
        const std::string key = Key(request.name);
        for (const RRset& r : request.rrsets) {
          if (!InZone(r.name, key)) {
            return absl::InvalidArgumentError(
                absl::StrCat("pdns server ", s.server_name, ": HTTP 422: RRset ",
                             r.name, " IN ", r.type, ": Name is out of zone"));
          }
        }
        absl::MutexLock lock(&s.mu);
        if (s.zones.contains(key)) {
          return absl::AlreadyExistsError(
              absl::StrCat("pdns server ", s.server_name, ": HTTP 409: Domain '",
                           Absolute(request.name), "' already exists"));
        }
        ZoneInfo zone;
        zone.name = Absolute(request.name);
        zone.id = ZoneIdFromName(zone.name);
        zone.kind = request.kind;
        zone.masters = request.masters;
        zone.account = request.account;
        zone.soa_edit_api = request.soa_edit_api;
        zone.api_rectify = request.api_rectify;
        zone.rrsets = request.rrsets;
        if (!request.nameservers.empty()) {
          RRset ns{zone.name, "NS", 3600, {}};
          for (const std::string& n : request.nameservers) {
            ns.records.push_back(Record{n, false});
          }
          zone.rrsets.push_back(std::move(ns));
        }
        zone.serial = SerialFromRRsets(zone.rrsets, 0);
        s.zones[key] = zone;
        return zone;
      });
}

std::future<absl::Status> FakePdnsClient::AsyncDeleteZone(
    const CallContext& ctx, const std::string& zone) {
  return Dispatch<absl::Status, State>(
      state_, {"DeleteZone", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [zone](State& s) -> absl::Status {
        absl::MutexLock lock(&s.mu);
        if (s.zones.erase(Key(zone)) == 0) return s.NotFound(zone);
        return absl::OkStatus();
      });
}

std::future<absl::Status> FakePdnsClient::AsyncPatchRRsets(
    const CallContext& ctx, const std::string& zone,
    const std::vector<RRsetChange>& changes) {
  return Dispatch<absl::Status, State>(
      state_,
      {"PatchRRsets", Absolute(zone), ctx.request_id, changes, std::nullopt},
      [zone, changes](State& s) -> absl::Status {
        const std::string key = Key(zone);
        absl::MutexLock lock(&s.mu);
        auto it = s.zones.find(key);
        if (it == s.zones.end()) return s.NotFound(zone);
        for (const RRsetChange& c : changes) {
          if (!InZone(c.rrset.name, key)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "pdns server ", s.server_name, ": HTTP 422: RRset ",
                c.rrset.name, " IN ", c.rrset.type, ": Name is out of zone"));
          }
        }
        std::vector<RRset>& rrsets = it->second.rrsets;
        auto erase = [&rrsets](const RRset& target) {
          const std::string name = absl::AsciiStrToLower(target.name);
          rrsets.erase(std::remove_if(rrsets.begin(), rrsets.end(),
                                      [&](const RRset& r) {
                                        return absl::AsciiStrToLower(r.name) ==
                                                   name &&
                                               r.type == target.type;
                                      }),
                       rrsets.end());
        };
        // As the HTTP client sends them: all DELETEs, then all REPLACEs.
        for (const RRsetChange& c : changes) {
          if (c.type == ChangeType::kDelete) erase(c.rrset);
        }
        for (const RRsetChange& c : changes) {
          if (c.type != ChangeType::kReplace) continue;
          erase(c.rrset);
          if (!c.rrset.records.empty()) rrsets.push_back(c.rrset);
        }
        it->second.serial = SerialFromRRsets(rrsets, it->second.serial);
        return absl::OkStatus();
      });
}

std::future<absl::StatusOr<int64_t>> FakePdnsClient::AsyncFlushCache(
    const CallContext& ctx, const std::string& zone) {
  return Dispatch<absl::StatusOr<int64_t>, State>(
      state_, {"FlushCache", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [](State&) -> absl::StatusOr<int64_t> { return 0; });
}

std::future<absl::Status> FakePdnsClient::AsyncNotifyZone(
    const CallContext& ctx, const std::string& zone) {
  return Dispatch<absl::Status, State>(
      state_, {"NotifyZone", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [zone](State& s) -> absl::Status {
        absl::MutexLock lock(&s.mu);
        if (!s.zones.contains(Key(zone))) return s.NotFound(zone);
        return absl::OkStatus();
      });
}

std::future<absl::Status> FakePdnsClient::AsyncUpdateZoneAttributes(
    const CallContext& ctx, const std::string& zone, const ZoneAttributes& attrs) {
  return Dispatch<absl::Status, State>(
      state_, {"UpdateZoneAttributes", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [zone, attrs](State& s) -> absl::Status {
        absl::MutexLock lock(&s.mu);
        auto it = s.zones.find(Key(zone));
        if (it == s.zones.end()) return s.NotFound(zone);
        it->second.kind = attrs.kind;
        it->second.masters = attrs.masters;
        it->second.soa_edit_api = attrs.soa_edit_api;
        return absl::OkStatus();
      });
}

std::future<absl::Status> FakePdnsClient::AsyncRectifyZone(
    const CallContext& ctx, const std::string& zone) {
  return Dispatch<absl::Status, State>(
      state_, {"RectifyZone", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [zone](State& s) -> absl::Status {
        absl::MutexLock lock(&s.mu);
        if (!s.zones.contains(Key(zone))) return s.NotFound(zone);
        return absl::OkStatus();
      });
}

std::future<absl::StatusOr<std::string>> FakePdnsClient::AsyncExportZone(
    const CallContext& ctx, const std::string& zone) {
  return Dispatch<absl::StatusOr<std::string>, State>(
      state_, {"ExportZone", Absolute(zone), ctx.request_id, {}, std::nullopt},
      [zone](State& s) -> absl::StatusOr<std::string> {
        absl::MutexLock lock(&s.mu);
        auto it = s.zones.find(Key(zone));
        if (it == s.zones.end()) return s.NotFound(zone);
        std::string text;
        for (const RRset& r : it->second.rrsets) {
          for (const Record& rec : r.records) {
            if (rec.disabled) continue;
            absl::StrAppend(&text, r.name, "\t", r.ttl, "\tIN\t", r.type, "\t",
                            rec.content, "\n");
          }
        }
        return text;
      });
}

}  // namespace dns::pdns
