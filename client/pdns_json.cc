#include "client/pdns_json.h"

#include <cctype>
#include <exception>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json_text.h"
#include "nlohmann/json.hpp"

namespace dns::pdns {
namespace {

using Json = nlohmann::json;

constexpr char kHex[] = "0123456789ABCDEF";

absl::StatusOr<Json> ParseJson(absl::string_view body, absl::string_view what) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError(
        absl::StrCat("malformed JSON in PowerDNS ", what, " response"));
  }
  return json;
}

std::string StringOr(const Json& json, const char* key,
                     std::string fallback = "") {
  auto it = json.find(key);
  if (it == json.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

bool BoolOr(const Json& json, const char* key, bool fallback = false) {
  auto it = json.find(key);
  if (it == json.end() || !it->is_boolean()) return fallback;
  return it->get<bool>();
}

// Serials are unsigned 32-bit in DNS; PowerDNS prints them as JSON numbers.
uint32_t SerialOr(const Json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return static_cast<uint32_t>(it->get<uint64_t>());
  if (it->is_number_integer()) return static_cast<uint32_t>(it->get<int64_t>());
  // A float outside the 32-bit range has no uint32_t value (converting it
  // is undefined behaviour); it reads as a missing one.
  const double value = it->get<double>();
  if (!(value >= 0 && value <= std::numeric_limits<uint32_t>::max())) return 0;
  return static_cast<uint32_t>(value);
}

std::vector<std::string> StringsOr(const Json& json, const char* key) {
  std::vector<std::string> out;
  auto it = json.find(key);
  if (it == json.end() || !it->is_array()) return out;
  for (const Json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// One RRset as the API takes it, written as text (large zones built as a
// DOM cost about ten times their size): {"name","type"[,"changetype"]
// [,"ttl","records"]}, ttl and records only for REPLACE and creation.
std::string RRsetJson(const RRset& rrset, const char* changetype) {
  std::string out = "{\"name\":";
  AppendJsonString(&out, rrset.name);
  out.append(",\"type\":");
  AppendJsonString(&out, rrset.type);
  if (changetype != nullptr) {
    out.append(",\"changetype\":");
    AppendJsonString(&out, changetype);
  }
  if (changetype == nullptr || absl::string_view(changetype) == "REPLACE") {
    absl::StrAppend(&out, ",\"ttl\":", rrset.ttl, ",\"records\":[");
    for (size_t i = 0; i < rrset.records.size(); ++i) {
      out.append(i ? ",{\"content\":" : "{\"content\":");
      AppendJsonString(&out, rrset.records[i].content);
      out.append(rrset.records[i].disabled ? ",\"disabled\":true}" : ",\"disabled\":false}");
    }
    out.append("]");
  }
  out.push_back('}');
  return out;
}

ZoneInfo ZoneFromJson(const Json& json) {
  ZoneInfo zone;
  zone.id = StringOr(json, "id");
  zone.name = StringOr(json, "name");
  zone.kind = ParseZoneKind(StringOr(json, "kind", "Native"));
  zone.serial = SerialOr(json, "serial");
  zone.notified_serial = SerialOr(json, "notified_serial");
  zone.edited_serial = SerialOr(json, "edited_serial");
  zone.masters = StringsOr(json, "masters");
  zone.account = StringOr(json, "account");
  zone.dnssec = BoolOr(json, "dnssec");
  zone.soa_edit_api = StringOr(json, "soa_edit_api");
  zone.api_rectify = BoolOr(json, "api_rectify");
  auto rrsets = json.find("rrsets");
  if (rrsets != json.end() && rrsets->is_array()) {
    for (const Json& r : *rrsets) {
      RRset rrset;
      rrset.name = StringOr(r, "name");
      rrset.type = StringOr(r, "type");
      rrset.ttl = SerialOr(r, "ttl");
      auto records = r.find("records");
      if (records != r.end() && records->is_array()) {
        for (const Json& rec : *records) {
          rrset.records.push_back(
              Record{StringOr(rec, "content"), BoolOr(rec, "disabled")});
        }
      }
      zone.rrsets.push_back(std::move(rrset));
    }
  }
  return zone;
}

}  // namespace

std::string Absolute(absl::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out.push_back('.');
  return out;
}

std::string ZoneIdFromName(absl::string_view zone) {
  std::string name = Absolute(zone);
  std::string id;
  id.reserve(name.size());
  for (unsigned char c : name) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '-') {
      id.push_back(static_cast<char>(c));
    } else {
      id.push_back('=');
      id.push_back(kHex[c >> 4]);
      id.push_back(kHex[c & 0xF]);
    }
  }
  return id;
}

std::string UrlEncode(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

absl::string_view ZoneKindName(ZoneKind kind) {
  switch (kind) {
    case ZoneKind::kNative:
      return "Native";
    case ZoneKind::kMaster:
      return "Master";
    case ZoneKind::kSlave:
      return "Slave";
  }
  return "Native";
}

ZoneKind ParseZoneKind(absl::string_view name) {
  if (absl::EqualsIgnoreCase(name, "Master")) return ZoneKind::kMaster;
  if (absl::EqualsIgnoreCase(name, "Slave")) return ZoneKind::kSlave;
  return ZoneKind::kNative;
}

namespace {

// The POST body with `rrsets` (each already encoded by RRsetJson).
std::string CreateZoneJson(const CreateZoneRequest& request,
                           const std::vector<std::string>& rrsets) {
  Json settings = {
      {"name", Absolute(request.name)},
      {"kind", std::string(ZoneKindName(request.kind))},
      {"nameservers", request.nameservers},
      {"masters", request.masters},
      {"account", request.account},
      {"soa_edit_api", request.soa_edit_api},
      {"api_rectify", request.api_rectify},
  };
  std::string out = settings.dump();
  out.pop_back();  // the closing brace: the RRsets follow
  out.append(",\"rrsets\":[");
  for (size_t i = 0; i < rrsets.size(); ++i) {
    if (i) out.push_back(',');
    out.append(rrsets[i]);
  }
  out.append("]}");
  return out;
}

bool IsApexSoa(const RRset& rrset, absl::string_view zone) {
  return rrset.type == "SOA" && absl::EqualsIgnoreCase(Absolute(rrset.name), Absolute(zone));
}

// "mname rname serial refresh ..." with the serial field replaced.
std::string WithSerial(const std::string& soa, absl::string_view serial) {
  std::vector<std::string> fields = absl::StrSplit(soa, ' ', absl::SkipEmpty());
  if (fields.size() != 7) return soa;
  fields[2] = std::string(serial);
  return absl::StrJoin(fields, " ");
}

// Packs encoded RRset entries into {"rrsets": [...]} bodies of at most
// `max_body_bytes` each, in order.
std::vector<std::string> PackBodies(const std::vector<std::string>& entries, size_t max_body_bytes) {
  constexpr absl::string_view kHead = "{\"rrsets\":[";
  constexpr absl::string_view kTail = "]}";
  std::vector<std::string> bodies;
  std::string body;
  for (const std::string& entry : entries) {
    const bool empty = body.empty();
    if (!empty && body.size() + 1 + entry.size() + kTail.size() > max_body_bytes) {
      absl::StrAppend(&body, kTail);
      bodies.push_back(std::move(body));
      body.clear();
    }
    absl::StrAppend(&body, body.empty() ? kHead : ",", entry);
  }
  if (!body.empty()) {
    absl::StrAppend(&body, kTail);
    bodies.push_back(std::move(body));
  }
  return bodies;
}

std::vector<std::string> PatchEntries(const std::vector<RRsetChange>& changes) {
  std::vector<std::string> entries;
  entries.reserve(changes.size());
  for (const RRsetChange& c : changes) {
    if (c.type == ChangeType::kDelete) entries.push_back(RRsetJson(c.rrset, "DELETE"));
  }
  const RRsetChange* soa = nullptr;
  for (const RRsetChange& c : changes) {
    if (c.type != ChangeType::kReplace) continue;
    if (c.rrset.type == "SOA") {
      soa = &c;
      continue;
    }
    entries.push_back(RRsetJson(c.rrset, "REPLACE"));
  }
  if (soa != nullptr) entries.push_back(RRsetJson(soa->rrset, "REPLACE"));
  return entries;
}

}  // namespace

std::string EncodeCreateZone(const CreateZoneRequest& request) {
  std::vector<std::string> all;
  all.reserve(request.rrsets.size());
  for (const RRset& r : request.rrsets) all.push_back(RRsetJson(r, nullptr));
  return CreateZoneJson(request, all);
}

CreateZoneBodies EncodeCreateZoneBodies(const CreateZoneRequest& request,
                                        size_t max_body_bytes) {
  CreateZoneBodies out;
  std::vector<std::string> all;
  all.reserve(request.rrsets.size());
  size_t total = 0;
  for (const RRset& r : request.rrsets) {
    all.push_back(RRsetJson(r, nullptr));
    total += all.back().size() + 1;
  }
  // 1 KB covers the zone's settings next to its RRsets.
  if (total + 1024 <= max_body_bytes) {
    out.post = CreateZoneJson(request, all);
    if (out.post.size() <= max_body_bytes) return out;
  }
  all.clear();
  // The POST holds what a zone cannot be created without; the rest follows,
  // the real SOA last.
  std::vector<std::string> first;
  std::vector<std::string> rest;
  std::string soa;
  for (const RRset& r : request.rrsets) {
    const bool at_apex = absl::EqualsIgnoreCase(Absolute(r.name), Absolute(request.name));
    if (IsApexSoa(r, request.name)) {
      RRset placeholder = r;
      for (Record& record : placeholder.records) record.content = WithSerial(record.content, "0");
      first.push_back(RRsetJson(placeholder, nullptr));
      soa = RRsetJson(r, "REPLACE");
    } else if (r.type == "NS" && at_apex) {
      first.push_back(RRsetJson(r, nullptr));
    } else {
      rest.push_back(RRsetJson(r, "REPLACE"));
    }
  }
  if (!soa.empty()) rest.push_back(std::move(soa));
  out.post = CreateZoneJson(request, first);
  out.patches = PackBodies(rest, max_body_bytes);
  return out;
}

std::string EncodeZoneAttributes(const ZoneAttributes& attrs) {
  Json body = {
      {"kind", std::string(ZoneKindName(attrs.kind))},
      {"masters", attrs.masters},
      {"soa_edit_api", attrs.soa_edit_api},
  };
  return body.dump();
}

std::string EncodePatchRRsets(const std::vector<RRsetChange>& changes) {
  std::vector<std::string> bodies =
      PackBodies(PatchEntries(changes), std::numeric_limits<size_t>::max());
  return bodies.empty() ? std::string(R"({"rrsets":[]})") : bodies.front();
}

std::vector<std::string> EncodePatchRRsetsBodies(const std::vector<RRsetChange>& changes,
                                                 size_t max_body_bytes) {
  return PackBodies(PatchEntries(changes), max_body_bytes);
}

absl::StatusOr<ServerInfo> ParseServerInfo(absl::string_view body) {
  absl::StatusOr<Json> json = ParseJson(body, "server");
  if (!json.ok()) return json.status();
  if (!json->is_object()) {
    return absl::InternalError("PowerDNS server response is not an object");
  }
  return ServerInfo{StringOr(*json, "id"), StringOr(*json, "daemon_type"),
                    StringOr(*json, "version")};
}

absl::StatusOr<Statistics> ParseStatistics(absl::string_view body) {
  absl::StatusOr<Json> json = ParseJson(body, "statistics");
  if (!json.ok()) return json.status();
  if (!json->is_array()) {
    return absl::InternalError("PowerDNS statistics response is not a list");
  }
  Statistics stats;
  for (const Json& item : *json) {
    if (!item.is_object()) continue;
    const std::string name = StringOr(item, "name");
    auto value = item.find("value");
    if (name.empty() || value == item.end()) continue;
    if (value->is_string()) {
      stats[name] = value->get<std::string>();
    } else if (value->is_array()) {
      // MapStatisticItem: [{"name": k, "value": v}, ...]; rings are skipped
      // by the caller's includerings=false.
      for (const Json& entry : *value) {
        if (!entry.is_object()) continue;
        stats[absl::StrCat(name, ":", StringOr(entry, "name"))] =
            StringOr(entry, "value");
      }
    }
  }
  return stats;
}

absl::StatusOr<std::vector<ZoneInfo>> ParseZoneList(absl::string_view body) {
  // Each zone is converted as soon as its object is read and then dropped
  // from the document: a DOM of 100,000 zones would cost about 150 MB for a
  // moment, the zones themselves a fifth of that.
  std::vector<ZoneInfo> zones;
  Json::parser_callback_t each = [&zones](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::object_end) {
      zones.push_back(ZoneFromJson(parsed));
      return false;
    }
    return true;
  };
  Json json = Json::parse(body, each, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError("malformed JSON in PowerDNS zone list response");
  }
  if (!json.is_array()) {
    return absl::InternalError("PowerDNS zone list response is not a list");
  }
  return zones;
}

absl::StatusOr<ZoneInfo> ParseZone(absl::string_view body) {
  absl::StatusOr<Json> json = ParseJson(body, "zone");
  if (!json.ok()) return json.status();
  if (!json->is_object()) {
    return absl::InternalError("PowerDNS zone response is not an object");
  }
  return ZoneFromJson(*json);
}

absl::StatusOr<int64_t> ParseFlushCount(absl::string_view body) {
  absl::StatusOr<Json> json = ParseJson(body, "cache flush");
  if (!json.ok()) return json.status();
  auto count = json->is_object() ? json->find("count") : json->end();
  // PowerDNS sends an integer; a float or an integer beyond int64_t has no
  // int64_t value (converting a float out of range is undefined behaviour).
  if (!json->is_object() || count == json->end() || !count->is_number_integer() ||
      (count->is_number_unsigned() &&
       count->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    return absl::InternalError("PowerDNS cache flush response has no count");
  }
  return count->get<int64_t>();
}

std::string ParseExport(absl::string_view body) {
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(body);
  if (!trimmed.empty() && trimmed.front() == '{') {
    Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!json.is_discarded() && json.is_object()) {
      auto zone = json.find("zone");
      if (zone != json.end() && zone->is_string()) return zone->get<std::string>();
    }
  }
  return std::string(body);
}

std::string ErrorTextFromBody(absl::string_view body) {
  constexpr size_t kMaxText = 300;
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded() && json.is_object()) {
    std::string error = StringOr(json, "error");
    if (!error.empty()) return error;
  }
  std::string text(absl::StripAsciiWhitespace(body));
  if (text.size() > kMaxText) {
    text.resize(kMaxText);
    text += "...";
  }
  return text;
}

}  // namespace dns::pdns
