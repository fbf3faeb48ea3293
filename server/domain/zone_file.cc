#include "server/domain/zone_file.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "server/domain/dns_name.h"
#include "server/domain/string_view_compat.h"

namespace dns {
namespace {

using internal::Av;
using internal::Sv;

// One token of a master-file line. Quoted tokens keep their escapes as
// written (the body between the quotes) so CanonicalContent sees exactly what
// the file said.
struct LexToken {
  std::string text;
  bool quoted = false;
};

// A record or directive: physical lines joined by parentheses.
struct LogicalLine {
  size_t line = 0;           // where it starts
  bool blank_owner = false;  // started with whitespace
  std::vector<LexToken> tokens;
  std::string error;  // lexing problem; the line is skipped
};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Hands each logical line to `emit` as soon as it is complete: a file of
// 100,000 records is never held as 100,000 token lists at once.
template <typename Emit>
void Lex(absl::string_view text, Emit&& emit) {
  LogicalLine current;
  bool at_physical_start = true;
  bool in_logical = false;
  int depth = 0;
  size_t line = 1;

  auto finish = [&] {
    if (in_logical && (!current.tokens.empty() || !current.error.empty())) {
      emit(current);
    }
    current = LogicalLine();
    in_logical = false;
  };
  // After an error the rest of the physical line means nothing; dropping the
  // open parentheses too stops one typo from swallowing the rest of the file.
  auto fail = [&](std::string message, size_t& pos) {
    if (current.error.empty()) current.error = std::move(message);
    depth = 0;
    while (pos < text.size() && text[pos] != '\n') ++pos;
  };

  size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c == '\n') {
      ++line;
      ++pos;
      at_physical_start = true;
      if (depth == 0) finish();
      continue;
    }
    if (at_physical_start) {
      at_physical_start = false;
      if (depth == 0) {
        finish();
        current.line = line;
        current.blank_owner = IsBlank(c);
        in_logical = true;
      }
    }
    if (IsBlank(c)) {
      ++pos;
      continue;
    }
    if (c == ';') {
      while (pos < text.size() && text[pos] != '\n') ++pos;
      continue;
    }
    if (c == '(') {
      ++depth;
      ++pos;
      continue;
    }
    if (c == ')') {
      ++pos;
      if (depth == 0) {
        fail(absl::StrCat("line ", line, ": ')' without a matching '('"), pos);
      } else {
        --depth;
      }
      continue;
    }
    if (c == '"') {
      const size_t start_line = line;
      ++pos;
      std::string body;
      bool closed = false;
      while (pos < text.size() && text[pos] != '\n') {
        if (text[pos] == '\\' && pos + 1 < text.size() && text[pos + 1] != '\n') {
          body.append(text.data() + pos, 2);
          pos += 2;
          continue;
        }
        if (text[pos] == '"') {
          closed = true;
          ++pos;
          break;
        }
        body.push_back(text[pos++]);
      }
      if (!closed) {
        fail(absl::StrCat("line ", start_line,
                          ": a quoted string is not closed before the end of the line"),
             pos);
        continue;
      }
      current.tokens.push_back({std::move(body), true});
      continue;
    }
    // Bare token: up to whitespace or a character with meaning of its own.
    std::string token;
    while (pos < text.size()) {
      const char t = text[pos];
      if (IsBlank(t) || t == '\n' || t == ';' || t == '(' || t == ')' || t == '"') break;
      if (t == '\\' && pos + 1 < text.size() && text[pos + 1] != '\n') {
        token.append(text.data() + pos, 2);
        pos += 2;
        continue;
      }
      token.push_back(t);
      ++pos;
    }
    current.tokens.push_back({std::move(token), false});
  }
  if (depth > 0) {
    current.error =
        absl::StrCat("line ", current.line, ": '(' is not closed before the end of the file");
  }
  finish();
}

// Absolute form of a name written in the file relative to `origin`.
std::string Absolute(absl::string_view name, absl::string_view origin) {
  if (name == "@") return std::string(origin);
  if (!name.empty() && name.back() == '.') return std::string(name);
  if (origin == ".") return absl::StrCat(name, ".");
  return absl::StrCat(name, ".", origin);
}

