// A PostgreSQL LISTEN/NOTIFY channel between the replicas of dnsd: text
// messages out (batched onto one connection, sent after the fact, outside
// any write transaction so commits never queue on the notify lock) and in
// (on a second, dedicated connection). Messages are hints: one lost while
// the database is away costs a slow sweep's delay, never data.
#ifndef DNS_STORAGE_PG_EVENT_CHANNEL_H_
#define DNS_STORAGE_PG_EVENT_CHANNEL_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dns {

class PgEventChannel {
 public:
  struct Options {
    std::string url;
    std::string channel = "dnsv1_events";
    // Messages waiting to go out at most; the oldest are dropped beyond.
    size_t max_queued = 100000;
    // application_name of both connections (shows who they are).
    std::string application_name = "dnsd";
  };

  // `on_message(payload)` runs on the listening thread for every message
  // (this process's own included); `on_reconnect()` after the listening
  // connection was lost and made again (messages may have been missed).
  PgEventChannel(Options options, std::function<void(const std::string&)> on_message,
                 std::function<void()> on_reconnect);
  ~PgEventChannel();  // Stop()

  void Start();
  void Stop();

  // Queues `payload` (one line, well under 8000 bytes, PostgreSQL's limit)
  // to be sent; queued messages go out together.
  void Send(std::string payload);

  bool listening();

 private:
  void Listen();
  void SendLoop();

  const Options options_;
  const std::function<void(const std::string&)> on_message_;
  const std::function<void()> on_reconnect_;
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool listening_ ABSL_GUARDED_BY(mu_) = false;
  std::thread listener_;
  std::thread sender_;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_EVENT_CHANNEL_H_
