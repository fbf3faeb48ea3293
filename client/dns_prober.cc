#include "client/dns_prober.h"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace dns {
namespace {

constexpr char kRcodePayload[] = "type.dns.v1/dns.rcode";
constexpr int kClassIn = 1;
constexpr int kTypeSoa = 6;

struct TypeEntry {
  int code;
  const char* name;
};

constexpr TypeEntry kTypes[] = {
    {1, "A"},      {2, "NS"},     {5, "CNAME"},   {6, "SOA"},    {12, "PTR"},
    {13, "HINFO"}, {15, "MX"},    {16, "TXT"},    {28, "AAAA"},  {29, "LOC"},
    {33, "SRV"},   {35, "NAPTR"}, {39, "DNAME"},  {43, "DS"},    {46, "RRSIG"},
    {47, "NSEC"},  {48, "DNSKEY"}, {50, "NSEC3"}, {51, "NSEC3PARAM"},
    {52, "TLSA"},  {64, "SVCB"},  {65, "HTTPS"},  {99, "SPF"},   {255, "ANY"},
    {257, "CAA"},
};

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
}

// Reads the answer buffer; every accessor checks bounds.
class Reader {
 public:
  Reader(const unsigned char* buf, int len) : buf_(buf), len_(len) {}

  bool U8(int pos, uint32_t* v) const {
    if (pos < 0 || pos + 1 > len_) return false;
    *v = buf_[pos];
    return true;
  }
  bool U16(int pos, uint32_t* v) const {
    if (pos < 0 || pos + 2 > len_) return false;
    *v = (uint32_t{buf_[pos]} << 8) | buf_[pos + 1];
    return true;
  }
  bool U32(int pos, uint32_t* v) const {
    if (pos < 0 || pos + 4 > len_) return false;
    *v = (uint32_t{buf_[pos]} << 24) | (uint32_t{buf_[pos + 1]} << 16) |
         (uint32_t{buf_[pos + 2]} << 8) | buf_[pos + 3];
    return true;
  }
  // A possibly compressed name at `pos`, as "www.example.com."; `used` is
  // its length at `pos`.
  bool Name(int pos, std::string* name, long* used) const {
    if (pos < 0 || pos >= len_) return false;
    char* s = nullptr;
    if (ares_expand_name(buf_ + pos, buf_, len_, &s, used) != ARES_SUCCESS) {
      return false;
    }
    *name = s;
    ares_free_string(s);
    if (name->empty() || name->back() != '.') name->push_back('.');
    return true;
  }
  const unsigned char* at(int pos) const { return buf_ + pos; }
  int len() const { return len_; }

 private:
  const unsigned char* buf_;
  int len_;
};

std::string Hex(const unsigned char* p, int n) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xF]);
  }
  return out;
}

