#include "server/audit/revert_plan.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_details.h"

namespace dns {
namespace {

using Key = std::pair<std::string, std::string>;

std::map<Key, RRset> ByKey(const std::vector<RRset>& rrsets) {
  std::map<Key, RRset> out;
  for (const RRset& r : rrsets) out[{r.name, r.type}] = r;
  return out;
}

// Records compared as a set: the store may hand them back in another order.
bool SameRRset(const std::optional<RRset>& a, const std::optional<RRset>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  if (a->ttl != b->ttl || a->records.size() != b->records.size()) return false;
  auto sorted = [](std::vector<Record> records) {
    std::sort(records.begin(), records.end(), [](const Record& x, const Record& y) {
      return std::tie(x.content, x.disabled) < std::tie(y.content, y.disabled);
    });
    return records;
  };
  return sorted(a->records) == sorted(b->records);
}

std::optional<RRset> Find(const std::map<Key, RRset>& rrsets, const Key& key) {
  auto it = rrsets.find(key);
  if (it == rrsets.end()) return std::nullopt;
  return it->second;
}

}  // namespace

absl::StatusOr<std::vector<RRsetChange>> PlanRevert(const AuditEntry& entry,
                                                    const std::vector<RRset>& current,
                                                    bool force) {
  if (!entry.IsRRsetChange() || entry.zone.empty()) {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            "audit entry ", entry.id, " (", entry.origin.rpc,
            ") is not an RRset change; only RRset changes can be reverted")),
        "NOT_REVERTIBLE");
  }
  if (entry.reverted_by != 0 && !force) {
    return WithReason(absl::FailedPreconditionError(absl::StrCat(
                          "audit entry ", entry.id, " was reverted already by entry ",
                          entry.reverted_by, "; set force to revert it again")),
                      "ALREADY_REVERTED");
  }
  const std::map<Key, RRset> before = ByKey(entry.rrsets_before);
  const std::map<Key, RRset> after = ByKey(entry.rrsets_after);
  const std::map<Key, RRset> now = ByKey(current);
  std::vector<std::string> changed;
  std::vector<RRsetChange> changes;
  for (const Key& key : entry.keys) {
    if (!SameRRset(Find(now, key), Find(after, key))) {
      changed.push_back(absl::StrCat(key.first, " ", key.second));
    }
    RRsetChange change;
    std::optional<RRset> old = Find(before, key);
    if (old) {
      change.type = ChangeType::kReplace;
      change.rrset = *std::move(old);
    } else {
      change.type = ChangeType::kDelete;
      change.rrset.name = key.first;
      change.rrset.type = key.second;
    }
    changes.push_back(std::move(change));
  }
  if (!changed.empty() && !force) {
    return WithReason(
        absl::AbortedError(absl::StrCat(
            "changed since audit entry ", entry.id, ": ", absl::StrJoin(changed, ", "),
            "; read them again, or set force to replace them with the state before the entry")),
        "CHANGED_SINCE");
  }
  return changes;
}

}  // namespace dns
