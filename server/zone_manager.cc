#include "server/zone_manager.h"

#include "common/host_port.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/domain/dns_name.h"
#include "server/domain/page_token.h"
#include "server/domain/server_name.h"
#include "server/domain/zone_file.h"
#include "common/status_details.h"
#include "common/serial.h"

namespace dns {
namespace {

constexpr size_t kMaxIdLength = 255;
constexpr size_t kMaxLabels = 64;
constexpr size_t kMaxNameservers = 20;

// Opaque ids from PRAHO: printable, bounded.
void CheckId(const std::string& value, const std::string& field,
             std::vector<FieldViolation>& out) {
  if (value.size() > kMaxIdLength) {
    out.push_back({field, absl::StrCat("must be at most ", kMaxIdLength, " characters")});
    return;
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      out.push_back({field, "must not contain control characters"});
      return;
    }
  }
}

bool ValidLabelKey(const std::string& key) {
  if (key.empty() || key.size() > 63) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-' ||
           c == '.' || c == '/';
  });
}

// "192.0.2.1", "192.0.2.1:5300", "2001:db8::1" or "[2001:db8::1]:5300".
bool ValidMaster(const std::string& master) { return ParseIpHostPort(master, 53).has_value(); }

// The index N of a violation's field "changes[N]...", if it has one.
std::optional<size_t> ChangeIndexOf(absl::string_view field) {
  if (!absl::ConsumePrefix(&field, "changes[")) return std::nullopt;
  size_t index = 0;
  const size_t close = field.find(']');
  if (close == absl::string_view::npos || !absl::SimpleAtoi(field.substr(0, close), &index)) {
    return std::nullopt;
  }
  return index;
}

}  // namespace

absl::StatusOr<std::string> CanonicalHostmaster(absl::string_view input, absl::string_view zone) {
  if (input.empty()) return absl::StrCat("hostmaster.", zone);
  std::string text(input);
  auto at = text.find('@');
  if (at != std::string::npos) {
    std::string local = text.substr(0, at);
    // RFC 1035: a dot inside the local part is escaped in RNAME.
    text = absl::StrCat(absl::StrReplaceAll(local, {{".", "\\."}}), ".", text.substr(at + 1));
  }
  if (absl::StrContains(text, "\\")) {
    // Escaped local parts cannot go through the name checker; check the rest.
    auto first_unescaped = text.find_first_of('.', text.find("\\.") + 2);
    while (first_unescaped != std::string::npos && text[first_unescaped - 1] == '\\') {
      first_unescaped = text.find('.', first_unescaped + 1);
    }
    if (first_unescaped == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("'", input, "' is not a mailbox"));
    }
    absl::StatusOr<std::string> domain = CanonicalTargetName(text.substr(first_unescaped + 1));
    if (!domain.ok()) return domain.status();
    return absl::StrCat(absl::AsciiStrToLower(text.substr(0, first_unescaped)), ".", *domain);
  }
  return CanonicalTargetName(text);
}

ZoneManager::ZoneManager(ZoneStore& store, ZoneDefaults defaults,
                         PropagationControl* propagation)
    : store_(store), defaults_(std::move(defaults)), propagation_(propagation) {}

std::vector<ServerPropagation> ZoneManager::AfterWrite(const std::string& zone, uint32_t serial,
                                                       bool deleted, const WriteOptions& w) {
  if (propagation_ == nullptr) return {};
  propagation_->Kick(zone, w.request_id, w.wait > absl::ZeroDuration());
  if (w.wait > absl::ZeroDuration() || deleted) return {};
  absl::StatusOr<std::vector<ServerPropagation>> state = propagation_->State(zone);
  return state.ok() ? *std::move(state) : std::vector<ServerPropagation>();
}