// Positions of domain names inside the content of each type, which a zone
// file may write relative to $ORIGIN.
std::vector<size_t> NamePositions(absl::string_view type) {
  if (type == "CNAME" || type == "NS" || type == "PTR" || type == "DNAME" || type == "ALIAS") {
    return {0};
  }
  if (type == "MX") return {1};
  if (type == "SRV") return {3};
  if (type == "SOA") return {0, 1};
  if (type == "NAPTR") return {5};
  return {};
}

bool IsUnsupportedClass(absl::string_view token) {
  return absl::EqualsIgnoreCase(token, "CH") || absl::EqualsIgnoreCase(token, "HS") ||
         absl::EqualsIgnoreCase(token, "CS") || absl::EqualsIgnoreCase(token, "ANY") ||
         absl::EqualsIgnoreCase(token, "NONE");
}

struct Error {
  size_t line;
  std::string description;
};

class Parser {
 public:
  Parser(absl::string_view zone, uint32_t default_ttl)
      : zone_(zone), origin_(zone), default_ttl_(default_ttl) {}

  ParsedZoneFile Run(absl::string_view text) {
    Lex(text, [this](LogicalLine& line) {
      if (!line.error.empty()) {
        // Lexer messages already carry their line number.
        errors_.push_back({line.line, std::move(line.error)});
        return;
      }
      if (line.tokens.empty()) return;
      if (!line.blank_owner && !line.tokens[0].quoted &&
          absl::StartsWith(line.tokens[0].text, "$")) {
        Directive(line);
      } else {
        Record(line);
      }
    });
    CheckSoa();
    CheckCname();
    return Finish();
  }

 private:
  void AddError(size_t line, absl::string_view message) {
    errors_.push_back({line, absl::StrCat("line ", line, ": ", message)});
  }

  void Directive(const LogicalLine& line) {
    const std::string name = absl::AsciiStrToUpper(line.tokens[0].text);
    const size_t args = line.tokens.size() - 1;
    if (name == "$INCLUDE") {
      AddError(line.line, "$INCLUDE is not supported; paste the included records instead");
      return;
    }
    if (name == "$GENERATE") {
      AddError(line.line,
               "$GENERATE is not supported; expand the generated records before importing");
      return;
    }
    if (name != "$ORIGIN" && name != "$TTL") {
      AddError(line.line, absl::StrCat("unknown directive ", line.tokens[0].text));
      return;
    }
    if (args != 1 || line.tokens[1].quoted) {
      AddError(line.line, absl::StrCat(name, " takes exactly one argument"));
      return;
    }
    const std::string& arg = line.tokens[1].text;
    if (name == "$TTL") {
      absl::StatusOr<uint32_t> ttl = ParseTtl(arg);
      if (!ttl.ok()) {
        AddError(line.line, ttl.status().message());
        return;
      }
      dollar_ttl_ = *ttl;
      return;
    }
    absl::StatusOr<std::string> origin = CanonicalTargetName(Absolute(arg, origin_));
    if (!origin.ok()) {
      AddError(line.line, absl::StrCat("$ORIGIN: ", origin.status().message()));
      return;
    }
    origin_ = *std::move(origin);
  }

