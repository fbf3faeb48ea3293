#include "client/pdns_client_pool.h"

#include <utility>

namespace dns::pdns {

PdnsClientPool::PdnsClientPool() : PdnsClientPool(Options{}) {}

PdnsClientPool::PdnsClientPool(Options options)
    : client_defaults_(std::move(options.client_defaults)),
      factory_(options.factory ? std::move(options.factory)
                               : Factory(&MakeHttpPdnsClient)),
      executor_(options.executor) {}

PdnsClientPool::~PdnsClientPool() {
  // Runs everything queued before the clients go: pending calls resolve
  // (with an error if they could no longer start) instead of hanging.
  executor_.Shutdown();
}

absl::Status PdnsClientPool::Upsert(const ServerConfig& config) {
  {
    absl::MutexLock lock(&mu_);
    auto it = clients_.find(config.name);
    if (it != clients_.end() && it->second.config == config) {
      return absl::OkStatus();
    }
  }
  return Install(config, client_defaults_);
}

absl::Status PdnsClientPool::Upsert(const ServerConfig& config,
                                    const ClientOptions& options) {
  return Install(config, options);
}

absl::Status PdnsClientPool::Install(const ServerConfig& config,
                                     const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<PdnsClient>> client =
      factory_(config, options, executor_);
  if (!client.ok()) return client.status();
  std::shared_ptr<PdnsClient> old;
  {
    absl::MutexLock lock(&mu_);
    Entry& entry = clients_[config.name];
    old = std::move(entry.client);
    entry = Entry{config, *std::move(client)};
  }
  // `old` is released outside the lock; its running calls hold their own
  // reference.
  return absl::OkStatus();
}

void PdnsClientPool::AbortAll() {
  std::vector<std::shared_ptr<PdnsClient>> all = List();
  for (const auto& client : all) client->Abort();
}

void PdnsClientPool::Remove(const std::string& name) {
  std::shared_ptr<PdnsClient> old;
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(name);
  if (it == clients_.end()) return;
  old = std::move(it->second.client);
  clients_.erase(it);
}

std::shared_ptr<PdnsClient> PdnsClientPool::Get(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = clients_.find(name);
  return it == clients_.end() ? nullptr : it->second.client;
}

std::vector<std::shared_ptr<PdnsClient>> PdnsClientPool::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<PdnsClient>> out;
  out.reserve(clients_.size());
  for (const auto& [name, entry] : clients_) out.push_back(entry.client);
  return out;
}

std::vector<std::shared_ptr<PdnsClient>> PdnsClientPool::Select(
    const std::vector<std::string>& names) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<PdnsClient>> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    auto it = clients_.find(name);
    out.push_back(it == clients_.end() ? nullptr : it->second.client);
  }
  return out;
}

}  // namespace dns::pdns