std::vector<FieldViolation> ZoneManager::NormalizeAttributes(Zone& zone,
                                                             const std::string& prefix,
                                                             bool check_nameservers) {
  std::vector<FieldViolation> violations;
  CheckId(zone.account, prefix + ".account", violations);
  CheckId(zone.customer_id, prefix + ".customer_id", violations);
  CheckId(zone.hosting_service_id, prefix + ".hosting_service_id", violations);
  if (zone.labels.size() > kMaxLabels) {
    violations.push_back({prefix + ".labels", absl::StrCat("at most ", kMaxLabels, " labels")});
  }
  for (const auto& [key, value] : zone.labels) {
    if (!ValidLabelKey(key)) {
      violations.push_back({absl::StrCat(prefix, ".labels[", key, "]"),
                            "keys are 1-63 characters of a-z, 0-9, '_', '-', '.', '/'"});
    }
    CheckId(value, absl::StrCat(prefix, ".labels[", key, "]"), violations);
  }
  for (size_t i = 0; i < zone.masters.size(); ++i) {
    if (!ValidMaster(zone.masters[i])) {
      violations.push_back({absl::StrCat(prefix, ".masters[", i, "]"),
                            absl::StrCat("'", zone.masters[i],
                                         "' is not an IP address with an optional port")});
    }
  }
  if (zone.kind == ZoneKind::kSlave && zone.masters.empty()) {
    violations.push_back({prefix + ".masters", "a ZONE_KIND_SLAVE zone needs masters"});
  }
  if (check_nameservers) {
    if (zone.nameservers.empty()) zone.nameservers = defaults_.nameservers;
    if (zone.nameservers.empty()) {
      violations.push_back(
          {prefix + ".nameservers", "no nameservers given and the service has no default"});
    }
    if (zone.nameservers.size() > kMaxNameservers) {
      violations.push_back(
          {prefix + ".nameservers", absl::StrCat("at most ", kMaxNameservers, " nameservers")});
    }
    for (size_t i = 0; i < zone.nameservers.size(); ++i) {
      absl::StatusOr<std::string> ns = CanonicalTargetName(zone.nameservers[i]);
      if (!ns.ok() || *ns == ".") {
        violations.push_back({absl::StrCat(prefix, ".nameservers[", i, "]"),
                              ns.ok() ? "must not be the root" : std::string(ns.status().message())});
        continue;
      }
      if (std::find(zone.nameservers.begin(), zone.nameservers.begin() + i, *ns) !=
          zone.nameservers.begin() + i) {
        violations.push_back({absl::StrCat(prefix, ".nameservers[", i, "]"),
                              absl::StrCat("'", *ns, "' is listed twice")});
      }
      zone.nameservers[i] = *ns;
    }
  }
  return violations;
}

std::vector<FieldViolation> ZoneManager::CheckDerivedNames(const Zone& zone) const {
  // The SOA contact the service writes must itself be a name that fits in a
  // DNS message, or servers refuse the zone (PowerDNS answers 422) and it
  // can never be served.
  absl::StatusOr<std::string> rname = CanonicalHostmaster(defaults_.hostmaster, zone.name);
  if (rname.ok()) rname = CanonicalTargetName(*rname);
  if (rname.ok()) return {};
  return {{"zone.name",
           absl::StrCat("the SOA contact derived for this zone (",
                        defaults_.hostmaster.empty() ? "hostmaster.<zone>" : defaults_.hostmaster,
                        ") is not a usable name: ", rname.status().message(),
                        "; use a shorter zone name or set --soa_hostmaster")}};
}

std::vector<FieldViolation> ZoneManager::CheckInitialRRsets(
    const std::string& zone, std::vector<RRsetChange>& initial) const {
  std::vector<FieldViolation> violations = ValidateChanges(zone, initial, defaults_.limits);
  for (size_t i = 0; i < initial.size(); ++i) {
    if (initial[i].rrset.name == zone && initial[i].rrset.type == "NS") {
      violations.push_back({absl::StrCat("changes[", i, "].rrset.type"),
                            "the apex NS RRset is made from zone.nameservers; set those instead"});
    }
  }
  // Named as the caller gave them: changes[i].rrset.ttl -> zone.rrsets[i].ttl.
  for (FieldViolation& v : violations) {
    std::optional<size_t> index = ChangeIndexOf(v.field);
    if (!index) continue;
    absl::string_view rest = v.field;
    rest.remove_prefix(rest.find(']') + 1);
    absl::ConsumePrefix(&rest, ".rrset");
    v.field = absl::StrCat("zone.rrsets[", *index, "]", rest);
  }
  return violations;
}

RRset ZoneManager::MakeSoa(const Zone& zone) const {
  absl::StatusOr<std::string> rname = CanonicalHostmaster(defaults_.hostmaster, zone.name);
  const SoaTimers& t = defaults_.soa;
  return RRset{zone.name,
               "SOA",
               defaults_.soa_ttl,
               {Record{absl::StrCat(zone.nameservers.front(), " ",
                                    rname.ok() ? *rname : "hostmaster." + zone.name, " ",
                                    zone.serial, " ", t.refresh, " ", t.retry, " ", t.expire,
                                    " ", t.minimum),
                       false}}};
}

RRset ZoneManager::MakeNs(const Zone& zone) const {
  RRset ns{zone.name, "NS", defaults_.ns_ttl, {}};
  for (const auto& host : zone.nameservers) ns.records.push_back(Record{host, false});
  return ns;
}