// A <character-string> in presentation format, quoted.
std::string Quoted(const unsigned char* p, int n) {
  std::string out = "\"";
  for (int i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c > 0x7E) {
      absl::StrAppend(&out, "\\", c / 100, (c / 10) % 10, c % 10);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

// RFC 3597 form for anything without a printer here.
std::string Unknown(const Reader& r, int pos, int rdlen) {
  if (rdlen == 0) return "\\# 0";
  return absl::StrCat("\\# ", rdlen, " ", Hex(r.at(pos), rdlen));
}

std::string Rdata(const Reader& r, int type, int pos, int rdlen) {
  const int end = pos + rdlen;
  std::string name;
  long used = 0;
  uint32_t a = 0, b = 0, c = 0;
  switch (type) {
    case 1: {  // A
      if (rdlen != 4) break;
      char text[INET_ADDRSTRLEN];
      if (inet_ntop(AF_INET, r.at(pos), text, sizeof(text)) == nullptr) break;
      return text;
    }
    case 28: {  // AAAA
      if (rdlen != 16) break;
      char text[INET6_ADDRSTRLEN];
      if (inet_ntop(AF_INET6, r.at(pos), text, sizeof(text)) == nullptr) break;
      return text;
    }
    case 2:
    case 5:
    case 12:
    case 39:  // NS, CNAME, PTR, DNAME
      if (r.Name(pos, &name, &used)) return name;
      break;
    case 15:  // MX
      if (r.U16(pos, &a) && r.Name(pos + 2, &name, &used)) {
        return absl::StrCat(a, " ", name);
      }
      break;
    case 33: {  // SRV
      uint32_t port = 0;
      if (r.U16(pos, &a) && r.U16(pos + 2, &b) && r.U16(pos + 4, &port) &&
          r.Name(pos + 6, &name, &used)) {
        return absl::StrCat(a, " ", b, " ", port, " ", name);
      }
      break;
    }
    case 6: {  // SOA
      std::string rname;
      long used2 = 0;
      uint32_t serial, refresh, retry, expire, minimum;
      if (!r.Name(pos, &name, &used)) break;
      const int p2 = pos + static_cast<int>(used);
      if (!r.Name(p2, &rname, &used2)) break;
      const int p = p2 + static_cast<int>(used2);
      if (r.U32(p, &serial) && r.U32(p + 4, &refresh) && r.U32(p + 8, &retry) &&
          r.U32(p + 12, &expire) && r.U32(p + 16, &minimum)) {
        return absl::StrCat(name, " ", rname, " ", serial, " ", refresh, " ",
                            retry, " ", expire, " ", minimum);
      }
      break;
    }
    case 16:
    case 99: {  // TXT, SPF
      std::string out;
      int p = pos;
      while (p < end) {
        if (!r.U8(p, &a) || p + 1 + static_cast<int>(a) > end) return Unknown(r, pos, rdlen);
        if (!out.empty()) out.push_back(' ');
        out += Quoted(r.at(p + 1), static_cast<int>(a));
        p += 1 + static_cast<int>(a);
      }
      return out.empty() ? "\"\"" : out;
    }
    case 257: {  // CAA
      if (!r.U8(pos, &a) || !r.U8(pos + 1, &b) || pos + 2 + static_cast<int>(b) > end) break;
      std::string tag(reinterpret_cast<const char*>(r.at(pos + 2)), b);
      const int value_at = pos + 2 + static_cast<int>(b);
      return absl::StrCat(a, " ", tag, " ", Quoted(r.at(value_at), end - value_at));
    }
    case 43: {  // DS
      if (rdlen < 4 || !r.U16(pos, &a) || !r.U8(pos + 2, &b) || !r.U8(pos + 3, &c)) break;
      return absl::StrCat(a, " ", b, " ", c, " ", Hex(r.at(pos + 4), rdlen - 4));
    }
    default:
      break;
  }
  return Unknown(r, pos, rdlen);
}

absl::Status WithRcode(absl::StatusCode code, std::string message, int rcode) {
  absl::Status status(code, std::move(message));
  status.SetPayload(kRcodePayload, absl::Cord(absl::StrCat(rcode)));
  return status;
}

struct QueryState {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<unsigned char> answer;
  std::chrono::steady_clock::time_point finished;
};

void OnAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
              int alen) {
  auto* state = static_cast<QueryState*>(arg);
  state->done = true;
  state->status = status;
  state->finished = std::chrono::steady_clock::now();
  if (abuf != nullptr && alen > 0) state->answer.assign(abuf, abuf + alen);
}

struct Channel {
  ares_channel channel = nullptr;
  ~Channel() {
    if (channel != nullptr) ares_destroy(channel);
  }
};

}  // namespace

absl::StatusOr<ProbeResult> DnsProber::QuerySoaSerial(const std::string& address,
                                                      int port,
                                                      const std::string& zone,
                                                      absl::Duration timeout) {
  absl::StatusOr<ProbeResult> result = Query(address, port, zone, "SOA", timeout);
  if (!result.ok()) return result;
  if (!result->soa_serial.has_value()) {
    return absl::NotFoundError(absl::StrCat("dns probe ", address, ":", port,
                                            " ", zone,
                                            " SOA: NOERROR but no SOA in the answer"));
  }
  return result;
}

CaresDnsProber::CaresDnsProber() : CaresDnsProber(CaresProberOptions{}) {}

CaresDnsProber::CaresDnsProber(CaresProberOptions options)
    : options_(options) {
  InitLibraryOnce();
}

