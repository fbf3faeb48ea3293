#include "server/domain/record_validator.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/domain/dns_name.h"
#include "server/domain/quote.h"
#include "server/domain/string_view_compat.h"

namespace dns {
namespace {

using internal::Av;
using internal::Sv;

constexpr uint64_t kMaxUint8 = 255;
constexpr uint64_t kMaxUint16 = 65535;
constexpr uint64_t kMaxUint32 = 4294967295;
constexpr uint64_t kMaxTtl = 2147483647;


bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsControl(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// One whitespace-separated field of presentation content. Quoted fields are
// unescaped; bare fields are kept as written.
struct Token {
  std::string value;
  bool quoted = false;
};

// Reads the body of a quoted string starting just after the opening quote;
// advances `pos` past the closing quote.
absl::StatusOr<std::string> ReadQuoted(absl::string_view text, size_t& pos) {
  std::string out;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (c == '"') return out;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (pos >= text.size()) break;  // reported as unterminated below
    if (absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      // RFC 1035 \DDD: exactly three decimal digits.
      if (pos + 3 > text.size() ||
          !absl::ascii_isdigit(static_cast<unsigned char>(text[pos + 1])) ||
          !absl::ascii_isdigit(static_cast<unsigned char>(text[pos + 2]))) {
        return absl::InvalidArgumentError(
            "a backslash followed by a digit must be a three-digit escape like \\032");
      }
      const int value =
          (text[pos] - '0') * 100 + (text[pos + 1] - '0') * 10 + (text[pos + 2] - '0');
      if (value > 255) {
        return absl::InvalidArgumentError(
            absl::StrCat("escape \\", text.substr(pos, 3), " is larger than \\255"));
      }
      out.push_back(static_cast<char>(value));
      pos += 3;
    } else {
      out.push_back(text[pos++]);
    }
  }
  return absl::InvalidArgumentError("a quoted string is not terminated");
}

absl::StatusOr<std::vector<Token>> Tokenize(absl::string_view text) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (pos < text.size()) {
    if (IsSpace(text[pos])) {
      ++pos;
      continue;
    }
    Token token;
    if (text[pos] == '"') {
      ++pos;
      absl::StatusOr<std::string> body = ReadQuoted(text, pos);
      if (!body.ok()) return body.status();
      token.value = *std::move(body);
      token.quoted = true;
      // Adjacent strings ("a""b") are fine; glued text ("a"b) is a typo.
      if (pos < text.size() && !IsSpace(text[pos]) && text[pos] != '"') {
        return absl::InvalidArgumentError(
            "text follows a closing quote without a space in between");
      }
    } else {
      const size_t begin = pos;
      while (pos < text.size() && !IsSpace(text[pos])) {
        if (text[pos] == '"') {
          return absl::InvalidArgumentError(absl::StrCat("unexpected '\"' inside '",
                                                         Quote(text.substr(begin, pos - begin + 1)),
                                                         "'; quote the whole string"));
        }
        if (IsControl(text[pos])) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "content contains control character 0x%02x", static_cast<unsigned char>(text[pos])));
        }
        ++pos;
      }
      token.value = std::string(text.substr(begin, pos - begin));
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// The canonical quoted form PowerDNS prints: printable ASCII as is, quote and
// backslash escaped, everything else as \DDD.
std::string QuoteCharacterString(absl::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      absl::StrAppendFormat(&out, "\\%03d", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

absl::StatusOr<uint64_t> ParseNumber(absl::string_view text, uint64_t max, absl::string_view what) {
  auto error = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", Quote(text), "' is not a number between 0 and ", max));
  };
  if (text.empty() || text.size() > 20) return error();
  uint64_t value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return error();
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > max) return error();
  }
  return value;
}

absl::Status CheckFieldCount(absl::string_view type, const std::vector<Token>& tokens,
                             size_t expected, absl::string_view layout) {
  if (tokens.size() == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(type, " content needs ", expected,
                                                 expected == 1 ? " field" : " fields", " (", layout,
                                                 "), got ", tokens.size()));
}