absl::StatusOr<Zone> ZoneManager::CreateZone(Zone zone, const RequestKey& key,
                                             const WriteOptions& w,
                                             std::vector<RRsetChange> initial) {
  std::vector<FieldViolation> violations;
  absl::StatusOr<std::string> name = CanonicalZoneName(zone.name);
  if (!name.ok()) {
    violations.push_back({"zone.name", std::string(name.status().message())});
  } else {
    zone.name = *name;
  }
  auto more = NormalizeAttributes(zone, "zone", /*check_nameservers=*/true);
  violations.insert(violations.end(), more.begin(), more.end());
  if (violations.empty()) violations = CheckDerivedNames(zone);
  if (violations.empty() && !initial.empty()) violations = CheckInitialRRsets(zone.name, initial);
  if (!violations.empty()) return InvalidFields(violations);
  if (w.validate_only) {
    if (absl::Status free = CheckNameFree(zone.name); !free.ok()) return free;
    return zone;
  }
  zone.serial = 0;  // the store applies the serial rule
  NewZone nz{zone, {MakeSoa(zone), MakeNs(zone)}};
  for (RRsetChange& change : initial) nz.rrsets.push_back(std::move(change.rrset));
  absl::StatusOr<Zone> created = store_.CreateZone(nz, key);
  if (created.ok()) created->propagation = AfterWrite(created->name, created->serial, false, w);
  return created;
}

absl::StatusOr<Zone> ZoneManager::ProvisionDomain(ProvisionRequest request,
                                                  const RequestKey& key, const WriteOptions& w) {
  std::vector<FieldViolation> violations;
  absl::StatusOr<std::string> name = CanonicalZoneName(request.zone.name);
  if (!name.ok()) return InvalidField("domain", std::string(name.status().message()));
  if (request.ip.empty() && request.ipv6.empty()) {
    violations.push_back({"ip", "at least one of ip and ipv6 is required (the hosting server)"});
  }
  // The apex and www RRsets from the addresses, first among the initial
  // RRsets; `address_field[i]` names the request field of the i-th.
  std::vector<RRsetChange> initial;
  std::vector<std::string> address_field;
  for (const auto& [field, type, value] :
       {std::tuple<const char*, const char*, const std::string&>{"ip", "A", request.ip},
        {"ipv6", "AAAA", request.ipv6}}) {
    if (value.empty()) continue;
    absl::StatusOr<std::string> content = CanonicalContent(type, value, *name);
    if (!content.ok()) {
      violations.push_back({field, absl::StrCat("must be an IPv", type[1] == 'A' ? "6" : "4",
                                                " address: ", content.status().message())});
      continue;
    }
    for (const std::string& owner : {*name, "www." + *name}) {
      RRsetChange change;
      change.rrset = RRset{owner, type, request.ttl.value_or(0), {Record{*content, false}}};
      change.default_ttl = !request.ttl.has_value();
      initial.push_back(std::move(change));
      address_field.push_back(field);
    }
  }
  for (size_t i = 0; i < request.rrsets.size(); ++i) {
    const RRset& r = request.rrsets[i].rrset;
    absl::StatusOr<std::string> owner = CanonicalOwnerName(r.name, *name);
    const bool from_address =
        owner.ok() && (*owner == *name || *owner == "www." + *name) &&
        ((absl::EqualsIgnoreCase(r.type, "A") && !request.ip.empty()) ||
         (absl::EqualsIgnoreCase(r.type, "AAAA") && !request.ipv6.empty()));
    if (from_address) {
      violations.push_back({absl::StrCat("rrsets[", i, "]"),
                            absl::StrCat("the ", *owner, " ", r.type, " RRset is made from ",
                                         absl::EqualsIgnoreCase(r.type, "A") ? "ip" : "ipv6")});
    }
  }
  if (!violations.empty()) return InvalidFields(violations);
  const size_t addresses = initial.size();
  for (RRsetChange& change : request.rrsets) initial.push_back(std::move(change));
  absl::StatusOr<Zone> zone = CreateZone(std::move(request.zone), key, w, std::move(initial));
  if (zone.ok() || ViolationsOf(zone.status()).empty()) return zone;
  // CreateZone's field names, as this request spells them.
  std::vector<FieldViolation> renamed = ViolationsOf(zone.status());
  for (FieldViolation& v : renamed) {
    absl::string_view field = v.field;
    if (field == "zone.name") {
      v.field = "domain";
    } else if (absl::ConsumePrefix(&field, "zone.rrsets[")) {
      size_t index = 0;
      const size_t close = field.find(']');
      if (close != absl::string_view::npos &&
          absl::SimpleAtoi(field.substr(0, close), &index)) {
        v.field = index < addresses
                      ? address_field[index]
                      : absl::StrCat("rrsets[", index - addresses, "]", field.substr(close + 1));
      }
    } else if (absl::ConsumePrefix(&field, "zone.")) {
      v.field = std::string(field);
    }
  }
  return InvalidFields(renamed);
}

