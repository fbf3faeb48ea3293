// dnsd's HTTP port for operators and Kubernetes, apart from the gRPC one:
// GET /metrics (Prometheus text format), /healthz (the process runs) and
// /readyz (the database answers and the gRPC server serves).
#ifndef DNS_SERVER_METRICS_HTTP_H_
#define DNS_SERVER_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "server/core/metrics.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace dns {

class MetricsHttpServer {
 public:
  MetricsHttpServer(Metrics& metrics, std::function<bool()> ready);
  ~MetricsHttpServer();  // Stop()

  // Listens on "host:port" (port 0: any free one); returns the port.
  absl::StatusOr<int> Start(const std::string& listen);
  void Stop();

 private:
  Metrics& metrics_;
  const std::function<bool()> ready_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace dns

#endif  // DNS_SERVER_METRICS_HTTP_H_