absl::Status CheckBare(const Token& token, absl::string_view what) {
  if (!token.quoted) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " must not be quoted"));
}

// Target names in content. `allow_root` is for null MX and SRV ".".
absl::StatusOr<std::string> ParseTarget(const Token& token, absl::string_view what,
                                        bool allow_root, absl::string_view origin) {
  if (absl::Status s = CheckBare(token, what); !s.ok()) return s;
  // "10 192.0.2.1" is a legal name but always a mistake: resolvers would
  // look up a host called "192.0.2.1." and mail or delegation would break.
  // Checked as written, before a relative name is completed.
  in_addr addr;
  const std::string written(absl::StripSuffix(token.value, "."));
  if (inet_pton(AF_INET, written.c_str(), &addr) == 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " '", written, "' is an IP address; it must be a host name that has an A record"));
  }
  absl::StatusOr<std::string> name = CanonicalTargetName(Sv(token.value), Sv(origin));
  if (!name.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", name.status().message()));
  }
  if (!allow_root && *name == ".") {
    return absl::InvalidArgumentError(absl::StrCat(what, " cannot be the root '.'"));
  }
  return name;
}

// Hex fields may be split by spaces in presentation format (RFC 4034 5.3).
absl::StatusOr<std::string> ParseHex(const std::vector<Token>& tokens, size_t first,
                                     absl::string_view what) {
  std::string hex;
  for (size_t i = first; i < tokens.size(); ++i) {
    if (absl::Status s = CheckBare(tokens[i], what); !s.ok()) return s;
    for (char c : tokens[i].value) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " '", Quote(tokens[i].value), "' is not hexadecimal"));
      }
      hex.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    }
  }
  if (hex.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is missing"));
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has an odd number of hex digits (", hex.size(), ")"));
  }
  return hex;
}

absl::Status CheckHexLength(absl::string_view hex, size_t expected, absl::string_view what) {
  if (hex.size() == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " needs ", expected, " hex digits, got ", hex.size()));
}

// ---- Per-type parsers. Each gets the trimmed, non-empty content. ----------

absl::StatusOr<std::string> ParseA(absl::string_view content, absl::string_view /*origin*/) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckFieldCount("A", *tokens, 1, "address"); !s.ok()) return s;
  in_addr addr;
  const std::string& text = (*tokens)[0].value;
  if ((*tokens)[0].quoted || inet_pton(AF_INET, text.c_str(), &addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", Quote(text), "' is not an IPv4 address like 192.0.2.1"));
  }
  char buf[INET_ADDRSTRLEN];
  return std::string(inet_ntop(AF_INET, &addr, buf, sizeof(buf)));
}

absl::StatusOr<std::string> ParseAaaa(absl::string_view content, absl::string_view /*origin*/) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckFieldCount("AAAA", *tokens, 1, "address"); !s.ok()) return s;
  in6_addr addr;
  const std::string& text = (*tokens)[0].value;
  if ((*tokens)[0].quoted || inet_pton(AF_INET6, text.c_str(), &addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", Quote(text), "' is not an IPv6 address like 2001:db8::1"));
  }
  char buf[INET6_ADDRSTRLEN];
  return std::string(inet_ntop(AF_INET6, &addr, buf, sizeof(buf)));
}

absl::StatusOr<std::string> ParseSingleTarget(absl::string_view type, absl::string_view content,
                                              absl::string_view origin) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckFieldCount(type, *tokens, 1, "target name"); !s.ok()) return s;
  return ParseTarget((*tokens)[0], absl::StrCat(type, " target"), /*allow_root=*/false, origin);
}

absl::StatusOr<std::string> ParseMx(absl::string_view content, absl::string_view origin) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckFieldCount("MX", *tokens, 2, "preference exchange"); !s.ok()) {
    return s;
  }
  absl::StatusOr<uint64_t> pref = ParseNumber((*tokens)[0].value, kMaxUint16, "MX preference");
  if (!pref.ok()) return pref.status();
  absl::StatusOr<std::string> exchange =
      ParseTarget((*tokens)[1], "MX exchange", /*allow_root=*/true, origin);
  if (!exchange.ok()) return exchange.status();
  return absl::StrCat(*pref, " ", *exchange);
}

