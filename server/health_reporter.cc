#include "server/health_reporter.h"

#include "common/logging.h"

namespace dns {

HealthReporter::HealthReporter(ZoneStore& store, absl::Duration interval,
                               std::function<void(bool)> publish)
    : store_(store), interval_(interval), publish_(std::move(publish)) {
  CheckOnce();
  thread_ = std::thread([this] { Run(); });
}

HealthReporter::~HealthReporter() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool HealthReporter::CheckOnce() {
  absl::Status status = store_.Ping(absl::Now() + interval_);
  int now = status.ok() ? 1 : 0;
  if (now != last_) {
    Log(now ? spdlog::level::info : spdlog::level::err,
        now ? "database reachable: serving" : "database unreachable: not serving",
        {{"error", std::string(status.message())}});
    publish_(now == 1);
    last_ = now;
  }
  return now == 1;
}

void HealthReporter::Run() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) CheckOnce();
}

}  // namespace dns