absl::StatusOr<ProbeResult> CaresDnsProber::DoQuery(const std::string& address,
                                                    int port,
                                                    const std::string& name,
                                                    const std::string& type,
                                                    absl::Duration timeout) {
  const std::string where =
      absl::StrCat("dns probe ", address, ":", port, " ", name, " ", type);
  const int qtype = DnsTypeFromName(type);
  if (qtype == 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": unknown type"));
  }
  if (port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": bad port"));
  }
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": timeout must be > 0"));
  }

  ares_addr_port_node server;
  std::memset(&server, 0, sizeof(server));
  std::string host = address;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (inet_pton(AF_INET, host.c_str(), &server.addr.addr4) == 1) {
    server.family = AF_INET;
  } else if (inet_pton(AF_INET6, host.c_str(), &server.addr.addr6) == 1) {
    server.family = AF_INET6;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": address must be an IPv4 or IPv6 literal"));
  }
  server.udp_port = port;
  server.tcp_port = port;

  const int tries = std::max(1, options_.tries);
  // c-ares doubles the wait on each resend to the same server: t, 2t, 4t...
  // so split the budget accordingly; our own loop enforces the total.
  const int64_t budget_ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout));
  const int64_t first_try_ms =
      std::max<int64_t>(1, budget_ms / ((int64_t{1} << tries) - 1));

  ares_options opts;
  std::memset(&opts, 0, sizeof(opts));
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_RESOLVCONF;
  // NOCHECKRESP: hand REFUSED/SERVFAIL back at once instead of resending.
  opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH;
  if (!options_.recursion_desired) opts.flags |= ARES_FLAG_NORECURSE;
  if (options_.edns) {
    opts.flags |= ARES_FLAG_EDNS;
    opts.ednspsz = 1232;
    mask |= ARES_OPT_EDNSPSZ;
  }
  opts.timeout = static_cast<int>(first_try_ms);
  opts.tries = tries;
  // Never the system's resolv.conf: the server is set explicitly below.
  char no_resolv_conf[] = "/dev/null";
  opts.resolvconf_path = no_resolv_conf;

  Channel ch;
  if (int rc = ares_init_options(&ch.channel, &opts, mask); rc != ARES_SUCCESS) {
    ch.channel = nullptr;
    return absl::InternalError(
        absl::StrCat(where, ": c-ares init failed: ", ares_strerror(rc)));
  }
  if (int rc = ares_set_servers_ports(ch.channel, &server); rc != ARES_SUCCESS) {
    return absl::InternalError(
        absl::StrCat(where, ": c-ares set server failed: ", ares_strerror(rc)));
  }

  QueryState state;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + absl::ToChronoNanoseconds(timeout);
  ares_query(ch.channel, name.c_str(), kClassIn, qtype, &OnAnswer, &state);

  bool timed_out = false;
  while (!state.done) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      timed_out = true;
      ares_cancel(ch.channel);  // runs OnAnswer with ARES_ECANCELLED
      break;
    }
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(ch.channel, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    int nfds = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events == 0) continue;
      fds[nfds++] = pollfd{socks[i], events, 0};
    }
    const auto left_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             deadline - now)
                             .count();
    timeval max_wait{static_cast<time_t>(left_us / 1000000),
                     static_cast<suseconds_t>(left_us % 1000000)};
    timeval wait_buf;
    const timeval* wait = ares_timeout(ch.channel, &max_wait, &wait_buf);
    const int wait_ms = static_cast<int>(wait->tv_sec * 1000 +
                                         (wait->tv_usec + 999) / 1000);
    const int ready = poll(fds, nfds, wait_ms);
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(
          absl::StrCat(where, ": poll failed: ", std::strerror(errno)));
    }
    if (ready <= 0) {
      ares_process_fd(ch.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      continue;
    }
    for (int i = 0; i < nfds; ++i) {
      const short re = fds[i].revents;
      ares_process_fd(
          ch.channel,
          (re & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
          (re & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
    }
  }

  if (timed_out || state.status == ARES_ETIMEOUT ||
      state.status == ARES_ECANCELLED) {
    return absl::UnavailableError(absl::StrCat(
        where, ": no answer within ", absl::FormatDuration(timeout)));
  }
  if (state.answer.size() < 12) {
    // No DNS message at all: refused connection, unreachable, out of memory.
    return absl::UnavailableError(
        absl::StrCat(where, ": ", ares_strerror(state.status)));
  }

  ProbeResult result;
  result.latency = absl::FromChrono(state.finished - start);
  const unsigned char* buf = state.answer.data();
  const int len = static_cast<int>(state.answer.size());
  result.rcode = buf[3] & 0x0F;
  result.authoritative = (buf[2] & 0x04) != 0;

  const std::string outcome = absl::StrCat(
      where, ": rcode=", RcodeName(result.rcode), " after ",
      absl::FormatDuration(result.latency));
  if (result.rcode != 0) return RcodeStatus(result.rcode, outcome);

  // Answer section: skip the questions, then print each RR.
  Reader r(buf, len);
  uint32_t qdcount = 0, ancount = 0;
  r.U16(4, &qdcount);
  r.U16(6, &ancount);
  int pos = 12;
  const absl::Status malformed =
      absl::InternalError(absl::StrCat(where, ": malformed answer"));
  for (uint32_t i = 0; i < qdcount; ++i) {
    std::string qname;
    long used = 0;
    if (!r.Name(pos, &qname, &used)) return malformed;
    pos += static_cast<int>(used) + 4;
  }
  for (uint32_t i = 0; i < ancount; ++i) {
    std::string owner;
    long used = 0;
    uint32_t rtype, rclass, ttl, rdlen;
    if (!r.Name(pos, &owner, &used)) return malformed;
    pos += static_cast<int>(used);
    if (!r.U16(pos, &rtype) || !r.U16(pos + 2, &rclass) || !r.U32(pos + 4, &ttl) ||
        !r.U16(pos + 8, &rdlen) || pos + 10 + static_cast<int>(rdlen) > len) {
      return malformed;
    }
    pos += 10;
    result.answers.push_back(absl::StrCat(
        owner, " ", ttl, " ",
        rclass == kClassIn ? std::string("IN") : absl::StrCat("CLASS", rclass),
        " ", DnsTypeName(static_cast<int>(rtype)), " ",
        Rdata(r, static_cast<int>(rtype), pos, static_cast<int>(rdlen))));
    pos += static_cast<int>(rdlen);
  }

  if (qtype == kTypeSoa && ancount > 0) {
    ares_soa_reply* soa = nullptr;
    if (ares_parse_soa_reply(buf, len, &soa) == ARES_SUCCESS && soa != nullptr) {
      result.soa_serial = soa->serial;
      ares_free_data(soa);
    }
  }
  return result;
}

absl::Status RcodeStatus(int rcode, std::string message) {
  switch (rcode) {
    case 1:
      return WithRcode(absl::StatusCode::kInvalidArgument, std::move(message), rcode);
    case 2:
      return WithRcode(absl::StatusCode::kInternal, std::move(message), rcode);
    case 3:
      return WithRcode(absl::StatusCode::kNotFound, std::move(message), rcode);
    case 4:
      return WithRcode(absl::StatusCode::kUnimplemented, std::move(message), rcode);
    case 5:
      return WithRcode(absl::StatusCode::kFailedPrecondition, std::move(message), rcode);
    default:
      return WithRcode(absl::StatusCode::kUnknown, std::move(message), rcode);
  }
}

std::optional<int> RcodeFromStatus(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRcodePayload);
  if (!payload.has_value()) return std::nullopt;
  int rcode = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &rcode)) return std::nullopt;
  return rcode;
}

std::string RcodeName(int rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 3:
      return "NXDOMAIN";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    case 9:
      return "NOTAUTH";
    default:
      return absl::StrCat("RCODE", rcode);
  }
}

int DnsTypeFromName(absl::string_view type) {
  const std::string upper = absl::AsciiStrToUpper(type);
  for (const TypeEntry& e : kTypes) {
    if (upper == e.name) return e.code;
  }
  int code = 0;
  if (upper.size() > 4 && upper.compare(0, 4, "TYPE") == 0 &&
      absl::SimpleAtoi(absl::string_view(upper).substr(4), &code) && code > 0 &&
      code <= 65535) {
    return code;
  }
  return 0;
}

std::string DnsTypeName(int type) {
  for (const TypeEntry& e : kTypes) {
    if (e.code == type) return e.name;
  }
  return absl::StrCat("TYPE", type);
}

}  // namespace dns
