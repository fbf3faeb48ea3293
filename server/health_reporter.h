// Watches the database and flips grpc.health.v1 status: NOT_SERVING while
// PostgreSQL is unreachable, so Kubernetes stops sending traffic.
#ifndef DNS_SERVER_HEALTH_REPORTER_H_
#define DNS_SERVER_HEALTH_REPORTER_H_

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/zone_store.h"

namespace dns {

class HealthReporter {
 public:
  // `publish(serving)` is called at start and on every change.
  HealthReporter(ZoneStore& store, absl::Duration interval, std::function<void(bool)> publish);
  ~HealthReporter();  // stops the thread

  // One check now; returns whether the database answered.
  bool CheckOnce();

 private:
  void Run();

  ZoneStore& store_;
  const absl::Duration interval_;
  std::function<void(bool)> publish_;
  int last_ = -1;  // -1 unknown, 0 not serving, 1 serving; only the thread writes
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace dns

#endif  // DNS_SERVER_HEALTH_REPORTER_H_
