#include "server/health/status_machine.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dns {
namespace {

const CheckResult* FindCheck(const std::vector<CheckResult>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Over its threshold: an alert, not merely a failed check.
bool OverThreshold(const CheckResult& c) {
  return c.threshold && c.value && *c.value > *c.threshold;
}

std::string ReasonOf(const std::vector<CheckResult>& checks, Observation observation) {
  std::vector<std::string> parts;
  for (const auto& c : checks) {
    if (c.passed) continue;
    if (observation == Observation::kDown && c.name != "dns_probe" && c.name != "api") continue;
    parts.push_back(absl::StrCat(c.name, ": ", c.message));
  }
  return absl::StrJoin(parts, "; ");
}

HealthEvent StatusEvent(const std::string& server, absl::Time time, ServerStatus from,
                        ServerStatus to, const std::string& reason) {
  HealthEvent e;
  e.time = time;
  e.type = HealthEventType::kStatusChanged;
  e.server = server;
  e.from_status = from;
  e.to_status = to;
  e.reason = reason;
  return e;
}

// Moves the status one observation on and records a status event if it
// changed.
void Step(HealthTransition& t, const HealthState& before, const std::string& server,
          absl::Time time, const std::string& reason, const StatusPolicy& policy) {
  StatusStep step = NextStatus(before.status, before.maintenance, before.streaks,
                               t.observation, policy);
  t.state.status = step.status;
  t.state.streaks = step.streaks;
  if (step.status == ServerStatus::kHealthy) {
    t.state.reason.clear();
  } else if (step.status != before.status || t.observation != Observation::kGood) {
    // The reason explains the status: keep the one that made it while the
    // rounds that follow are good but not yet enough to recover.
    if (!reason.empty()) t.state.reason = reason;
  }
  if (step.status == ServerStatus::kMaintenance) t.state.reason = "in maintenance";
  if (step.status != before.status) {
    t.events.push_back(StatusEvent(server, time, before.status, step.status, t.state.reason));
  }
}

}  // namespace

Observation Observe(const std::vector<CheckResult>& checks) {
  const CheckResult* dns = FindCheck(checks, "dns_probe");
  const CheckResult* api = FindCheck(checks, "api");
  // DNS is what a server is for; without a DNS address to ask, its API is
  // all there is to go by.
  const CheckResult* decisive = dns ? dns : api;
  // A failed check with a figure got an answer (a stale serial, a slow API):
  // the server is there, if not well.
  if (decisive && !decisive->passed && !decisive->value) return Observation::kDown;
  for (const auto& c : checks) {
    if (!c.passed) return Observation::kDegraded;
  }
  return Observation::kGood;
}

StatusStep NextStatus(ServerStatus current, bool maintenance, HealthStreaks s,
                      Observation o, const StatusPolicy& policy) {
  s.down = o == Observation::kDown ? s.down + 1 : 0;
  s.bad = o != Observation::kGood ? s.bad + 1 : 0;
  s.good = o == Observation::kGood ? s.good + 1 : 0;
  s.up = o != Observation::kDown ? s.up + 1 : 0;
  const int fail = std::max(1, policy.failure_threshold);
  const int recover = std::max(1, policy.recovery_threshold);
  if (maintenance) return {ServerStatus::kMaintenance, s};
  ServerStatus next = current;
  switch (current) {
    case ServerStatus::kUnspecified:
    case ServerStatus::kMaintenance:
      // Nothing to be steady against (never checked, or just out of
      // maintenance): the round says it.
      next = o == Observation::kGood     ? ServerStatus::kHealthy
             : o == Observation::kDown ? ServerStatus::kUnavailable
                                       : ServerStatus::kDegraded;
      break;
    case ServerStatus::kHealthy:
      if (s.down >= fail) {
        next = ServerStatus::kUnavailable;
      } else if (s.bad >= fail) {
        next = ServerStatus::kDegraded;
      }
      break;
    case ServerStatus::kDegraded:
      if (s.down >= fail) {
        next = ServerStatus::kUnavailable;
      } else if (s.good >= recover) {
        next = ServerStatus::kHealthy;
      }
      break;
    case ServerStatus::kUnavailable:
      if (s.good >= recover) {
        next = ServerStatus::kHealthy;
      } else if (s.up >= recover) {
        next = ServerStatus::kDegraded;
      }
      break;
  }
  return {next, s};
}

HealthTransition Assess(const HealthState& before, const HealthReport& report,
                        const StatusPolicy& policy) {
  HealthTransition t;
  t.state = before;
  t.observation = Observe(report.checks);
  Step(t, before, report.server, report.time, ReasonOf(report.checks, t.observation), policy);

  // Alerts: raised and cleared on crossing, never repeated while they stand.
  std::set<std::string> alerts;
  std::set<std::string> failing;
  for (const auto& c : report.checks) {
    if (OverThreshold(c)) {
      alerts.insert(c.name);
    } else if (!c.passed) {
      failing.insert(c.name);
    }
  }
  const std::set<std::string> had_alerts(before.active_alerts.begin(),
                                         before.active_alerts.end());
  const std::set<std::string> had_failing(before.failing_checks.begin(),
                                          before.failing_checks.end());
  for (const auto& c : report.checks) {
    HealthEvent e;
    e.time = report.time;
    e.server = report.server;
    e.alert = c.name;
    e.value = c.value.value_or(0);
    e.threshold = c.threshold.value_or(0);
    e.reason = c.message;
    if (alerts.count(c.name) && !had_alerts.count(c.name)) {
      e.type = HealthEventType::kAlertRaised;
      t.events.push_back(e);
    } else if (!alerts.count(c.name) && had_alerts.count(c.name) && c.value) {
      e.type = HealthEventType::kAlertCleared;
      t.events.push_back(e);
    } else if (failing.count(c.name) && !had_failing.count(c.name)) {
      e.type = HealthEventType::kCheckFailed;
      t.events.push_back(e);
    }
  }
  // An alert whose figure could not be read this round (the statistics
  // failed, the zone list is checked less often) stays up: nothing says it
  // is over. Likewise a failing check that did not run this round.
  for (const auto& name : had_alerts) {
    const CheckResult* c = FindCheck(report.checks, name);
    if (!c || !c->value) alerts.insert(name);
  }
  for (const auto& name : had_failing) {
    if (!FindCheck(report.checks, name)) failing.insert(name);
  }
  t.state.active_alerts.assign(alerts.begin(), alerts.end());
  t.state.failing_checks.assign(failing.begin(), failing.end());
  return t;
}

HealthTransition AssessFailure(const HealthState& before, const std::string& server,
                               const std::string& reason, absl::Time time,
                               const StatusPolicy& policy) {
  HealthTransition t;
  t.state = before;
  t.observation = Observation::kDegraded;
  Step(t, before, server, time, reason, policy);
  return t;
}

}  // namespace dns