absl::StatusOr<std::string> ParseSrv(absl::string_view content, absl::string_view origin) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckFieldCount("SRV", *tokens, 4, "priority weight port target"); !s.ok()) {
    return s;
  }
  std::array<uint64_t, 3> numbers;
  constexpr std::array<absl::string_view, 3> kWhat = {"SRV priority", "SRV weight", "SRV port"};
  for (size_t i = 0; i < 3; ++i) {
    absl::StatusOr<uint64_t> n = ParseNumber((*tokens)[i].value, kMaxUint16, kWhat[i]);
    if (!n.ok()) return n.status();
    numbers[i] = *n;
  }
  absl::StatusOr<std::string> target = ParseTarget((*tokens)[3], "SRV target", true, origin);
  if (!target.ok()) return target.status();
  return absl::StrCat(numbers[0], " ", numbers[1], " ", numbers[2], " ", *target);
}

absl::StatusOr<std::string> ParseText(absl::string_view type, absl::string_view content) {
  std::vector<std::string> strings;
  if (!absl::StrContains(content, '"')) {
    // Clients paste SPF/DKIM values without quotes; take the whole thing as
    // one string rather than splitting on spaces as a zone file would.
    if (content.size() > kMaxCharacterStringLength) {
      return absl::InvalidArgumentError(
          absl::StrCat(type, " text is ", content.size(), " octets; one string holds at most ",
                       kMaxCharacterStringLength,
                       ", so split it into several quoted strings, e.g. "
                       "\"first part\" \"second part\""));
    }
    strings.emplace_back(content);
  } else {
    absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
    if (!tokens.ok()) return tokens.status();
    for (size_t i = 0; i < tokens->size(); ++i) {
      const Token& token = (*tokens)[i];
      if (!token.quoted) {
        return absl::InvalidArgumentError(
            absl::StrCat(type, " content mixes quoted and unquoted text ('", Quote(token.value),
                         "'); quote every string"));
      }
      if (token.value.size() > kMaxCharacterStringLength) {
        return absl::InvalidArgumentError(absl::StrCat(
            type, " string ", i + 1, " is ", token.value.size(), " octets; a string holds at most ",
            kMaxCharacterStringLength, ", so split it into several quoted strings"));
      }
      strings.push_back(token.value);
    }
  }
  std::string out;
  for (const std::string& s : strings) {
    if (!out.empty()) out.push_back(' ');
    out += QuoteCharacterString(s);
  }
  return out;
}

absl::StatusOr<std::string> ParseCaa(absl::string_view content, absl::string_view /*origin*/) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("CAA content needs 3 fields (flags tag value), got ", tokens->size()));
  }
  absl::StatusOr<uint64_t> flags = ParseNumber((*tokens)[0].value, kMaxUint8, "CAA flags");
  if (!flags.ok()) return flags.status();
  if (absl::Status s = CheckBare((*tokens)[1], "CAA tag"); !s.ok()) return s;
  const std::string tag = absl::AsciiStrToLower((*tokens)[1].value);
  if (tag.empty() || tag.size() > 15 || !std::all_of(tag.begin(), tag.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c));
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("CAA tag '", Quote((*tokens)[1].value),
                     "' must be 1 to 15 letters or digits (issue, issuewild, iodef, ...)"));
  }
  std::string value;
  if ((*tokens)[2].quoted) {
    if (tokens->size() != 3) {
      return absl::InvalidArgumentError(
          "CAA content has text after the quoted value; quote the whole value");
    }
    value = (*tokens)[2].value;
  } else {
    // Unquoted value: the rest of the line, e.g. "ca.example; account=1".
    std::vector<std::string> parts;
    for (size_t i = 2; i < tokens->size(); ++i) {
      if ((*tokens)[i].quoted) {
        return absl::InvalidArgumentError(
            "CAA value mixes quoted and unquoted text; quote the whole value");
      }
      parts.push_back((*tokens)[i].value);
    }
    value = absl::StrJoin(parts, " ");
  }
  if (tag == "iodef" && !absl::StartsWith(value, "mailto:") &&
      !absl::StartsWith(value, "http://") && !absl::StartsWith(value, "https://")) {
    return absl::InvalidArgumentError("CAA iodef value must be a mailto:, http:// or https:// URL");
  }
  return absl::StrCat(*flags, " ", tag, " ", QuoteCharacterString(value));
}

