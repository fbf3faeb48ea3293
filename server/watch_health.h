// The WatchHealth and WatchConsistency streams: a write reactor fed by HealthFeed. It holds no
// thread while it waits: the feed wakes it when an event is queued, a timer
// when a heartbeat is due, gRPC when a write completed. A subscriber that
// fell behind is finished with RESOURCE_EXHAUSTED carrying the last id it
// was sent; dnsd stopping finishes every stream with UNAVAILABLE carrying
// the same, so clients resume where they were.
#ifndef DNS_SERVER_WATCH_HEALTH_H_
#define DNS_SERVER_WATCH_HEALTH_H_

#include <grpcpp/grpcpp.h>

#include "dns/v1/server_service.grpc.pb.h"
#include "server/core/metrics.h"
#include "server/core/timer_queue.h"
#include "server/health/health_feed.h"
#include "server/rpc_runner.h"

namespace dns {

struct WatchHealthOptions {
  absl::Duration default_heartbeat = absl::Seconds(15);
};

// Starts one stream; the reactor deletes itself when the call is done.
grpc::ServerWriteReactor<v1::HealthEvent>* StartWatchHealth(
    grpc::CallbackServerContext* context, const v1::WatchHealthRequest* request,
    HealthFeed& feed, TimerQueue& timers, RpcRunner& runner, Metrics* metrics,
    const WatchHealthOptions& options);

// The WatchConsistency stream: the same feed, its consistency events.
grpc::ServerWriteReactor<v1::ConsistencyEvent>* StartWatchConsistency(
    grpc::CallbackServerContext* context, const v1::WatchConsistencyRequest* request,
    HealthFeed& feed, TimerQueue& timers, RpcRunner& runner, Metrics* metrics,
    const WatchHealthOptions& options);

}  // namespace dns

#endif  // DNS_SERVER_WATCH_HEALTH_H_
