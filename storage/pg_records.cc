#include "storage/pg_records.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json_text.h"

namespace dns {

std::string Bare(absl::string_view name) {
  absl::ConsumeSuffix(&name, ".");
  return std::string(name);
}
std::string Absolute(absl::string_view name) { return absl::StrCat(name, "."); }

bool HasPriority(absl::string_view type) { return type == "MX" || type == "SRV"; }

std::pair<int, std::string> SplitPriority(absl::string_view type, absl::string_view content) {
  if (!HasPriority(type)) return {0, std::string(content)};
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(content, absl::MaxSplits(' ', 1));
  int prio = 0;
  if (!absl::SimpleAtoi(parts.first, &prio)) return {0, std::string(content)};
  return {prio, std::string(parts.second)};
}

std::string JoinPriority(absl::string_view type, int prio, absl::string_view content) {
  if (!HasPriority(type)) return std::string(content);
  return absl::StrCat(prio, " ", content);
}

std::string RecordRows(const std::vector<RRset>& rrsets) {
  std::string out = "[";
  for (const RRset& rrset : rrsets) {
    const std::string name = Bare(rrset.name);
    for (const Record& record : rrset.records) {
      auto [prio, content] = SplitPriority(rrset.type, record.content);
      if (out.size() > 1) out.push_back(',');
      out.append("{\"n\":");
      AppendJsonString(&out, name);
      out.append(",\"t\":");
      AppendJsonString(&out, rrset.type);
      out.append(",\"c\":");
      AppendJsonString(&out, content);
      absl::StrAppend(&out, ",\"ttl\":", rrset.ttl, ",\"p\":", prio,
                      ",\"d\":", record.disabled ? "true" : "false", "}");
    }
  }
  out.push_back(']');
  return out;
}

//

std::vector<RRset> RRsetsFromRows(const pqxx::result& rows, size_t first) {
  return RRsetsFromRows(rows, first, rows.size(), 0);
}

std::vector<RRset> RRsetsFromRows(const pqxx::result& rows, size_t begin, size_t end,
                                  int column) {
  std::vector<RRset> out;
  for (size_t i = begin; i < end; ++i) {
    const auto& row = rows[static_cast<pqxx::result::size_type>(i)];
    std::string name = Absolute(row[column].as<std::string>());
    std::string type = row[column + 1].as<std::string>();
    if (out.empty() || out.back().name != name || out.back().type != type) {
      out.push_back(RRset{name, type, row[column + 3].as<uint32_t>(), {}});
    }
    RRset& rrset = out.back();
    rrset.ttl = std::min(rrset.ttl, row[column + 3].as<uint32_t>());
    rrset.records.push_back(
        Record{JoinPriority(type, row[column + 4].is_null() ? 0 : row[column + 4].as<int>(),
                            row[column + 2].as<std::string>()),
               row[column + 5].as<bool>()});
  }
  return out;
}

}  // namespace dns
