#include "server/consistency/rrset_normalizer.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace dns {
namespace {

// Field shapes per type: N name, I integer, S character-string, L token in
// lower case, H hex (the rest of the content, spaces dropped), R the rest
// as it is, 4/6 an address, Z an integer that is not compared (SOA serial).
const std::map<std::string, std::string>& Shapes() {
  static const auto* shapes = new std::map<std::string, std::string>{
      {"A", "4"},       {"AAAA", "6"},      {"NS", "N"},          {"CNAME", "N"},
      {"PTR", "N"},     {"DNAME", "N"},     {"ALIAS", "N"},       {"MX", "IN"},
      {"SRV", "IIIN"},  {"SOA", "NNZIIII"}, {"CAA", "ILS"},       {"DS", "IIIH"},
      {"CDS", "IIIH"},  {"TLSA", "IIIH"},   {"SMIMEA", "IIIH"},   {"SSHFP", "IIH"},
      {"NAPTR", "IISSSN"}, {"HINFO", "SS"}, {"RP", "NN"},         {"AFSDB", "IN"},
      {"KX", "IN"},     {"DNSKEY", "IIIR"}, {"CDNSKEY", "IIIR"},
  };
  return *shapes;
}

// Splits on whitespace, keeping a double-quoted string (escapes included)
// as one token with its quotes.
std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && absl::ascii_isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    std::string token;
    bool quoted = false;
    while (i < text.size()) {
      const char c = text[i];
      if (!quoted && absl::ascii_isspace(static_cast<unsigned char>(c))) break;
      if (c == '\\' && i + 1 < text.size()) {
        token += c;
        token += text[i + 1];
        i += 2;
        continue;
      }
      if (c == '"') quoted = !quoted;
      token += c;
      ++i;
    }
    out.push_back(std::move(token));
  }
  return out;
}