absl::StatusOr<std::string> ParseDs(absl::string_view content, absl::string_view /*origin*/) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DS content needs 4 fields (keytag algorithm digesttype digest), got ", tokens->size()));
  }
  absl::StatusOr<uint64_t> keytag = ParseNumber((*tokens)[0].value, kMaxUint16, "DS key tag");
  if (!keytag.ok()) return keytag.status();
  absl::StatusOr<uint64_t> alg = ParseNumber((*tokens)[1].value, kMaxUint8, "DS algorithm");
  if (!alg.ok()) return alg.status();
  absl::StatusOr<uint64_t> digest_type =
      ParseNumber((*tokens)[2].value, kMaxUint8, "DS digest type");
  if (!digest_type.ok()) return digest_type.status();
  size_t expected = 0;
  switch (*digest_type) {
    case 1:
      expected = 40;
      break;  // SHA-1
    case 2:
      expected = 64;
      break;  // SHA-256
    case 4:
      expected = 96;
      break;  // SHA-384
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("DS digest type ", *digest_type, " is not supported (use 1, 2 or 4)"));
  }
  absl::StatusOr<std::string> digest = ParseHex(*tokens, 3, "DS digest");
  if (!digest.ok()) return digest.status();
  if (absl::Status s =
          CheckHexLength(*digest, expected, absl::StrCat("DS digest type ", *digest_type));
      !s.ok()) {
    return s;
  }
  return absl::StrCat(*keytag, " ", *alg, " ", *digest_type, " ", *digest);
}

absl::StatusOr<std::string> ParseTlsa(absl::string_view content, absl::string_view /*origin*/) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "TLSA content needs 4 fields (usage selector matchingtype data), got ", tokens->size()));
  }
  absl::StatusOr<uint64_t> usage = ParseNumber((*tokens)[0].value, 3, "TLSA usage");
  if (!usage.ok()) return usage.status();
  absl::StatusOr<uint64_t> selector = ParseNumber((*tokens)[1].value, 1, "TLSA selector");
  if (!selector.ok()) return selector.status();
  absl::StatusOr<uint64_t> mtype = ParseNumber((*tokens)[2].value, 2, "TLSA matching type");
  if (!mtype.ok()) return mtype.status();
  absl::StatusOr<std::string> data = ParseHex(*tokens, 3, "TLSA data");
  if (!data.ok()) return data.status();
  if (*mtype == 1) {
    if (absl::Status s = CheckHexLength(*data, 64, "TLSA matching type 1 (SHA-256)"); !s.ok()) {
      return s;
    }
  } else if (*mtype == 2) {
    if (absl::Status s = CheckHexLength(*data, 128, "TLSA matching type 2 (SHA-512)"); !s.ok()) {
      return s;
    }
  }
  return absl::StrCat(*usage, " ", *selector, " ", *mtype, " ", *data);
}

absl::StatusOr<std::string> ParseSshfp(absl::string_view content, absl::string_view /*origin*/) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (tokens->size() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SSHFP content needs 3 fields (algorithm fptype fingerprint), got ", tokens->size()));
  }
  absl::StatusOr<uint64_t> alg = ParseNumber((*tokens)[0].value, kMaxUint8, "SSHFP algorithm");
  if (!alg.ok()) return alg.status();
  absl::StatusOr<uint64_t> fptype =
      ParseNumber((*tokens)[1].value, kMaxUint8, "SSHFP fingerprint type");
  if (!fptype.ok()) return fptype.status();
  size_t expected = 0;
  switch (*fptype) {
    case 1:
      expected = 40;
      break;  // SHA-1
    case 2:
      expected = 64;
      break;  // SHA-256
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("SSHFP fingerprint type ", *fptype, " is not supported (use 1 or 2)"));
  }
  absl::StatusOr<std::string> fp = ParseHex(*tokens, 2, "SSHFP fingerprint");
  if (!fp.ok()) return fp.status();
  if (absl::Status s =
          CheckHexLength(*fp, expected, absl::StrCat("SSHFP fingerprint type ", *fptype));
      !s.ok()) {
    return s;
  }
  return absl::StrCat(*alg, " ", *fptype, " ", *fp);
}

