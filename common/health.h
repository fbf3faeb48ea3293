// The fleet's health as the domain sees it: what one round of checks on a
// server found, the status machine's memory of the rounds before, the events
// it raises, and the samples kept as history. Knows neither SQL nor protobuf.
#ifndef DNS_COMMON_HEALTH_H_
#define DNS_COMMON_HEALTH_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

// One check of a round ("api", "dns_probe", "cpu", ...).
struct CheckResult {
  std::string name;
  bool passed = true;
  std::optional<double> value;
  std::string unit;
  // The check fails (and its alert is raised) when value > threshold.
  std::optional<double> threshold;
  absl::Duration latency;
  std::string message;
};

struct HealthReport {
  std::string server;
  absl::Time time;
  std::string version;  // empty when the API did not answer
  std::vector<CheckResult> checks;
  // Filled once the round is counted.
  ServerStatus status = ServerStatus::kUnspecified;
  std::string status_reason;
  std::vector<std::string> active_alerts;
};

// How a round counts toward the status.
enum class Observation {
  kGood,      // every check passed
  kDegraded,  // the server answers DNS, but a check failed or an alert is up
  kDown,      // the server does not answer DNS (or, without a DNS address, its API)
};

// Consecutive rounds of each kind, kept on the server row so that a new
// leader goes on where the last one stopped.
struct HealthStreaks {
  int down = 0;  // kDown in a row
  int bad = 0;   // not kGood in a row
  int good = 0;  // kGood in a row
  int up = 0;    // not kDown in a row

  friend bool operator==(const HealthStreaks&, const HealthStreaks&) = default;
};

// What the status machine keeps per server.
struct HealthState {
  ServerStatus status = ServerStatus::kUnspecified;
  bool maintenance = false;
  HealthStreaks streaks;
  std::string reason;
  std::vector<std::string> active_alerts;   // sorted
  std::vector<std::string> failing_checks;  // sorted
};

// Consistency events share the table, the ids and the feed; WatchHealth
// and WatchConsistency each see their own types.
enum class HealthEventType {
  kStatusChanged,
  kAlertRaised,
  kAlertCleared,
  kCheckFailed,
  kDriftFound,
  kDriftResolved,
  kReconcileApplied,
};

inline bool IsConsistencyEvent(HealthEventType type) {
  return type == HealthEventType::kDriftFound || type == HealthEventType::kDriftResolved ||
         type == HealthEventType::kReconcileApplied;
}

inline const char* HealthEventTypeName(HealthEventType type) {
  switch (type) {
    case HealthEventType::kStatusChanged:
      return "STATUS_CHANGED";
    case HealthEventType::kAlertRaised:
      return "ALERT_RAISED";
    case HealthEventType::kAlertCleared:
      return "ALERT_CLEARED";
    case HealthEventType::kCheckFailed:
      return "CHECK_FAILED";
    case HealthEventType::kDriftFound:
      return "DRIFT_FOUND";
    case HealthEventType::kDriftResolved:
      return "DRIFT_RESOLVED";
    case HealthEventType::kReconcileApplied:
      return "RECONCILE_APPLIED";
  }
  return "STATUS_CHANGED";
}

inline HealthEventType HealthEventTypeFromName(const std::string& name) {
  if (name == "ALERT_RAISED") return HealthEventType::kAlertRaised;
  if (name == "ALERT_CLEARED") return HealthEventType::kAlertCleared;
  if (name == "CHECK_FAILED") return HealthEventType::kCheckFailed;
  if (name == "DRIFT_FOUND") return HealthEventType::kDriftFound;
  if (name == "DRIFT_RESOLVED") return HealthEventType::kDriftResolved;
  if (name == "RECONCILE_APPLIED") return HealthEventType::kReconcileApplied;
  return HealthEventType::kStatusChanged;
}

struct HealthEvent {
  int64_t id = 0;  // assigned when stored
  absl::Time time;
  HealthEventType type = HealthEventType::kStatusChanged;
  std::string server;
  ServerStatus from_status = ServerStatus::kUnspecified;
  ServerStatus to_status = ServerStatus::kUnspecified;
  std::string reason;
  std::string alert;  // alert or check name
  double value = 0;
  double threshold = 0;
  // Consistency events (reason holds the detail).
  std::string zone;
  std::string kind;  // FindingKindName
  uint32_t truth_serial = 0;
  uint32_t server_serial = 0;
  int64_t count = 0;
  std::string request_id;
};

// What counting one round did: the server's new state and the events it
// raises (ids assigned when stored).
struct HealthTransition {
  HealthState state;
  std::vector<HealthEvent> events;
  Observation observation = Observation::kGood;
};

// The series a sample holds, one per check with a figure; their names are
// the checks' names and the history table's columns.
struct MetricInfo {
  const char* name;
  const char* unit;
};
inline constexpr MetricInfo kHealthMetrics[] = {
    {"api", "ms"},
    {"dns_probe", "ms"},
    {"memory", "bytes"},
    {"cpu", "percent"},
    {"query_rate", "qps"},
    {"packet_cache_hit_rate", "ratio"},
    {"query_cache_hit_rate", "ratio"},
    {"servfail_rate", "qps"},
    {"latency", "us"},
    {"fd_usage", "count"},
    {"uptime", "s"},
    {"zones", "count"},
    {"zones_out_of_sync", "count"},
    {"propagation_lag", "s"},
};

// One round, as history.
struct HealthSample {
  std::string server;
  absl::Time time;
  bool good = false;
  ServerStatus status = ServerStatus::kUnspecified;
  std::string version;  // as the API reported it; empty: unknown
  std::map<std::string, double> values;  // by kHealthMetrics name
};

struct MetricsQuery {
  std::string server;
  absl::Time start;
  absl::Time end;
  absl::Duration step;
  std::vector<std::string> metrics;  // kHealthMetrics names; empty: all
};

struct MetricPoint {
  absl::Time time;
  double avg = 0;
  double max = 0;
  int count = 0;
};

struct MetricSeries {
  std::string name;
  std::string unit;
  std::vector<MetricPoint> points;
};

struct MetricsResult {
  std::vector<MetricSeries> series;
  int64_t sample_count = 0;
  double availability = 0;  // share of good rounds
};

}  // namespace dns

#endif  // DNS_COMMON_HEALTH_H_
