// Minimal in-memory registries for tests of the parts that read them: the
// servers (what propagation's directory loads) and zones (what the pusher
// reads). Calls the tests do not need answer UNIMPLEMENTED.
#ifndef DNS_TESTS_TESTING_FAKE_STORES_H_
#define DNS_TESTS_TESTING_FAKE_STORES_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/server_store.h"
#include "storage/zone_store.h"

namespace dns {

class FakeServerStore : public ServerStore {
 public:
  void Put(Server server) {
    absl::MutexLock lock(&mu_);
    servers_[server.name] = std::move(server);
  }
  void Remove(const std::string& name) {
    absl::MutexLock lock(&mu_);
    servers_.erase(name);
  }

  absl::StatusOr<Server> RegisterServer(const Server&, const RequestKey&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Server> GetServer(const std::string& name) override {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(name);
    if (it == servers_.end()) return absl::NotFoundError(name);
    Server s = it->second;
    s.api_key.clear();
    return s;
  }
  absl::StatusOr<Page<Server>> ListServers(const ServerFilter&, const std::string&, int) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Server> UpdateServer(const std::string&, const ServerUpdate&, const std::string&,
                                      const RequestKey&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeregisterServer(const std::string& name, const WriteOrigin&) override {
    Remove(name);
    return absl::OkStatus();
  }
  absl::Status RecordCheck(const std::string&, const ServerCheck&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Server>> ListServersWithKeys() override {
    absl::MutexLock lock(&mu_);
    std::vector<Server> out;
    for (const auto& [name, s] : servers_) out.push_back(s);
    return out;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, Server> servers_ ABSL_GUARDED_BY(mu_);
};

// Zones with their RRsets, read as the pusher reads them.
class FakeZoneStore : public ZoneStore {
 public:
  void Put(Zone zone, std::vector<RRset> rrsets) {
    absl::MutexLock lock(&mu_);
    const std::string name = zone.name;
    zones_[name] = {std::move(zone), std::move(rrsets)};
  }

  absl::Status Ping(absl::Time) override { return absl::OkStatus(); }
  absl::StatusOr<Zone> CreateZone(const NewZone&, const RequestKey&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Zone> GetZone(const std::string& name) override {
    absl::MutexLock lock(&mu_);
    auto it = zones_.find(name);
    if (it == zones_.end()) return absl::NotFoundError(name);
    return it->second.first;
  }
  absl::StatusOr<Page<Zone>> ListZones(const ZoneFilter&, const std::string&, int) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<Zone> UpdateZone(const std::string&, const ZoneUpdate&, const Expectations&,
                                  const RequestKey&) override {
    return absl::UnimplementedError("fake");
  }
  absl::Status DeleteZone(const std::string&, const Expectations&, const RequestKey&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::vector<RRset>> GetZoneRRsets(const std::string& zone) override {
    absl::MutexLock lock(&mu_);
    auto it = zones_.find(zone);
    if (it == zones_.end()) return absl::NotFoundError(zone);
    return it->second.second;
  }
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> GetZoneWithRRsets(
      const std::string& name) override {
    absl::MutexLock lock(&mu_);
    auto it = zones_.find(name);
    if (it == zones_.end()) return absl::NotFoundError(name);
    return it->second;
  }
  absl::StatusOr<Page<RRset>> ListRRsets(const std::string&, const RRsetFilter&,
                                         const std::string&, const std::string&, int) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<RRset> GetRRset(const std::string&, const std::string&,
                                 const std::string&) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::vector<RRset>> GetRRsets(
      const std::string& zone, const std::vector<std::pair<std::string, std::string>>& keys) override {
    absl::MutexLock lock(&mu_);
    auto it = zones_.find(zone);
    if (it == zones_.end()) return absl::NotFoundError(zone);
    std::vector<RRset> out;
    for (const RRset& r : it->second.second) {
      for (const auto& [name, type] : keys) {
        if (r.name == name && r.type == type) {
          out.push_back(r);
          break;
        }
      }
    }
    return out;
  }
  absl::StatusOr<ChangeResult> ChangeRRsets(const std::string&, const std::vector<RRsetChange>&,
                                            const Expectations&, const RequestKey&,
                                            bool) override {
    return absl::UnimplementedError("fake");
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::pair<Zone, std::vector<RRset>>> zones_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dns

#endif  // DNS_TESTS_TESTING_FAKE_STORES_H_