absl::StatusOr<std::string> ParseNaptr(absl::string_view content, absl::string_view origin) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s = CheckFieldCount(
          "NAPTR", *tokens, 6, "order preference \"flags\" \"service\" \"regexp\" replacement");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<uint64_t> order = ParseNumber((*tokens)[0].value, kMaxUint16, "NAPTR order");
  if (!order.ok()) return order.status();
  absl::StatusOr<uint64_t> pref = ParseNumber((*tokens)[1].value, kMaxUint16, "NAPTR preference");
  if (!pref.ok()) return pref.status();
  const std::string& flags = (*tokens)[2].value;
  if (!std::all_of(flags.begin(), flags.end(),
                   [](char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); })) {
    return absl::InvalidArgumentError(
        absl::StrCat("NAPTR flags '", Quote(flags), "' must be letters or digits"));
  }
  for (size_t i = 2; i <= 4; ++i) {
    if ((*tokens)[i].value.size() > kMaxCharacterStringLength) {
      return absl::InvalidArgumentError(absl::StrCat("NAPTR field ", i + 1, " is longer than ",
                                                     kMaxCharacterStringLength, " octets"));
    }
  }
  absl::StatusOr<std::string> replacement =
      ParseTarget((*tokens)[5], "NAPTR replacement", /*allow_root=*/true, origin);
  if (!replacement.ok()) return replacement.status();
  // RFC 3403 4.1: a record uses either the regexp or the replacement.
  if (!(*tokens)[4].value.empty() && *replacement != ".") {
    return absl::InvalidArgumentError(
        "NAPTR may have a regexp or a replacement, not both; use \".\" as replacement "
        "with a regexp");
  }
  return absl::StrCat(*order, " ", *pref, " ", QuoteCharacterString(flags), " ",
                      QuoteCharacterString((*tokens)[3].value), " ",
                      QuoteCharacterString((*tokens)[4].value), " ", *replacement);
}

absl::StatusOr<std::string> ParseSoa(absl::string_view content, absl::string_view origin) {
  absl::StatusOr<std::vector<Token>> tokens = Tokenize(content);
  if (!tokens.ok()) return tokens.status();
  if (absl::Status s =
          CheckFieldCount("SOA", *tokens, 7, "mname rname serial refresh retry expire minimum");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> mname = ParseTarget((*tokens)[0], "SOA mname", false, origin);
  if (!mname.ok()) return mname.status();
  absl::StatusOr<std::string> rname = ParseTarget((*tokens)[1], "SOA rname", false, origin);
  if (!rname.ok()) return rname.status();
  absl::StatusOr<uint64_t> serial = ParseNumber((*tokens)[2].value, kMaxUint32, "SOA serial");
  if (!serial.ok()) return serial.status();
  std::string out = absl::StrCat(*mname, " ", *rname, " ", *serial);
  constexpr std::array<absl::string_view, 4> kTimers = {"SOA refresh", "SOA retry", "SOA expire",
                                                        "SOA minimum"};
  for (size_t i = 0; i < kTimers.size(); ++i) {
    const Token& token = (*tokens)[3 + i];
    absl::StatusOr<uint32_t> seconds =
        token.quoted ? absl::InvalidArgumentError("quoted") : ParseTtl(token.value);
    if (!seconds.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kTimers[i], " '", Quote(token.value),
                       "' is not a number of seconds or a duration like 1h30m"));
    }
    absl::StrAppend(&out, " ", *seconds);
  }
  return out;
}