absl::StatusOr<Zone> ZoneManager::ImportZone(Zone zone, const std::string& zone_file,
                                             const RequestKey& key, const WriteOptions& w) {
  absl::StatusOr<std::string> name = CanonicalZoneName(zone.name);
  if (!name.ok()) return InvalidField("zone.name", std::string(name.status().message()));
  zone.name = *name;
  if (zone_file.empty()) return InvalidField("zone_file", "must not be empty");
  ParsedZoneFile parsed = ParseZoneFile(zone_file, zone.name, defaults_.limits.default_ttl);
  if (!parsed.errors.empty()) return InvalidFields(parsed.errors);
  return ImportRRsets(std::move(zone), std::move(parsed.rrsets), "zone_file", key, w);
}

absl::StatusOr<Zone> ZoneManager::ImportZoneFromServer(Zone zone, const std::string& server,
                                                       const RequestKey& key,
                                                       const WriteOptions& w) {
  absl::StatusOr<std::string> name = CanonicalZoneName(zone.name);
  if (!name.ok()) return InvalidField("zone.name", std::string(name.status().message()));
  zone.name = *name;
  if (server.empty()) return InvalidField("from_server", "name a registered server");
  if (auto bad = CheckServerName(server)) return InvalidField("from_server", *bad);
  if (propagation_ == nullptr) {
    return absl::FailedPreconditionError("this service has no PowerDNS fleet configured");
  }
  absl::StatusOr<std::vector<RRset>> rrsets =
      propagation_->FetchZone(server, zone.name, w.request_id,
                              std::min(w.deadline, absl::Now() + absl::Seconds(60)));
  if (!rrsets.ok()) return rrsets.status();
  // What PowerDNS serves goes through the same checks as any input.
  std::vector<RRset> canonical;
  std::vector<FieldViolation> violations;
  for (RRset& rrset : *rrsets) {
    for (Record& record : rrset.records) {
      absl::StatusOr<std::string> content = CanonicalContent(rrset.type, record.content, zone.name);
      if (!content.ok()) {
        violations.push_back({"from_server", absl::StrCat(rrset.name, " ", rrset.type, ": ",
                                                          content.status().message())});
      } else {
        record.content = *content;
      }
    }
    if (!rrset.records.empty()) canonical.push_back(std::move(rrset));
  }
  if (!violations.empty()) return InvalidFields(violations);
  return ImportRRsets(std::move(zone), std::move(canonical), "from_server", key, w);
}

