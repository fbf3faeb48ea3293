// Fuzzes the decoding of PowerDNS API responses: every Parse* function
// reads the same input, as a misbehaving or hostile server could send any
// body to any call.
//
// Properties beyond "does not crash" (nor throw, nor hit UB):
//  - ParseZoneList and ParseZone agree on what an object is;
//  - a parsed zone encoded again (EncodeCreateZone, EncodePatchRRsets, the
//    split EncodeCreateZoneBodies) is valid JSON that parses back to the
//    same settings and RRsets;
//  - ErrorTextFromBody stays short unless it is the server's own message;
//  - ParseExport of anything that is not a JSON object is the body itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/pdns_json.h"
#include "nlohmann/json.hpp"
#include "tests/fuzz/fuzz_check.h"

namespace dns::pdns {
namespace {

using fuzz::Show;

std::string Describe(const std::vector<RRset>& rrsets) {
  std::string out;
  for (const RRset& rrset : rrsets) {
    out += Show(rrset.name) + " " + std::to_string(rrset.ttl) + " " + Show(rrset.type);
    for (const Record& record : rrset.records) {
      out += "\n  " + Show(record.content) + (record.disabled ? " (disabled)" : "");
    }
    out += "\n";
  }
  return out;
}

CreateZoneRequest RequestFrom(const ZoneInfo& zone) {
  CreateZoneRequest request;
  request.name = zone.name;
  request.kind = zone.kind;
  request.masters = zone.masters;
  request.account = zone.account;
  request.soa_edit_api = zone.soa_edit_api;
  request.api_rectify = zone.api_rectify;
  request.rrsets = zone.rrsets;
  return request;
}

void CheckReEncoding(const ZoneInfo& zone) {
  const CreateZoneRequest request = RequestFrom(zone);
  const std::string body = EncodeCreateZone(request);
  const absl::StatusOr<ZoneInfo> back = ParseZone(body);
  FUZZ_CHECK(back.ok(), "EncodeCreateZone wrote bad JSON: " + Show(body));
  FUZZ_CHECK(back->name == Absolute(zone.name), Show(back->name));
  FUZZ_CHECK(back->kind == zone.kind, Show(body));
  FUZZ_CHECK(back->masters == zone.masters, Show(body));
  FUZZ_CHECK(back->account == zone.account, Show(body));
  FUZZ_CHECK(back->soa_edit_api == zone.soa_edit_api, Show(body));
  FUZZ_CHECK(back->api_rectify == zone.api_rectify, Show(body));
  FUZZ_CHECK(back->rrsets == zone.rrsets,
             "RRsets changed:\n" + Describe(zone.rrsets) + "->\n" + Describe(back->rrsets));

  // The same zone split into small bodies: each one is valid JSON.
  const CreateZoneBodies bodies = EncodeCreateZoneBodies(request, 256);
  FUZZ_CHECK(ParseZone(bodies.post).ok(), Show(bodies.post));
  for (const std::string& patch : bodies.patches) {
    FUZZ_CHECK(nlohmann::json::accept(patch), Show(patch));
  }

  std::vector<RRsetChange> changes;
  for (const RRset& rrset : zone.rrsets) {
    changes.push_back({ChangeType::kReplace, rrset, false});
    changes.push_back({ChangeType::kDelete, rrset, false});
  }
  const std::string patch = EncodePatchRRsets(changes);
  const nlohmann::json json = nlohmann::json::parse(patch, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!json.is_discarded(), Show(patch));
  FUZZ_CHECK(json["rrsets"].size() == changes.size(), Show(patch));
}

}  // namespace
}  // namespace dns::pdns

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace dns::pdns;
  const absl::string_view body(reinterpret_cast<const char*>(data), size);

  (void)ParseServerInfo(body);
  (void)ParseStatistics(body);
  (void)ParseFlushCount(body);

  const absl::StatusOr<std::vector<ZoneInfo>> list = ParseZoneList(body);
  const absl::StatusOr<ZoneInfo> zone = ParseZone(body);
  if (zone.ok()) CheckReEncoding(*zone);
  if (list.ok()) {
    for (const ZoneInfo& listed : *list) CheckReEncoding(listed);
  }

  const std::string exported = ParseExport(body);
  const nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    FUZZ_CHECK(exported == body, dns::fuzz::Show(exported));
  }

  const std::string error = ErrorTextFromBody(body);
  const bool from_server = !json.is_discarded() && json.is_object() && json.contains("error");
  FUZZ_CHECK(from_server || error.size() <= 303, dns::fuzz::Show(error));
  return 0;
}