using Parser = absl::StatusOr<std::string> (*)(absl::string_view content,
                                               absl::string_view origin);

struct TypeEntry {
  absl::string_view name;
  Parser parser;
};

// Sorted by name.
constexpr std::array<TypeEntry, 17> kTypes = {{
    {"A", &ParseA},
    {"AAAA", &ParseAaaa},
    {"ALIAS", [](absl::string_view c, absl::string_view o) { return ParseSingleTarget("ALIAS", c, o); }},
    {"CAA", &ParseCaa},
    {"CNAME", [](absl::string_view c, absl::string_view o) { return ParseSingleTarget("CNAME", c, o); }},
    {"DNAME", [](absl::string_view c, absl::string_view o) { return ParseSingleTarget("DNAME", c, o); }},
    {"DS", &ParseDs},
    {"MX", &ParseMx},
    {"NAPTR", &ParseNaptr},
    {"NS", [](absl::string_view c, absl::string_view o) { return ParseSingleTarget("NS", c, o); }},
    {"PTR", [](absl::string_view c, absl::string_view o) { return ParseSingleTarget("PTR", c, o); }},
    {"SOA", &ParseSoa},
    {"SPF", [](absl::string_view c, absl::string_view) { return ParseText("SPF", c); }},
    {"SRV", &ParseSrv},
    {"SSHFP", &ParseSshfp},
    {"TLSA", &ParseTlsa},
    {"TXT", [](absl::string_view c, absl::string_view) { return ParseText("TXT", c); }},
}};

const TypeEntry* FindType(absl::string_view type) {
  for (const TypeEntry& entry : kTypes) {
    if (absl::EqualsIgnoreCase(entry.name, type)) return &entry;
  }
  return nullptr;
}

// A CNAME to its own name loops for every resolver; so does a DNAME whose
// target is its owner or below it (RFC 6672 2.4).
absl::Status CheckTargetOfItsOwner(absl::string_view type, absl::string_view owner,
                                   absl::string_view target) {
  if (type == "CNAME" && target == owner) {
    return absl::InvalidArgumentError(
        absl::StrCat("a CNAME cannot point at its own name ", owner, " (it would loop)"));
  }
  if (type == "DNAME" && IsInZone(Sv(target), Sv(owner))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a DNAME cannot point at its own name or below it (", target, " is under ", owner, ")"));
  }
  return absl::OkStatus();
}

// RFC 7505: a domain that accepts no mail says so with the single MX
// "0 ." and advertises no other MX.
absl::Status CheckNullMx(const std::vector<Record>& records) {
  for (const Record& record : records) {
    if (!absl::EndsWith(record.content, " .")) continue;
    if (record.content != "0 .") {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", record.content, "': a null MX (exchange '.') has preference 0 (RFC 7505)"));
    }
    if (records.size() > 1) {
      return absl::InvalidArgumentError(
          "a null MX ('0 .', RFC 7505: no mail accepted) must be the only MX record of its "
          "name; remove the other MX records or the null MX");
    }
  }
  return absl::OkStatus();
}

// Types of which an owner may hold only one record (RFC 1034 3.6.2,
// RFC 6672 2.4).
bool IsSingleton(absl::string_view type) { return type == "CNAME" || type == "DNAME"; }

}  // namespace

std::vector<std::string> SupportedTypes() {
  std::vector<std::string> out;
  out.reserve(kTypes.size());
  for (const TypeEntry& entry : kTypes) out.emplace_back(entry.name);
  return out;
}

bool IsSupportedType(std::string_view type) { return FindType(Av(type)) != nullptr; }

absl::StatusOr<std::string> CanonicalType(std::string_view type_view) {
  const absl::string_view type = Av(type_view);
  if (type.empty()) return absl::InvalidArgumentError("type is empty");
  const TypeEntry* entry = FindType(type);
  if (entry == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("type '", Quote(absl::AsciiStrToUpper(type)), "' is not supported"));
  }
  return std::string(entry->name);
}

