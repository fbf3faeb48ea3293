#include "server/failover/failover_plan.h"

#include <arpa/inet.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/domain/dns_name.h"

namespace dns {
namespace {

// 4 or 6, and the address in inet_ntop form; 0 when it is none.
std::pair<int, std::string> ParseAddress(const std::string& text) {
  char buf[INET6_ADDRSTRLEN];
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return {4, inet_ntop(AF_INET, &v4, buf, sizeof(buf))};
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return {6, inet_ntop(AF_INET6, &v6, buf, sizeof(buf))};
  }
  return {0, ""};
}

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

void AppendRRset(std::string* out, const RRset& rrset) {
  absl::StrAppend(out, rrset.name, " ", rrset.type, " ", rrset.ttl);
  for (const Record& r : rrset.records) {
    absl::StrAppend(out, " [", r.content, r.disabled ? " off" : "", "]");
  }
  out->push_back('\n');
}

std::string ZoneDigest(const FailoverZoneChange& zone) {
  std::string text;
  for (const FailoverRRsetChange& c : zone.rrsets) {
    AppendRRset(&text, c.before);
    AppendRRset(&text, c.after);
  }
  return Sha256Hex(text).substr(0, 16);
}

// from_ip replaced by to_ip; a record that would repeat one already there
// is dropped (an RRset holds each address once).
RRset Moved(const RRset& before, const FailoverSpec& spec, int* moved) {
  RRset after = before;
  after.records.clear();
  std::set<std::string> seen;
  for (const Record& r : before.records) {
    Record next = r;
    if (r.content == spec.from_ip) {
      next.content = spec.to_ip;
      ++*moved;
    }
    if (seen.insert(next.content).second) after.records.push_back(next);
  }
  if (spec.ttl) after.ttl = *spec.ttl;
  return after;
}

}  // namespace

absl::StatusOr<FailoverSpec> CanonicalFailoverSpec(FailoverSpec raw,
                                                   const ValidationLimits& limits) {
  std::vector<FieldViolation> violations;
  auto [from_family, from] = ParseAddress(raw.from_ip);
  auto [to_family, to] = ParseAddress(raw.to_ip);
  if (from_family == 0) {
    violations.push_back({"from_ip", raw.from_ip.empty()
                                         ? "is required: the failed IPv4 or IPv6 address"
                                         : "must be an IPv4 or IPv6 address"});
  }
  if (to_family == 0) {
    violations.push_back({"to_ip", raw.to_ip.empty()
                                       ? "is required: the replacement IPv4 or IPv6 address"
                                       : "must be an IPv4 or IPv6 address"});
  }
  if (from_family != 0 && to_family != 0) {
    if (from_family != to_family) {
      violations.push_back(
          {"to_ip", absl::StrCat("must be an IPv", from_family,
                                 " address like from_ip (A records move to A, AAAA to AAAA)")});
    } else if (from == to) {
      violations.push_back({"to_ip", "must differ from from_ip"});
    }
  }
  FailoverSpec spec = std::move(raw);
  spec.from_ip = from;
  spec.to_ip = to;
  FailoverScope& scope = spec.scope;
  const int ways = (scope.all_zones ? 1 : 0) + (scope.zones.empty() ? 0 : 1) +
                   (scope.account.empty() ? 0 : 1) + (scope.customer_id.empty() ? 0 : 1) +
                   (scope.hosting_service_id.empty() ? 0 : 1);
  if (ways == 0) {
    violations.push_back({"scope", "is required: all_zones, zones, account, customer_id or "
                                   "hosting_service_id"});
  } else if (ways > 1) {
    violations.push_back({"scope", "must give exactly one of all_zones, zones, account, "
                                   "customer_id, hosting_service_id"});
  }
  std::set<std::string> seen;
  std::vector<std::string> zones;
  for (size_t i = 0; i < scope.zones.size(); ++i) {
    absl::StatusOr<std::string> name = CanonicalZoneName(scope.zones[i]);
    if (!name.ok()) {
      violations.push_back({absl::StrCat("scope.zones[", i, "]"), std::string(name.status().message())});
    } else if (seen.insert(*name).second) {
      zones.push_back(*name);
    }
  }
  scope.zones = std::move(zones);
  if (spec.ttl && (*spec.ttl < limits.min_ttl || *spec.ttl > limits.max_ttl)) {
    violations.push_back({"ttl", absl::StrCat("must be between ", limits.min_ttl, " and ",
                                              limits.max_ttl, " seconds")});
  }
  if (!violations.empty()) return InvalidFields(violations);
  return spec;
}

