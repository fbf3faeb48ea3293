#include "server/propagation/server_directory.h"

#include "common/logging.h"

namespace dns {

ServerDirectory::ServerDirectory(ServerStore& store, pdns::PdnsClientPool& clients,
                                 std::shared_ptr<Clock> clock, absl::Duration refresh)
    : store_(store), clients_(clients), clock_(std::move(clock)), refresh_(refresh) {}

absl::Status ServerDirectory::Reload() {
  // One reload at a time, so one that read the registry earlier cannot
  // install its older view after one that read it later.
  absl::MutexLock reload_lock(&reload_mu_);
  absl::StatusOr<std::vector<Server>> servers = store_.ListServersWithKeys();
  if (!servers.ok()) {
    absl::MutexLock lock(&mu_);
    stale_ = true;
    return servers.status();
  }
  std::map<std::string, Server> by_name;
  for (const Server& s : *servers) {
    by_name[s.name] = s;
    absl::Status st = clients_.Upsert(pdns::ServerConfig{s.name, s.api_url, s.api_key});
    if (!st.ok()) {
      Log(spdlog::level::warn, "cannot make a PowerDNS client",
          {{"server", s.name}, {"error", std::string(st.message())}});
    }
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [name, unused] : servers_) {
    if (!by_name.count(name)) clients_.Remove(name);
  }
  servers_ = std::move(by_name);
  loaded_ = clock_->Now();
  stale_ = false;
  return absl::OkStatus();
}

void ServerDirectory::ReloadIfStale() {
  {
    absl::MutexLock lock(&mu_);
    if (!stale_ && clock_->Now() - loaded_ < refresh_) return;
  }
  absl::Status st = Reload();
  if (!st.ok()) {
    Log(spdlog::level::warn, "cannot load the servers", {{"error", std::string(st.message())}});
  }
}

std::optional<ServerDirectory::Entry> ServerDirectory::Find(const std::string& name) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      absl::MutexLock lock(&mu_);
      auto it = servers_.find(name);
      std::shared_ptr<pdns::PdnsClient> client = clients_.Get(name);
      if (it != servers_.end() && client) return Entry{it->second, std::move(client)};
    }
    if (attempt == 0) (void)Reload();
  }
  return std::nullopt;
}

std::vector<Server> ServerDirectory::Servers() {
  absl::MutexLock lock(&mu_);
  std::vector<Server> out;
  for (const auto& [name, server] : servers_) out.push_back(server);
  return out;
}

bool ServerDirectory::Empty() {
  absl::MutexLock lock(&mu_);
  return servers_.empty() && !stale_;
}

int ServerDirectory::size() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(servers_.size());
}

std::map<std::string, int> ServerDirectory::ClientLimits() {
  std::vector<std::string> names;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, server] : servers_) names.push_back(name);
  }
  std::map<std::string, int> out;
  for (const std::string& name : names) {
    std::shared_ptr<pdns::PdnsClient> client = clients_.Get(name);
    if (!client) continue;
    const int limit = client->stats().limit;
    if (limit > 0) out[name] = limit;
  }
  return out;
}

void ServerDirectory::ResetClient(const std::string& name) {
  std::optional<Server> server;
  {
    absl::MutexLock lock(&mu_);
    auto it = servers_.find(name);
    if (it != servers_.end()) server = it->second;
  }
  if (!server) return;
  (void)clients_.Upsert(pdns::ServerConfig{server->name, server->api_url, server->api_key},
                        clients_.client_defaults());
}

}  // namespace dns