// The bytes a character-string token stands for (quotes and escapes gone).
std::string Unescape(const std::string& token) {
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    if (c == '"') continue;
    if (c == '\\' && i + 1 < token.size()) {
      if (i + 3 < token.size() && std::isdigit(static_cast<unsigned char>(token[i + 1])) &&
          std::isdigit(static_cast<unsigned char>(token[i + 2])) &&
          std::isdigit(static_cast<unsigned char>(token[i + 3]))) {
        const int value = (token[i + 1] - '0') * 100 + (token[i + 2] - '0') * 10 + (token[i + 3] - '0');
        if (value <= 255) {
          out.push_back(static_cast<char>(value));
          i += 3;
          continue;
        }
      }
      out.push_back(token[i + 1]);
      ++i;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string QuoteBytes(const std::string& bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      absl::StrAppendFormat(&out, "\\%03d", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Name(std::string token) {
  absl::AsciiStrToLower(&token);
  if (token.empty() || token.back() != '.') token += '.';
  return token;
}

std::string Integer(const std::string& token) {
  size_t i = 0;
  while (i + 1 < token.size() && token[i] == '0') ++i;
  return token.substr(i);
}

std::string Address(const std::string& token, int family) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(family, token.c_str(), buf) == 1 &&
      inet_ntop(family, buf, text, sizeof(text)) != nullptr) {
    return text;
  }
  return absl::AsciiStrToLower(token);
}

std::string Collapsed(const std::vector<std::string>& tokens, size_t from) {
  std::vector<std::string> rest(tokens.begin() + static_cast<long>(from), tokens.end());
  return absl::StrJoin(rest, " ");
}

}  // namespace

std::string NormalizeContent(const std::string& type_in, const std::string& content) {
  const std::string type = absl::AsciiStrToUpper(type_in);
  const std::vector<std::string> tokens = Tokens(content);
  if (type == "TXT" || type == "SPF") {
    // One text however it was quoted or split: PowerDNS splits strings
    // over 255 bytes, a zone file may split anywhere.
    std::string joined;
    for (const std::string& t : tokens) joined += Unescape(t);
    return QuoteBytes(joined);
  }
  auto shape = Shapes().find(type);
  if (shape == Shapes().end()) return Collapsed(tokens, 0);
  const std::string& fields = shape->second;
  const bool open_ended = fields.back() == 'H' || fields.back() == 'R';
  if (tokens.size() < fields.size() || (!open_ended && tokens.size() != fields.size())) {
    return Collapsed(tokens, 0);
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < fields.size(); ++i) {
    switch (fields[i]) {
      case 'N':
        out.push_back(Name(tokens[i]));
        break;
      case 'I':
        out.push_back(Integer(tokens[i]));
        break;
      case 'Z':
        out.push_back("0");
        break;
      case 'S':
        out.push_back(QuoteBytes(Unescape(tokens[i])));
        break;
      case 'L':
        out.push_back(absl::AsciiStrToLower(tokens[i]));
        break;
      case '4':
        out.push_back(Address(tokens[i], AF_INET));
        break;
      case '6':
        out.push_back(Address(tokens[i], AF_INET6));
        break;
      case 'H': {
        std::string hex;
        for (size_t j = i; j < tokens.size(); ++j) hex += absl::AsciiStrToLower(tokens[j]);
        out.push_back(hex);
        break;
      }
      case 'R': {
        std::string rest;
        for (size_t j = i; j < tokens.size(); ++j) rest += tokens[j];
        out.push_back(rest);
        break;
      }
    }
  }
  return absl::StrJoin(out, " ");
}

RRset NormalizeRRset(const RRset& rrset) {
  RRset out;
  out.name = Name(rrset.name);
  out.type = absl::AsciiStrToUpper(rrset.type);
  out.ttl = rrset.ttl;
  for (const Record& r : rrset.records) {
    out.records.push_back(Record{NormalizeContent(out.type, r.content), r.disabled});
  }
  std::sort(out.records.begin(), out.records.end(), [](const Record& a, const Record& b) {
    return std::tie(a.content, a.disabled) < std::tie(b.content, b.disabled);
  });
  out.records.erase(std::unique(out.records.begin(), out.records.end()), out.records.end());
  return out;
}

bool EquivalentRRsets(const RRset& a, const RRset& b) {
  return NormalizeRRset(a) == NormalizeRRset(b);
}

namespace {

std::string DifferenceDetail(const RRset& truth, const RRset& server) {
  std::vector<std::string> parts;
  if (truth.ttl != server.ttl) parts.push_back(absl::StrCat("ttl ", truth.ttl, " != ", server.ttl));
  std::vector<std::string> ours, theirs;
  for (const Record& r : truth.records) ours.push_back(r.content);
  for (const Record& r : server.records) theirs.push_back(r.content);
  if (ours != theirs) {
    parts.push_back("records differ");
  } else if (truth.records != server.records) {
    parts.push_back("disabled flags differ");
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

std::vector<RRsetDifference> DiffRRsets(const std::vector<RRset>& truth,
                                        const std::vector<RRset>& server) {
  // Compared normalised, shown as each side has them.
  using Key = std::pair<std::string, std::string>;
  using Sides = std::map<Key, std::pair<RRset, const RRset*>>;
  auto index = [](const std::vector<RRset>& rrsets) {
    Sides out;
    for (const RRset& r : rrsets) {
      RRset n = NormalizeRRset(r);
      Key key{n.name, n.type};
      out[key] = {std::move(n), &r};
    }
    return out;
  };
  const Sides ours = index(truth);
  const Sides theirs = index(server);
  std::vector<RRsetDifference> out;
  auto a = ours.begin();
  auto b = theirs.begin();
  while (a != ours.end() || b != theirs.end()) {
    if (b == theirs.end() || (a != ours.end() && a->first < b->first)) {
      RRset absent{a->first.first, a->first.second, 0, {}};
      out.push_back({FindingKind::kRRsetMissing, *a->second.second, absent, "not on the server"});
      ++a;
    } else if (a == ours.end() || b->first < a->first) {
      RRset absent{b->first.first, b->first.second, 0, {}};
      out.push_back({FindingKind::kRRsetExtra, absent, *b->second.second, "not in the truth"});
      ++b;
    } else {
      if (!(a->second.first == b->second.first)) {
        out.push_back({FindingKind::kRRsetDifferent, *a->second.second, *b->second.second,
                       DifferenceDetail(a->second.first, b->second.first)});
      }
      ++a;
      ++b;
    }
  }
  return out;
}

}  // namespace dns