FailoverPlan BuildFailoverPlan(const FailoverSpec& spec, const FailoverMatches& matches,
                               double max_share, const FailoverReversal* reversal) {
  FailoverPlan plan;
  plan.zones_in_scope = static_cast<int>(matches.zones.size());
  plan.fleet_records = matches.fleet_records;
  for (const FailoverCandidate& candidate : matches.zones) {
    FailoverZoneChange zone{candidate.zone, candidate.serial, {}, 0};
    for (const RRset& before : candidate.rrsets) {
      int moved = 0;
      RRset after = Moved(before, spec, &moved);
      if (reversal != nullptr) {
        auto it = reversal->changes.find({candidate.zone, before.name, before.type});
        if (it != reversal->changes.end() && it->second.after == before) {
          after = it->second.before;
          if (spec.ttl) after.ttl = *spec.ttl;
        }
      }
      if (after == before) continue;
      plan.records_changed += moved;
      zone.rrsets.push_back({before, std::move(after)});
    }
    if (zone.rrsets.empty()) {
      plan.unmatched_zones.push_back(candidate.zone);
      continue;
    }
    plan.rrsets_changed += static_cast<int>(zone.rrsets.size());
    plan.zones.push_back(std::move(zone));
  }
  plan.zones_changed = static_cast<int>(plan.zones.size());
  plan.fleet_share = plan.fleet_records > 0
                         ? static_cast<double>(plan.records_changed) / plan.fleet_records
                         : 0.0;
  plan.needs_force = plan.fleet_share > max_share;
  std::string text = absl::StrCat(spec.from_ip, " ", spec.to_ip, " ", spec.apex_and_www_only,
                                  " ", spec.ttl ? absl::StrCat(*spec.ttl) : "-", "\n");
  for (const std::string& line : ZoneDigests(plan)) absl::StrAppend(&text, line, "\n");
  plan.checksum = Sha256Hex(text);
  return plan;
}

std::vector<std::string> ZoneDigests(const FailoverPlan& plan) {
  std::vector<std::string> lines;
  lines.reserve(plan.zones.size());
  for (const FailoverZoneChange& zone : plan.zones) {
    lines.push_back(absl::StrCat(zone.zone, " ", zone.serial, " ", ZoneDigest(zone)));
  }
  return lines;
}

std::string DescribePlanDifference(const std::vector<std::string>& reviewed,
                                   const std::vector<std::string>& now) {
  struct Entry {
    std::string serial;
    std::string digest;
  };
  auto index = [](const std::vector<std::string>& lines) {
    std::map<std::string, Entry> out;
    for (const std::string& line : lines) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() == 3) out[parts[0]] = Entry{parts[1], parts[2]};
    }
    return out;
  };
  const std::map<std::string, Entry> before = index(reviewed);
  const std::map<std::string, Entry> after = index(now);
  std::vector<std::string> diffs;
  for (const auto& [zone, entry] : before) {
    auto it = after.find(zone);
    if (it == after.end()) {
      diffs.push_back(absl::StrCat(zone, " no longer changes"));
    } else if (it->second.serial != entry.serial || it->second.digest != entry.digest) {
      diffs.push_back(
          absl::StrCat(zone, " changed (serial ", entry.serial, " -> ", it->second.serial, ")"));
    }
  }
  for (const auto& [zone, entry] : after) {
    if (!before.count(zone)) diffs.push_back(absl::StrCat(zone, " now changes too"));
  }
  if (diffs.empty()) return "the request differs from the reviewed plan's (addresses, TTL)";
  const size_t shown = std::min<size_t>(diffs.size(), 10);
  std::string text = absl::StrCat(diffs.size(), diffs.size() == 1 ? " zone differs: " : " zones differ: ",
                                  absl::StrJoin(diffs.begin(), diffs.begin() + shown, "; "));
  if (shown < diffs.size()) absl::StrAppend(&text, "; and ", diffs.size() - shown, " more");
  return text;
}

}  // namespace dns