  void Record(const LogicalLine& line) {
    const std::vector<LexToken>& tokens = line.tokens;
    size_t index = 0;
    std::string owner;
    if (line.blank_owner) {
      if (!last_owner_.has_value()) {
        AddError(line.line, "the line starts with whitespace but there is no previous owner name");
        return;
      }
      owner = *last_owner_;
    } else {
      if (tokens[0].quoted) {
        AddError(line.line, "an owner name cannot be quoted");
        return;
      }
      owner = Absolute(tokens[0].text, origin_);
      index = 1;
      // Remembered even when invalid, so following blank-owner lines report
      // the same owner rather than silently attaching to an older one.
      last_owner_ = owner;
    }
    absl::StatusOr<std::string> name = CanonicalOwnerName(owner, zone_);
    if (!name.ok()) {
      AddError(line.line, name.status().message());
      return;
    }

    // Optional TTL and class, in either order.
    std::optional<uint32_t> ttl;
    bool have_class = false;
    while (index < tokens.size() && !tokens[index].quoted) {
      const std::string& t = tokens[index].text;
      if (!ttl.has_value() && !t.empty() && absl::ascii_isdigit(static_cast<unsigned char>(t[0]))) {
        absl::StatusOr<uint32_t> parsed = ParseTtl(t);
        if (!parsed.ok()) {
          AddError(line.line, parsed.status().message());
          return;
        }
        ttl = *parsed;
      } else if (!have_class && absl::EqualsIgnoreCase(t, "IN")) {
        have_class = true;
      } else if (!have_class && IsUnsupportedClass(t)) {
        AddError(line.line,
                 absl::StrCat("class ", absl::AsciiStrToUpper(t), " is not supported; only IN is"));
        return;
      } else {
        break;
      }
      ++index;
    }
    if (index >= tokens.size()) {
      AddError(line.line, "the record has no type");
      return;
    }
    if (tokens[index].quoted) {
      AddError(line.line, "a record type cannot be quoted");
      return;
    }
    absl::StatusOr<std::string> type = CanonicalType(tokens[index].text);
    if (!type.ok()) {
      AddError(line.line, type.status().message());
      return;
    }
    ++index;
    if (index >= tokens.size()) {
      AddError(line.line, absl::StrCat("the ", *type, " record has no content"));
      return;
    }

    const std::vector<size_t> name_positions = NamePositions(*type);
    const bool is_text = *type == "TXT" || *type == "SPF";
    std::string content;
    for (size_t i = index; i < tokens.size(); ++i) {
      const size_t field = i - index;
      if (!content.empty()) content.push_back(' ');
      const LexToken& token = tokens[i];
      if (token.quoted || is_text) {
        // In a zone file each bare word of a TXT is its own string.
        absl::StrAppend(&content, "\"", token.text, "\"");
      } else if (std::find(name_positions.begin(), name_positions.end(), field) !=
                 name_positions.end()) {
        content += Absolute(token.text, origin_);
      } else {
        content += token.text;
      }
    }
    absl::StatusOr<std::string> canonical = CanonicalContent(*type, content, origin_);
    if (!canonical.ok()) {
      AddError(line.line, absl::StrCat(*type, ": ", canonical.status().message()));
      return;
    }

    uint32_t effective_ttl = default_ttl_;
    if (ttl.has_value()) {
      effective_ttl = *ttl;
    } else if (dollar_ttl_.has_value()) {
      effective_ttl = *dollar_ttl_;
    } else if (last_ttl_.has_value()) {
      effective_ttl = *last_ttl_;
    }
    last_ttl_ = effective_ttl;

    if (*type == "SOA") soa_lines_.push_back({*name, line.line});
    Add(*name, *type, effective_ttl, *std::move(canonical), line.line);
  }

  void Add(const std::string& name, const std::string& type, uint32_t ttl, std::string content,
           size_t line) {
    auto [it, inserted] = index_.emplace(std::make_pair(name, type), rrsets_.size());
    if (inserted) {
      rrsets_.push_back(RRset{name, type, ttl, {}});
      first_line_.push_back(line);
    }
    RRset& rrset = rrsets_[it->second];
    rrset.ttl = std::min(rrset.ttl, ttl);
    // Servers merge duplicates too. A set, not a scan of the RRset: one
    // name with 100,000 records made the scan take minutes.
    if (!contents_.emplace(it->second, content).second) return;
    rrset.records.push_back({std::move(content), false});
  }

  void CheckSoa() {
    size_t apex_count = 0;
    for (const auto& [name, line] : soa_lines_) {
      if (name != zone_) {
        AddError(line,
                 absl::StrCat("an SOA record must be at the zone apex ", zone_, ", not at ", name));
      } else if (++apex_count > 1) {
        AddError(line, "more than one SOA record; a zone has exactly one");
      }
    }
    // SOAs below the apex would reach storage as a broken zone otherwise.
    std::vector<RRset> kept;
    std::vector<size_t> kept_lines;
    for (size_t i = 0; i < rrsets_.size(); ++i) {
      if (rrsets_[i].type == "SOA" && rrsets_[i].name != zone_) continue;
      kept.push_back(std::move(rrsets_[i]));
      kept_lines.push_back(first_line_[i]);
    }
    rrsets_ = std::move(kept);
    first_line_ = std::move(kept_lines);
  }

