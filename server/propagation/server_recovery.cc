#include "server/propagation/server_recovery.h"

#include <future>

#include "absl/time/clock.h"
#include "common/logging.h"

namespace dns {

ServerRecovery::ServerRecovery(ServerDirectory& directory,
                               std::function<void(const std::string&)> on_back,
                               RecoveryOptions options)
    : directory_(directory),
      on_back_(std::move(on_back)),
      options_(std::move(options)),
      probes_(Executor::Options{std::max(1, options_.threads), 1024}) {}

ServerRecovery::~ServerRecovery() { Stop(); }

void ServerRecovery::Failed(const std::string& server) {
  absl::MutexLock lock(&mu_);
  failing_.insert(server);
}

void ServerRecovery::Succeeded(const std::string& server) {
  absl::MutexLock lock(&mu_);
  failing_.erase(server);
}

std::vector<std::string> ServerRecovery::failing() {
  absl::MutexLock lock(&mu_);
  return {failing_.begin(), failing_.end()};
}

std::vector<std::string> ServerRecovery::ProbeOnce() {
  struct Probe {
    std::string name;
    std::future<absl::StatusOr<pdns::ServerInfo>> answer;
  };
  std::vector<Probe> probes;
  std::vector<std::shared_ptr<pdns::PdnsClient>> keep;
  for (const std::string& name : failing()) {
    std::optional<ServerDirectory::Entry> entry = directory_.Find(name);
    if (!entry) {
      Succeeded(name);  // deregistered: nothing to recover
      continue;
    }
    // A one-off client without the shared one's breaker and retries: the
    // point is to notice a recovery before the breaker would let a call by.
    pdns::ClientOptions options;
    options.circuit_breaker.failure_threshold = 0;
    options.retry.max_attempts = 1;
    options.connect_timeout = options_.probe_timeout;
    options.read_timeout = options_.probe_timeout;
    pdns::ServerConfig config{entry->server.name, entry->server.api_url, entry->server.api_key};
    absl::StatusOr<std::shared_ptr<pdns::PdnsClient>> client =
        options_.client_factory ? options_.client_factory(config, options, probes_)
                                : pdns::MakeHttpPdnsClient(config, options, probes_);
    if (!client.ok()) continue;
    pdns::CallContext ctx;
    ctx.deadline = absl::Now() + options_.probe_timeout * 2;
    probes.push_back(Probe{name, (*client)->AsyncGetServerInfo(ctx)});
    keep.push_back(*std::move(client));
  }
  std::vector<std::string> back;
  for (Probe& probe : probes) {
    if (!probe.answer.get().ok()) continue;
    Log(spdlog::level::info, "server answers again: catching up", {{"server", probe.name}});
    Succeeded(probe.name);
    back.push_back(probe.name);
    on_back_(probe.name);
  }
  return back;
}

void ServerRecovery::Start() {
  thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        mu_.AwaitWithTimeout(absl::Condition(&stop), options_.probe_every);
        if (stopping_) return;
      }
      ProbeOnce();
    }
  });
}

void ServerRecovery::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  probes_.Shutdown();
}

}  // namespace dns
