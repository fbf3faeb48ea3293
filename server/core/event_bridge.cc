#include "server/core/event_bridge.h"

#include "nlohmann/json.hpp"

namespace dns {
namespace {

using json = nlohmann::json;

const char* TypeCode(EventType type) {
  switch (type) {
    case EventType::kZoneCommitted:
      return "commit";
    case EventType::kPropagationProgress:
      return "progress";
    case EventType::kServersChanged:
      return "servers";
    case EventType::kWorkReleased:
      return "released";
    case EventType::kFailoverProgress:
      return "failover";
    case EventType::kBulkCommitted:
      return "bulk";
    default:
      return nullptr;  // stays on this replica
  }
}

std::optional<EventType> TypeFromCode(const std::string& code) {
  if (code == "commit") return EventType::kZoneCommitted;
  if (code == "progress") return EventType::kPropagationProgress;
  if (code == "servers") return EventType::kServersChanged;
  if (code == "released") return EventType::kWorkReleased;
  if (code == "failover") return EventType::kFailoverProgress;
  if (code == "bulk") return EventType::kBulkCommitted;
  // Sent by dnsv1.add_health_event() on commit.
  if (code == "health") return EventType::kHealthEvents;
  // Sent by the trigger on dnsv1.tokens on commit.
  if (code == "tokens") return EventType::kTokensChanged;
  return std::nullopt;
}

int StateCode(PropagationState state) { return static_cast<int>(state); }

}  // namespace

std::optional<std::string> EncodeEvent(const Event& event, const std::string& instance) {
  const char* type = TypeCode(event.type);
  if (type == nullptr || event.remote) return std::nullopt;
  json j = {{"i", instance}, {"t", type}};
  if (!event.zone.empty()) j["z"] = event.zone;
  if (!event.server.empty()) j["s"] = event.server;
  if (event.serial != 0) j["n"] = event.serial;
  if (event.type == EventType::kPropagationProgress) {
    const ServerPropagation& p = event.progress;
    j["p"] = {{"st", StateCode(p.state)},
              {"d", p.desired_serial},
              {"a", p.applied_serial},
              {"at", p.attempts},
              {"u", absl::ToUnixMicros(p.update_time)},
              {"e", p.last_error.substr(0, 300)}};
  }
  // Invalid UTF-8 (an error text quoting a peer) must not stop the event.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<Event> DecodeEvent(const std::string& line, const std::string& instance) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("t") || !j["t"].is_string()) {
    return std::nullopt;
  }
  if (j.value("i", "") == instance) return std::nullopt;
  std::optional<EventType> type = TypeFromCode(j["t"].get<std::string>());
  if (!type) return std::nullopt;
  Event event;
  event.type = *type;
  event.remote = true;
  event.zone = j.value("z", "");
  event.server = j.value("s", "");
  event.serial = j.value("n", 0u);
  if (*type == EventType::kPropagationProgress) {
    if (!j.contains("p") || !j["p"].is_object()) return std::nullopt;
    const json& p = j["p"];
    const int state = p.value("st", 0);
    if (state < 0 || state > StateCode(PropagationState::kSkipped)) return std::nullopt;
    event.progress.server = event.server;
    event.progress.state = static_cast<PropagationState>(state);
    event.progress.desired_serial = p.value("d", 0u);
    event.progress.applied_serial = p.value("a", 0u);
    event.progress.attempts = p.value("at", 0);
    event.progress.update_time = absl::FromUnixMicros(p.value("u", int64_t{0}));
    event.progress.last_error = p.value("e", "");
  }
  return event;
}

EventBridge::EventBridge(EventHub& hub, std::string instance, PgEventChannel::Options channel)
    : hub_(hub),
      instance_(std::move(instance)),
      channel_(
          std::move(channel),
          [this](const std::string& line) {
            if (std::optional<Event> event = DecodeEvent(line, instance_)) hub_.Publish(*event);
          },
          [this] {
            Event resync;
            resync.type = EventType::kResync;
            resync.remote = true;
            hub_.Publish(resync);
          }) {}

EventBridge::~EventBridge() { Stop(); }

void EventBridge::Start() {
  subscription_ = hub_.Subscribe("", [this](const Event& event) {
    if (std::optional<std::string> line = EncodeEvent(event, instance_)) {
      channel_.Send(*std::move(line));
    }
  });
  channel_.Start();
}

void EventBridge::Stop() {
  subscription_.Cancel();
  channel_.Stop();
}

}  // namespace dns