absl::StatusOr<Zone> ZoneManager::ImportRRsets(Zone zone, std::vector<RRset> rrsets,
                                               const std::string& source_field,
                                               const RequestKey& key, const WriteOptions& w) {
  std::optional<RRset> soa;
  std::vector<RRsetChange> changes;
  for (RRset& rrset : rrsets) {
    if (rrset.type == "SOA") {
      soa = rrset;
    } else {
      changes.push_back(RRsetChange{ChangeType::kReplace, std::move(rrset)});
    }
  }
  // The file's apex NS become the zone's nameservers.
  bool has_apex_ns = false;
  for (const auto& change : changes) {
    if (change.rrset.name == zone.name && change.rrset.type == "NS") {
      has_apex_ns = true;
      zone.nameservers.clear();
      for (const auto& r : change.rrset.records) zone.nameservers.push_back(r.content);
    }
  }
  std::vector<FieldViolation> violations =
      NormalizeAttributes(zone, "zone", /*check_nameservers=*/!has_apex_ns);
  // Without an SOA of its own the zone gets the service's.
  if (violations.empty() && !soa) violations = CheckDerivedNames(zone);
  if (!violations.empty()) return InvalidFields(violations);
  if (!has_apex_ns) changes.push_back(RRsetChange{ChangeType::kReplace, MakeNs(zone)});

  if (changes.size() + (soa ? 1 : 0) > defaults_.limits.max_import_rrsets) {
    return InvalidField(source_field,
                        absl::StrCat("the zone has ", changes.size() + (soa ? 1 : 0),
                                     " RRsets; at most ", defaults_.limits.max_import_rrsets,
                                     " can be imported at once (--max_import_rrsets)"));
  }
  ValidationLimits limits = defaults_.limits;
  limits.max_changes_per_batch = limits.max_import_rrsets;
  std::vector<FieldViolation> rule_violations = ValidateChanges(zone.name, changes, limits);
  for (auto& v : rule_violations) {
    // Point at the RRset in the file rather than at an internal batch index.
    if (std::optional<size_t> index = ChangeIndexOf(v.field); index && *index < changes.size()) {
      v.description = absl::StrCat(changes[*index].rrset.name, " ", changes[*index].rrset.type,
                                   ": ", v.description);
    }
    v.field = source_field;
  }
  if (!rule_violations.empty()) return InvalidFields(rule_violations);

  uint32_t file_serial = 0;
  if (soa) file_serial = SoaContentSerial(soa->records.front().content);
  // Kept when it is ahead of the date, so secondaries that already hold the
  // zone see no step back (the store applies the rule).
  zone.serial = file_serial;
  NewZone nz{zone, {}};
  if (soa) {
    std::vector<std::string> fields = absl::StrSplit(soa->records.front().content, ' ');
    fields[2] = absl::StrCat(zone.serial);
    soa->records.front().content = absl::StrJoin(fields, " ");
    soa->records.resize(1);
    nz.rrsets.push_back(*soa);
  } else {
    nz.rrsets.push_back(MakeSoa(zone));
  }
  for (auto& change : changes) nz.rrsets.push_back(std::move(change.rrset));
  if (w.validate_only) {
    if (absl::Status free = CheckNameFree(zone.name); !free.ok()) return free;
    return zone;
  }
  absl::StatusOr<Zone> created = store_.CreateZone(nz, key);
  if (created.ok()) created->propagation = AfterWrite(created->name, created->serial, false, w);
  return created;
}

absl::StatusOr<Zone> ZoneManager::GetZone(const std::string& name) {
  absl::StatusOr<std::string> canonical = CanonicalZoneName(name);
  if (!canonical.ok()) return InvalidField("zone", std::string(canonical.status().message()));
  absl::StatusOr<Zone> zone = store_.GetZone(*canonical);
  if (zone.ok()) {
    absl::Status attached = AttachPropagation(*zone);
    if (!attached.ok()) return attached;
  }
  return zone;
}

absl::StatusOr<std::pair<Zone, std::vector<RRset>>> ZoneManager::GetZoneWithRRsets(
    const std::string& name) {
  absl::StatusOr<std::string> canonical = CanonicalZoneName(name);
  if (!canonical.ok()) return InvalidField("zone", std::string(canonical.status().message()));
  absl::StatusOr<std::pair<Zone, std::vector<RRset>>> full = store_.GetZoneWithRRsets(*canonical);
  if (full.ok()) {
    absl::Status attached = AttachPropagation(full->first);
    if (!attached.ok()) return attached;
  }
  return full;
}

