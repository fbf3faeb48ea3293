#include "server/audit_manager.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "server/audit/revert_plan.h"
#include "server/domain/dns_name.h"
#include "server/domain/page_token.h"

namespace dns {
namespace {

absl::Status EntryNotFound(const std::string& id) {
  return WithReason(absl::NotFoundError(absl::StrCat("audit entry ", id, " does not exist")),
                    "AUDIT_ENTRY_NOT_FOUND");
}

bool InScope(const AuditEntry& entry, const Principal& who) {
  if (!who.Scoped()) return true;
  return !entry.zone.empty() && who.MayUseAccount(entry.account);
}

}  // namespace

absl::StatusOr<ListResult<AuditEntry>> AuditManager::List(AuditQuery query,
                                                          const Principal& who) {
  std::vector<FieldViolation> violations;
  AuditFilter& filter = query.filter;
  if (!filter.zone.empty()) {
    absl::StatusOr<std::string> zone = CanonicalZoneName(filter.zone);
    if (zone.ok()) {
      filter.zone = *zone;
    } else {
      violations.push_back({"zone", std::string(zone.status().message())});
    }
  }
  if (filter.start && filter.end && *filter.end <= *filter.start) {
    violations.push_back({"end_time", "must be after start_time"});
  }
  absl::StatusOr<int> size = PageSize(query.page_size);
  if (!size.ok()) violations.push_back({"page_size", std::string(size.status().message())});
  if (!violations.empty()) return InvalidFields(violations);
  if (who.Scoped()) filter.accounts_any = who.accounts;

  const std::string fingerprint = FilterFingerprint(
      {filter.zone, filter.account, filter.actor, filter.rpc,
       filter.start ? absl::FormatTime(*filter.start) : "",
       filter.end ? absl::FormatTime(*filter.end) : "", absl::StrJoin(filter.accounts_any, ",")});
  absl::StatusOr<std::vector<std::string>> start = PageStart(query.page_token, fingerprint, 1);
  if (!start.ok()) return start.status();
  int64_t before_id = 0;
  if (!start->empty() && (!absl::SimpleAtoi(start->front(), &before_id) || before_id <= 0)) {
    return InvalidField("page_token", "is malformed");
  }
  absl::StatusOr<Page<AuditEntry>> page = store_.ListEntries(filter, before_id, *size);
  if (!page.ok()) return page.status();
  ListResult<AuditEntry> out{std::move(page->items), ""};
  if (page->more) {
    out.next_page_token = EncodePageToken({absl::StrCat(out.items.back().id)}, fingerprint);
  }
  return out;
}

absl::StatusOr<AuditEntry> AuditManager::Get(const std::string& id, const Principal& who) {
  int64_t number = 0;
  if (id.empty()) return InvalidField("id", "is required");
  if (!absl::SimpleAtoi(id, &number) || number <= 0) return EntryNotFound(id);
  absl::StatusOr<AuditEntry> entry = store_.GetEntry(number);
  if (!entry.ok()) return entry.status();
  if (!InScope(*entry, who)) return EntryNotFound(id);
  return entry;
}

absl::StatusOr<RevertResult> AuditManager::Revert(const AuditEntry& entry, bool force,
                                                  RequestKey key, const WriteOptions& w) {
  if (!entry.IsRRsetChange()) return PlanRevert(entry, {}, force).status();
  bool retry = false;
  if (entry.reverted_by != 0 && !key.request_id.empty()) {
    absl::StatusOr<AuditEntry> revert = store_.GetEntry(entry.reverted_by);
    retry = revert.ok() && revert->origin.request_id == key.request_id;
  }
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> zone = zones_.GetZoneWithRRsets(entry.zone);
  if (!zone.ok()) {
    if (absl::IsNotFound(zone.status())) {
      return WithReason(absl::FailedPreconditionError(absl::StrCat(
                            "zone ", entry.zone, " of audit entry ", entry.id,
                            " does not exist any more")),
                        "ZONE_NOT_FOUND");
    }
    return zone.status();
  }
  std::vector<RRset> current;
  for (const RRset& r : zone->second) {
    for (const auto& [name, type] : entry.keys) {
      if (r.name == name && r.type == type) current.push_back(r);
    }
  }
  // A retry of a committed revert is answered by the store's replay of its
  // request id: the RRsets are as that revert left them, not as the entry.
  absl::StatusOr<std::vector<RRsetChange>> changes = PlanRevert(entry, current, force || retry);
  if (!changes.ok()) return changes.status();
  Expectations expect;
  if (!retry) expect.serial = zone->first.serial;
  key.origin.reverts = entry.id;
  absl::StatusOr<ChangeResult> result = zones_.ChangeRRsets(entry.zone, *changes, expect, key, w);
  if (!result.ok()) return result.status();
  return RevertResult{*std::move(result), *std::move(changes)};
}

}  // namespace dns