  void CheckCname() {
    std::map<std::string, std::vector<size_t>> by_name;
    for (size_t i = 0; i < rrsets_.size(); ++i) by_name[rrsets_[i].name].push_back(i);
    for (size_t i = 0; i < rrsets_.size(); ++i) {
      const RRset& rrset = rrsets_[i];
      if (rrset.type != "CNAME") continue;
      if (rrset.name == zone_) {
        AddError(first_line_[i], "a CNAME cannot be at the zone apex");
      }
      if (rrset.records.size() > 1) {
        AddError(first_line_[i], absl::StrCat(rrset.name, " has more than one CNAME record"));
      }
      for (size_t other : by_name[rrset.name]) {
        if (other == i) continue;
        AddError(std::max(first_line_[i], first_line_[other]),
                 absl::StrCat(rrset.name, " has a CNAME (line ", first_line_[i], ") and ",
                              rrsets_[other].type, " records (line ", first_line_[other],
                              "); a CNAME cannot coexist with other records"));
      }
    }
  }

  ParsedZoneFile Finish() {
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const Error& a, const Error& b) { return a.line < b.line; });
    ParsedZoneFile out;
    out.rrsets = std::move(rrsets_);
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (i == kMaxZoneFileErrors) {
        out.errors.push_back({std::string(kZoneFileField),
                              absl::StrCat("too many errors; ", errors_.size() - kMaxZoneFileErrors,
                                           " more are not shown")});
        break;
      }
      out.errors.push_back({std::string(kZoneFileField), std::move(errors_[i].description)});
    }
    return out;
  }

  const std::string zone_;
  std::string origin_;
  const uint32_t default_ttl_;
  std::optional<uint32_t> dollar_ttl_;
  std::optional<uint32_t> last_ttl_;
  std::optional<std::string> last_owner_;
  std::vector<RRset> rrsets_;
  std::vector<size_t> first_line_;
  std::map<std::pair<std::string, std::string>, size_t> index_;
  // (index in rrsets_, content) of every record kept.
  absl::flat_hash_set<std::pair<size_t, std::string>> contents_;
  std::vector<std::pair<std::string, size_t>> soa_lines_;
  std::vector<Error> errors_;
};

}  // namespace

ParsedZoneFile ParseZoneFile(std::string_view text, std::string_view origin, uint32_t default_ttl) {
  return Parser(Av(origin), default_ttl).Run(Av(text));
}

std::string FormatZoneFile(std::string_view zone_view, const std::vector<RRset>& rrsets) {
  const absl::string_view zone = Av(zone_view);
  std::vector<const RRset*> ordered;
  for (const RRset& r : rrsets) {
    if (r.type == "SOA" && r.name == zone) ordered.push_back(&r);
  }
  for (const RRset& r : rrsets) {
    if (r.type == "NS" && r.name == zone) ordered.push_back(&r);
  }
  for (const RRset& r : rrsets) {
    if ((r.type == "SOA" || r.type == "NS") && r.name == zone) continue;
    ordered.push_back(&r);
  }

  // Aligned columns make the export readable by humans, which is its point.
  size_t owner_width = 1;
  size_t ttl_width = 1;
  size_t type_width = 1;
  for (const RRset* r : ordered) {
    owner_width = std::max(owner_width, RelativeName(r->name, zone_view).size());
    ttl_width = std::max(ttl_width, absl::StrCat(r->ttl).size());
    type_width = std::max(type_width, r->type.size());
  }

  std::string out = absl::StrCat("$ORIGIN ", zone, "\n");
  for (const RRset* r : ordered) {
    const std::string owner = RelativeName(r->name, zone_view);
    for (const dns::Record& record : r->records) {
      const std::string line = absl::StrFormat(
          "%-*s %*u IN %-*s %s", static_cast<int>(owner_width), owner, static_cast<int>(ttl_width),
          r->ttl, static_cast<int>(type_width), r->type, record.content);
      if (record.disabled) out += kDisabledMarker;
      out += line;
      out += "\n";
    }
  }
  return out;
}

}  // namespace dns