absl::Status ZoneManager::AttachPropagation(Zone& zone) {
  if (propagation_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<ServerPropagation>> state = propagation_->State(zone.name);
  if (!state.ok()) return state.status();
  zone.propagation = *std::move(state);
  return absl::OkStatus();
}

absl::StatusOr<SyncResult> ZoneManager::SyncZone(const std::string& name,
                                                 const std::vector<std::string>& servers,
                                                 const WriteOptions& w) {
  absl::StatusOr<std::string> canonical = CanonicalZoneName(name);
  std::vector<FieldViolation> violations;
  if (!canonical.ok()) violations.push_back({"zone", std::string(canonical.status().message())});
  for (size_t i = 0; i < servers.size(); ++i) {
    if (auto bad = CheckServerName(servers[i])) {
      violations.push_back({absl::StrCat("servers[", i, "]"), *bad});
    }
  }
  if (!violations.empty()) return InvalidFields(violations);
  if (propagation_ == nullptr) {
    return absl::FailedPreconditionError("this service has no PowerDNS fleet configured");
  }
  absl::StatusOr<uint32_t> serial = propagation_->RequestSync(*canonical, servers);
  if (!serial.ok()) return serial.status();
  // Asked for by name: never held back.
  propagation_->Kick(*canonical, w.request_id, /*caller_waits=*/true);
  SyncResult result{*canonical, *serial, {}};
  if (w.wait <= absl::ZeroDuration()) {
    absl::StatusOr<std::vector<ServerPropagation>> states = propagation_->State(*canonical);
    if (states.ok()) result.propagation = *std::move(states);
  }
  return result;
}

absl::StatusOr<std::vector<RRset>> ZoneManager::GetZoneRRsets(const std::string& name) {
  absl::StatusOr<std::string> canonical = CanonicalZoneName(name);
  if (!canonical.ok()) return InvalidField("zone", std::string(canonical.status().message()));
  return store_.GetZoneRRsets(*canonical);
}

absl::StatusOr<ListResult<Zone>> ZoneManager::ListZones(const ListZonesQuery& query) {
  absl::StatusOr<int> size = PageSize(query.page_size);
  if (!size.ok()) return InvalidField("page_size", std::string(size.status().message()));
  ZoneFilter filter = query.filter;
  filter.name_prefix = absl::AsciiStrToLower(filter.name_prefix);
  std::vector<FieldViolation> violations;
  CheckId(filter.account, "account", violations);
  CheckId(filter.customer_id, "customer_id", violations);
  CheckId(filter.hosting_service_id, "hosting_service_id", violations);
  CheckId(filter.name_prefix, "name_prefix", violations);
  if (!filter.server.empty()) {
    if (auto bad = CheckServerName(filter.server)) violations.push_back({"server", *bad});
  } else if (!filter.states.empty()) {
    violations.push_back({"propagation_states", "needs server: states are per server"});
  }
  if (!violations.empty()) return InvalidFields(violations);
  std::sort(filter.states.begin(), filter.states.end());
  filter.states.erase(std::unique(filter.states.begin(), filter.states.end()),
                      filter.states.end());
  std::string states;
  for (PropagationState st : filter.states) absl::StrAppend(&states, static_cast<int>(st));
  std::vector<std::string> parts = {"zones", filter.account, filter.customer_id,
                                    filter.hosting_service_id, filter.name_prefix};
  // Tokens of lists without a server stay as they were.
  if (!filter.server.empty()) {
    parts.push_back(filter.server);
    parts.push_back(states);
  }
  const std::string fingerprint = FilterFingerprint(parts);
  absl::StatusOr<std::vector<std::string>> start = PageStart(query.page_token, fingerprint, 1);
  if (!start.ok()) return start.status();
  const std::string after = start->empty() ? "" : start->front();
  absl::StatusOr<Page<Zone>> page = store_.ListZones(filter, after, *size);
  if (!page.ok()) return page.status();
  ListResult<Zone> result{std::move(page->items), ""};
  if (page->more) result.next_page_token = EncodePageToken({result.items.back().name}, fingerprint);
  return result;
}

absl::StatusOr<Zone> ZoneManager::UpdateZone(const ZonePatch& patch, const RequestKey& key,
                                             const WriteOptions& w) {
  absl::StatusOr<std::string> name = CanonicalZoneName(patch.zone.name);
  if (!name.ok()) return InvalidField("zone.name", std::string(name.status().message()));
  if (patch.paths.empty()) {
    return InvalidField("update_mask", "name at least one field to update");
  }
  // Only the masked fields are read (and validated); the rest of
  // patch.zone is ignored, as AIP-134 says.
  const Zone& in = patch.zone;
  Zone zone;
  zone.name = *name;
  ZoneUpdate update;
  bool nameservers = false;
  for (const std::string& path : patch.paths) {
    if (path == "kind") {
      update.kind = in.kind;
    } else if (path == "account") {
      update.account = zone.account = in.account;
    } else if (path == "customer_id") {
      update.customer_id = zone.customer_id = in.customer_id;
    } else if (path == "hosting_service_id") {
      update.hosting_service_id = zone.hosting_service_id = in.hosting_service_id;
    } else if (path == "labels") {
      update.labels = zone.labels = in.labels;
    } else if (path == "masters") {
      zone.masters = in.masters;
      update.masters = zone.masters;
    } else if (path == "nameservers") {
      nameservers = true;
      zone.nameservers = in.nameservers;
    } else {
      return InvalidField("update_mask",
                          absl::StrCat("'", path,
                                       "' cannot be updated (kind, account, customer_id, "
                                       "hosting_service_id, labels, masters, nameservers)"));
    }
  }
  if (nameservers && zone.nameservers.empty()) {
    return InvalidField("zone.nameservers", "a zone needs at least one nameserver");
  }
  // zone.kind stays NATIVE here: SLAVE needs masters, checked against the
  // stored ones below when the mask leaves masters alone.
  std::vector<FieldViolation> violations = NormalizeAttributes(zone, "zone", nameservers);
  if (!violations.empty()) return InvalidFields(violations);
  if (nameservers) update.nameservers = zone.nameservers;
  if (update.kind && *update.kind == ZoneKind::kSlave) {
    std::vector<std::string> masters;
    if (update.masters) {
      masters = *update.masters;
    } else {
      absl::StatusOr<Zone> current = store_.GetZone(*name);
      if (!current.ok()) return current.status();
      masters = current->masters;
    }
    if (masters.empty()) {
      return InvalidField("zone.masters", "a ZONE_KIND_SLAVE zone needs masters");
    }
  }
  if (w.validate_only) {
    absl::StatusOr<Zone> current = CheckCurrent(*name, in.etag);
    if (!current.ok()) return current;
    // The zone as the update would leave it (serial and etag move on commit).
    if (update.kind) current->kind = *update.kind;
    if (update.account) current->account = *update.account;
    if (update.customer_id) current->customer_id = *update.customer_id;
    if (update.hosting_service_id) current->hosting_service_id = *update.hosting_service_id;
    if (update.masters) current->masters = *update.masters;
    if (update.labels) current->labels = *update.labels;
    if (update.nameservers) current->nameservers = *update.nameservers;
    return current;
  }
  absl::StatusOr<Zone> updated =
      store_.UpdateZone(*name, update, Expectations{std::nullopt, in.etag}, key);
  if (!updated.ok()) return WithCurrentState(updated.status(), *name);
  if (updated.ok()) updated->propagation = AfterWrite(updated->name, updated->serial, false, w);
  return updated;
}

absl::StatusOr<std::string> ZoneManager::DeleteZone(const std::string& name,
                                                    const std::string& etag, bool allow_missing,
                                                    const RequestKey& key,
                                                    const WriteOptions& w) {
  absl::StatusOr<std::string> canonical = CanonicalZoneName(name);
  if (!canonical.ok()) return InvalidField("zone", std::string(canonical.status().message()));
  if (w.validate_only) {
    absl::StatusOr<Zone> current = CheckCurrent(*canonical, etag);
    if (allow_missing && absl::IsNotFound(current.status())) return std::string();
    if (!current.ok()) return current.status();
    return *canonical;
  }
  absl::Status status = store_.DeleteZone(*canonical, Expectations{std::nullopt, etag}, key);
  if (allow_missing && absl::IsNotFound(status)) return std::string();
  if (!status.ok()) return WithCurrentState(status, *canonical);
  AfterWrite(*canonical, 0, true, w);
  return *canonical;
}

absl::StatusOr<std::pair<std::string, uint32_t>> ZoneManager::ExportZone(
    const std::string& name) {
  absl::StatusOr<std::string> canonical = CanonicalZoneName(name);
  if (!canonical.ok()) return InvalidField("zone", std::string(canonical.status().message()));
  absl::StatusOr<std::vector<RRset>> rrsets = store_.GetZoneRRsets(*canonical);
  if (!rrsets.ok()) return rrsets.status();
  uint32_t serial = 0;
  for (const auto& rrset : *rrsets) {
    if (rrset.type == "SOA" && !rrset.records.empty()) {
      serial = SoaContentSerial(rrset.records.front().content);
    }
  }
  return std::make_pair(FormatZoneFile(*canonical, *rrsets), serial);
}

absl::StatusOr<ListResult<RRset>> ZoneManager::ListRRsets(const ListRRsetsQuery& query) {
  absl::StatusOr<std::string> zone = CanonicalZoneName(query.zone);
  if (!zone.ok()) return InvalidField("zone", std::string(zone.status().message()));
  absl::StatusOr<int> size = PageSize(query.page_size);
  if (!size.ok()) return InvalidField("page_size", std::string(size.status().message()));
  RRsetFilter filter;
  if (!query.name.empty()) {
    absl::StatusOr<std::string> name = CanonicalOwnerName(query.name, *zone);
    if (!name.ok()) return InvalidField("name", std::string(name.status().message()));
    filter.name = *name;
  }
  if (!query.type.empty()) {
    absl::StatusOr<std::string> type = CanonicalType(query.type);
    if (!type.ok()) return InvalidField("type", std::string(type.status().message()));
    filter.type = *type;
  }
  const std::string fingerprint = FilterFingerprint({"rrsets", *zone, filter.name, filter.type});
  absl::StatusOr<std::vector<std::string>> start = PageStart(query.page_token, fingerprint, 2);
  if (!start.ok()) return start.status();
  const std::string after_name = start->empty() ? "" : (*start)[0];
  const std::string after_type = start->empty() ? "" : (*start)[1];
  absl::StatusOr<Page<RRset>> page =
      store_.ListRRsets(*zone, filter, after_name, after_type, *size);
  if (!page.ok()) return page.status();
  ListResult<RRset> result{std::move(page->items), ""};
  if (page->more) {
    result.next_page_token =
        EncodePageToken({result.items.back().name, result.items.back().type}, fingerprint);
  }
  return result;
}

absl::StatusOr<RRset> ZoneManager::GetRRset(const std::string& zone_name, const std::string& name,
                                            const std::string& type) {
  absl::StatusOr<std::string> zone = CanonicalZoneName(zone_name);
  if (!zone.ok()) return InvalidField("zone", std::string(zone.status().message()));
  std::vector<FieldViolation> violations;
  absl::StatusOr<std::string> owner = CanonicalOwnerName(name, *zone);
  if (!owner.ok()) violations.push_back({"name", std::string(owner.status().message())});
  absl::StatusOr<std::string> canonical_type = CanonicalType(type);
  if (!canonical_type.ok()) {
    violations.push_back({"type", std::string(canonical_type.status().message())});
  }
  if (!violations.empty()) return InvalidFields(violations);
  return store_.GetRRset(*zone, *owner, *canonical_type);
}

absl::StatusOr<ChangeResult> ZoneManager::ChangeRRsets(const std::string& zone_name,
                                                       std::vector<RRsetChange> changes,
                                                       const Expectations& expect,
                                                       const RequestKey& key,
                                                       const WriteOptions& w) {
  absl::StatusOr<std::string> zone = CanonicalZoneName(zone_name);
  if (!zone.ok()) return InvalidField("zone", std::string(zone.status().message()));
  std::vector<FieldViolation> violations = ValidateChanges(*zone, changes, defaults_.limits);
  if (!violations.empty()) return InvalidFields(violations);
  absl::StatusOr<ChangeResult> result =
      store_.ChangeRRsets(*zone, changes, expect, key, w.validate_only);
  if (!result.ok()) return WithCurrentState(NameConflict(result.status(), changes), *zone);
  result->zone = *zone;
  result->changes = std::move(changes);
  if (w.validate_only) return result;
  result->propagation = AfterWrite(*zone, result->serial, false, w);
  return result;
}

absl::Status ZoneManager::WithCurrentState(absl::Status status, const std::string& zone) {
  if (ReasonOf(status) != "STALE_ZONE") return status;
  absl::StatusOr<Zone> current = store_.GetZone(zone);
  if (!current.ok()) return status;
  return WithReasonAndMetadata(std::move(status), "STALE_ZONE",
                               {{"zone", zone},
                                {"serial", absl::StrCat(current->serial)},
                                {"etag", current->etag}});
}

absl::Status ZoneManager::NameConflict(absl::Status status,
                                       const std::vector<RRsetChange>& changes) {
  // The store finds a CNAME next to other data among the stored RRsets and
  // says which name; the change that brought it there is the one named.
  if (!absl::IsInvalidArgument(status)) return status;
  const std::string message(status.message());
  const size_t at = message.find("name ");
  const size_t end = message.find(" would hold a CNAME");
  if (at == std::string::npos || end == std::string::npos || end <= at + 5) return status;
  const std::string name = message.substr(at + 5, end - at - 5);
  std::optional<size_t> index;
  for (size_t i = 0; i < changes.size(); ++i) {
    const RRsetChange& c = changes[i];
    if (c.type != ChangeType::kReplace || c.rrset.name != name) continue;
    if (!index || c.rrset.type == "CNAME") index = i;
  }
  if (!index) return status;
  return WithReason(
      InvalidField(absl::StrCat("changes[", *index, "]"),
                   absl::StrCat(name, " would hold a CNAME next to other data (RFC 1034 3.6.2): "
                                      "a CNAME must be the only RRset at its name")),
      "CNAME_CONFLICT");
}

absl::Status ZoneManager::CheckNameFree(const std::string& zone) {
  absl::StatusOr<Zone> existing = store_.GetZone(zone);
  if (existing.ok()) {
    return WithReason(absl::AlreadyExistsError(absl::StrCat("zone ", zone, " already exists")),
                      "ZONE_ALREADY_EXISTS");
  }
  return absl::IsNotFound(existing.status()) ? absl::OkStatus() : existing.status();
}

absl::StatusOr<Zone> ZoneManager::CheckCurrent(const std::string& zone, const std::string& etag) {
  absl::StatusOr<Zone> current = store_.GetZone(zone);
  if (!current.ok()) return current.status();
  if (!etag.empty() && etag != current->etag) {
    return WithCurrentState(
        WithReason(absl::AbortedError(absl::StrCat(
                       "zone ", zone, " was changed since the given etag was read")),
                   "STALE_ZONE"),
        zone);
  }
  return current;
}

}  // namespace dns