absl::StatusOr<std::string> CanonicalContent(std::string_view type_view,
                                             std::string_view content_view,
                                             std::string_view origin_view) {
  const absl::string_view type = Av(type_view);
  const absl::string_view content = Av(content_view);
  const absl::string_view origin = Av(origin_view);
  const TypeEntry* entry = FindType(type);
  if (entry == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("type '", Quote(absl::AsciiStrToUpper(type)), "' is not supported"));
  }
  absl::string_view trimmed = absl::StripAsciiWhitespace(content);
  if (trimmed.empty()) return absl::InvalidArgumentError("content is empty");
  absl::StatusOr<std::string> out = entry->parser(trimmed, origin);
  if (out.ok() && out->size() > kMaxContentLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("content is ", out->size(), " octets, more than ", kMaxContentLength));
  }
  return out;
}

absl::StatusOr<uint32_t> ParseTtl(std::string_view text_view) {
  const absl::string_view text = Av(text_view);
  auto error = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "TTL '", Quote(text), "' is not a number of seconds or a duration like 1h30m"));
  };
  if (text.empty()) return error();
  uint64_t total = 0;
  uint64_t current = 0;
  bool have_digits = false;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      current = current * 10 + static_cast<uint64_t>(c - '0');
      have_digits = true;
      if (current > kMaxTtl) break;
      continue;
    }
    uint64_t unit = 0;
    switch (absl::ascii_tolower(static_cast<unsigned char>(c))) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 604800;
        break;
      default:
        return error();
    }
    if (!have_digits) return error();
    total += current * unit;
    current = 0;
    have_digits = false;
    if (total > kMaxTtl) break;
  }
  total += current;  // trailing digits without a unit are seconds ("1h30")
  if (current > kMaxTtl || total > kMaxTtl) {
    return absl::InvalidArgumentError(
        absl::StrCat("TTL '", Quote(text), "' is more than ", kMaxTtl, " seconds"));
  }
  return static_cast<uint32_t>(total);
}

