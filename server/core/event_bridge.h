// Carries the event hub's events between the replicas of dnsd: the events
// other replicas act on (a commit to push, propagation progress a waiting
// call follows, registry changes, released work) go out on a PostgreSQL
// LISTEN/NOTIFY channel, and what the others send comes in and is published
// on this replica's hub, marked remote.
#ifndef DNS_SERVER_CORE_EVENT_BRIDGE_H_
#define DNS_SERVER_CORE_EVENT_BRIDGE_H_

#include <memory>
#include <optional>
#include <string>

#include "server/core/event_hub.h"
#include "storage/pg_event_channel.h"

namespace dns {

// The wire form of an event: one line of JSON naming the sending replica.
// nullopt for events that stay local.
std::optional<std::string> EncodeEvent(const Event& event, const std::string& instance);
// nullopt for malformed lines and for the replica's own events.
std::optional<Event> DecodeEvent(const std::string& line, const std::string& instance);

class EventBridge {
 public:
  EventBridge(EventHub& hub, std::string instance, PgEventChannel::Options channel);
  ~EventBridge();  // Stop()

  void Start();
  void Stop();

 private:
  EventHub& hub_;
  const std::string instance_;
  PgEventChannel channel_;
  EventHub::Subscription subscription_;
};

}  // namespace dns

#endif  // DNS_SERVER_CORE_EVENT_BRIDGE_H_