std::vector<FieldViolation> ValidateChanges(std::string_view zone,
                                            std::vector<RRsetChange>& changes,
                                            const ValidationLimits& limits) {
  std::vector<FieldViolation> violations;
  if (changes.empty()) {
    violations.push_back({"changes", "at least one change is required"});
    return violations;
  }
  if (changes.size() > limits.max_changes_per_batch) {
    // Validating a huge batch only to refuse it anyway wastes time.
    violations.push_back(
        {"changes", absl::StrCat("at most ", limits.max_changes_per_batch,
                                 " changes are allowed in one batch, got ", changes.size())});
    return violations;
  }

  // (name, type) -> index of the first change touching it.
  // Keys view the canonical names in `changes`, which stay put from here on
  // (a 100,000-RRset import would otherwise copy every name twice).
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, size_t> seen;
  // name -> index of a CNAME REPLACE / of a REPLACE of another type.
  absl::flat_hash_map<absl::string_view, size_t> cname_replace;
  absl::flat_hash_map<absl::string_view, size_t> other_replace;

  for (size_t i = 0; i < changes.size(); ++i) {
    RRsetChange& change = changes[i];
    RRset& rrset = change.rrset;
    const std::string prefix = absl::StrCat("changes[", i, "]");
    auto add = [&](absl::string_view field, std::string description) {
      violations.push_back({absl::StrCat(prefix, field), std::move(description)});
    };

    bool name_ok = false;
    if (absl::StatusOr<std::string> name = CanonicalOwnerName(rrset.name, zone); name.ok()) {
      rrset.name = *std::move(name);
      name_ok = true;
    } else {
      add(".rrset.name", std::string(name.status().message()));
    }
    bool type_ok = false;
    if (absl::StatusOr<std::string> type = CanonicalType(rrset.type); type.ok()) {
      rrset.type = *std::move(type);
      type_ok = true;
    } else {
      add(".rrset.type", std::string(type.status().message()));
    }
    if (change.type != ChangeType::kReplace && change.type != ChangeType::kDelete) {
      add(".changetype", "changetype must be REPLACE or DELETE");
      continue;
    }
    const bool is_replace = change.type == ChangeType::kReplace;
    const bool at_apex = name_ok && rrset.name == zone;

    if (type_ok && rrset.type == "SOA") {
      add(".rrset.type", "SOA is managed by the service and cannot be changed");
    }
    if (type_ok && at_apex && rrset.type == "DS") {
      add(".rrset.name", "DS records belong in the parent zone, not at the apex");
    }
    if (!is_replace && at_apex && type_ok && rrset.type == "NS") {
      add(".changetype", "the apex NS RRset cannot be deleted; replace it instead");
    }

    if (is_replace) {
      if (change.default_ttl) rrset.ttl = limits.default_ttl;
      if (rrset.ttl < limits.min_ttl || rrset.ttl > limits.max_ttl) {
        add(".rrset.ttl", absl::StrCat("ttl must be between ", limits.min_ttl, " and ",
                                       limits.max_ttl, " seconds, got ", rrset.ttl));
      }
      if (rrset.records.empty()) {
        add(".rrset.records",
            "a REPLACE needs at least one record; use DELETE to remove the RRset");
      } else if (rrset.records.size() > limits.max_records_per_rrset) {
        add(".rrset.records",
            absl::StrCat("at most ", limits.max_records_per_rrset,
                         " records are allowed in one RRset, got ", rrset.records.size()));
      } else if (type_ok) {
        if (IsSingleton(rrset.type) && rrset.records.size() > 1) {
          add(".rrset.records",
              absl::StrCat("a ", rrset.type, " RRset must have exactly one record, got ",
                           rrset.records.size()));
        }
        std::map<std::string, size_t> contents;
        for (size_t j = 0; j < rrset.records.size(); ++j) {
          Record& record = rrset.records[j];
          const std::string field = absl::StrCat(".rrset.records[", j, "].content");
          absl::StatusOr<std::string> content = CanonicalContent(rrset.type, record.content, zone);
          if (!content.ok()) {
            add(field, std::string(content.status().message()));
            continue;
          }
          record.content = *std::move(content);
          if (record.content.size() > limits.max_content_octets) {
            add(field, absl::StrCat("content is ", record.content.size(), " octets, more than ",
                                    limits.max_content_octets, " (--max_content_octets)"));
            continue;
          }
          auto [it, inserted] = contents.emplace(record.content, j);
          if (!inserted) {
            add(field, absl::StrCat("duplicates records[", it->second, "]"));
          }
          if (!name_ok) continue;
          if (absl::Status s = CheckTargetOfItsOwner(rrset.type, rrset.name, record.content);
              !s.ok()) {
            add(field, std::string(s.message()));
          }
        }
        if (rrset.type == "MX") {
          if (absl::Status s = CheckNullMx(rrset.records); !s.ok()) {
            add(".rrset.records", std::string(s.message()));
          }
        }
      }
      if (at_apex && type_ok && rrset.type == "CNAME") {
        add(".rrset.name", "a CNAME cannot be at the zone apex");
      }
    }

    if (!name_ok || !type_ok) continue;
    auto [it, inserted] = seen.emplace(
        std::make_pair(absl::string_view(rrset.name), absl::string_view(rrset.type)), i);
    if (!inserted) {
      add("", absl::StrCat("changes[", it->second, "] already changes ", rrset.name, " ",
                           rrset.type, "; combine them into one change"));
      continue;
    }
    if (!is_replace) continue;
    if (rrset.type == "CNAME") {
      cname_replace.emplace(rrset.name, i);
      if (auto other = other_replace.find(rrset.name); other != other_replace.end()) {
        add(".rrset.type",
            absl::StrCat("a CNAME cannot coexist with other records, but changes[", other->second,
                         "] replaces ", changes[other->second].rrset.type, " at ", rrset.name));
      }
    } else {
      other_replace.emplace(rrset.name, i);
      if (auto cname = cname_replace.find(rrset.name); cname != cname_replace.end()) {
        add(".rrset.type", absl::StrCat("a CNAME cannot coexist with other records, but changes[",
                                        cname->second, "] replaces the CNAME at ", rrset.name));
      }
    }
  }
  return violations;
}

}  // namespace dns
