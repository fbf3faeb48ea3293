// The c-ares prober against a tiny hand-rolled authoritative server on
// loopback (UDP and TCP on one port).
#include "client/dns_prober.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/testing/fake_dns_prober.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

void Put16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes& b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xFFFF);
}
Bytes WireName(const std::string& name) {
  Bytes b;
  for (absl::string_view label : absl::StrSplit(name, '.', absl::SkipEmpty())) {
    b.push_back(static_cast<uint8_t>(label.size()));
    b.insert(b.end(), label.begin(), label.end());
  }
  b.push_back(0);
  return b;
}
// Owner given as wire bytes so tests can use a compression pointer.
Bytes Rr(const Bytes& owner, uint16_t type, uint32_t ttl, const Bytes& rdata) {
  Bytes b = owner;
  Put16(b, type);
  Put16(b, 1);
  Put32(b, ttl);
  Put16(b, static_cast<uint32_t>(rdata.size()));
  b.insert(b.end(), rdata.begin(), rdata.end());
  return b;
}
const Bytes kQuestionName = {0xC0, 0x0C};  // pointer to the question's name

Bytes SoaRdata(const std::string& zone, uint32_t serial) {
  Bytes b = WireName("ns1." + zone);
  Bytes rname = WireName("hostmaster." + zone);
  b.insert(b.end(), rname.begin(), rname.end());
  for (uint32_t v : {serial, 10800u, 3600u, 604800u, 3600u}) Put32(b, v);
  return b;
}

class FakeDnsServer {
 public:
  struct Question {
    std::string name;  // lower-case, absolute
    uint16_t type = 0;
  };
  struct Answer {
    int rcode = 0;
    bool truncate_udp = false;
    std::vector<Bytes> rrs;
  };
  using Handler = std::function<Answer(const Question&)>;

  // A null handler makes a server that never answers.
  explicit FakeDnsServer(Handler handler) : handler_(std::move(handler)) {
    for (int i = 0; i < 20 && !Bind(); ++i) {
    }
    thread_ = std::thread([this] { Loop(); });
  }
  ~FakeDnsServer() {
    stop_ = true;
    thread_.join();
    close(udp_);
    close(tcp_);
  }

  int port() const { return port_; }
  int udp_queries() const { return udp_queries_; }
  int tcp_queries() const { return tcp_queries_; }

 private:
  bool Bind() {
    udp_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(udp_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    tcp_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(tcp_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        listen(tcp_, 8) == 0) {
      return true;
    }
    close(udp_);
    close(tcp_);
    return false;
  }

  // Answers one query; empty if it cannot be parsed.
  Bytes Respond(const uint8_t* q, size_t n, bool udp) {
    if (n < 12) return {};
    Question question;
    size_t pos = 12;
    while (pos < n && q[pos] != 0) {
      const size_t len = q[pos];
      question.name.append(reinterpret_cast<const char*>(q + pos + 1), len);
      question.name.push_back('.');
      pos += len + 1;
    }
    if (question.name.empty()) question.name = ".";
    pos += 1;
    if (pos + 4 > n) return {};
    question.type = static_cast<uint16_t>((q[pos] << 8) | q[pos + 1]);
    pos += 4;
    for (char& c : question.name) c = static_cast<char>(std::tolower(c));

    Answer answer = handler_(question);
    const bool truncated = udp && answer.truncate_udp;
    Bytes r = {q[0], q[1]};
    r.push_back(static_cast<uint8_t>(0x80 | 0x04 | (truncated ? 0x02 : 0) |
                                     (q[2] & 0x01)));
    r.push_back(static_cast<uint8_t>(answer.rcode & 0x0F));
    Put16(r, 1);
    Put16(r, truncated ? 0 : static_cast<uint32_t>(answer.rrs.size()));
    Put16(r, 0);
    Put16(r, 0);
    r.insert(r.end(), q + 12, q + pos);
    if (!truncated) {
      for (const Bytes& rr : answer.rrs) r.insert(r.end(), rr.begin(), rr.end());
    }
    return r;
  }

  void ServeTcp(int fd) {
    timeval tv{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    uint8_t len_buf[2];
    if (recv(fd, len_buf, 2, MSG_WAITALL) != 2) return;
    const size_t len = (len_buf[0] << 8) | len_buf[1];
    Bytes query(len);
    if (recv(fd, query.data(), len, MSG_WAITALL) != static_cast<ssize_t>(len)) {
      return;
    }
    ++tcp_queries_;
    Bytes reply = Respond(query.data(), query.size(), /*udp=*/false);
    Bytes framed;
    Put16(framed, static_cast<uint32_t>(reply.size()));
    framed.insert(framed.end(), reply.begin(), reply.end());
    send(fd, framed.data(), framed.size(), MSG_NOSIGNAL);
  }

  void Loop() {
    while (!stop_) {
      pollfd fds[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (poll(fds, 2, 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        uint8_t buf[4096];
        sockaddr_in from{};
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(udp_, buf, sizeof(buf), 0,
                             reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n > 0) {
          ++udp_queries_;
          if (handler_) {
            Bytes reply = Respond(buf, static_cast<size_t>(n), /*udp=*/true);
            sendto(udp_, reply.data(), reply.size(), 0,
                   reinterpret_cast<sockaddr*>(&from), from_len);
          }
        }
      }
      if (fds[1].revents & POLLIN) {
        int fd = accept(tcp_, nullptr, nullptr);
        if (fd >= 0) {
          if (handler_) ServeTcp(fd);
          close(fd);
        }
      }
    }
  }

  Handler handler_;
  int udp_ = -1;
  int tcp_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
  std::thread thread_;
};

// Serves example.com.: SOA, two A records for www, MX and TXT at the apex,
// NXDOMAIN below it, REFUSED for other zones, SERVFAIL for "broken.".
FakeDnsServer::Answer ExampleZone(const FakeDnsServer::Question& q) {
  FakeDnsServer::Answer a;
  if (q.name == "broken.") {
    a.rcode = 2;
  } else if (q.name == "example.com.") {
    if (q.type == 6) a.rrs.push_back(Rr(kQuestionName, 6, 3600, SoaRdata("example.com.", 2024010199)));
    if (q.type == 15) {
      Bytes mx;
      Put16(mx, 10);
      Bytes exchange = WireName("mail.example.com.");
      mx.insert(mx.end(), exchange.begin(), exchange.end());
      a.rrs.push_back(Rr(kQuestionName, 15, 3600, mx));
    }
    if (q.type == 16) {
      Bytes txt = {5, 'v', '=', 's', 'p', 'f', 3, 'a', '"', 'b'};
      a.rrs.push_back(Rr(kQuestionName, 16, 60, txt));
    }
  } else if (q.name == "www.example.com.") {
    if (q.type == 1) {
      a.rrs.push_back(Rr(kQuestionName, 1, 300, {192, 0, 2, 1}));
      a.rrs.push_back(Rr(WireName("www.example.com."), 1, 300, {192, 0, 2, 2}));
    }
  } else if (q.name.size() > 12 &&
             q.name.compare(q.name.size() - 12, 12, "example.com.") == 0) {
    a.rcode = 3;
  } else {
    a.rcode = 5;
  }
  return a;
}

TEST(CaresDnsProberTest, ReadsTheSoaSerial) {
  FakeDnsServer server(ExampleZone);
  CaresDnsProber prober;
  absl::StatusOr<ProbeResult> result =
      prober.QuerySoaSerial("127.0.0.1", server.port(), "example.com.");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->soa_serial, 2024010199u);
  EXPECT_EQ(result->rcode, 0);
  EXPECT_TRUE(result->authoritative);
  EXPECT_THAT(result->answers,
              ElementsAre("example.com. 3600 IN SOA ns1.example.com. "
                          "hostmaster.example.com. 2024010199 10800 3600 604800 3600"));
  EXPECT_GT(result->latency, absl::ZeroDuration());
  EXPECT_LT(result->latency, absl::Seconds(2));
}

TEST(CaresDnsProberTest, PrintsAnswersInPresentationFormat) {
  FakeDnsServer server(ExampleZone);
  CaresDnsProber prober;
  absl::StatusOr<ProbeResult> a =
      prober.Query("127.0.0.1", server.port(), "www.example.com.", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->answers, ElementsAre("www.example.com. 300 IN A 192.0.2.1",
                                      "www.example.com. 300 IN A 192.0.2.2"));
  EXPECT_FALSE(a->soa_serial.has_value());

  absl::StatusOr<ProbeResult> mx =
      prober.Query("127.0.0.1", server.port(), "example.com", "mx");
  ASSERT_TRUE(mx.ok()) << mx.status();
  EXPECT_THAT(mx->answers, ElementsAre("example.com. 3600 IN MX 10 mail.example.com."));

  absl::StatusOr<ProbeResult> txt =
      prober.Query("127.0.0.1", server.port(), "example.com.", "TXT");
  ASSERT_TRUE(txt.ok()) << txt.status();
  EXPECT_THAT(txt->answers, ElementsAre(R"(example.com. 60 IN TXT "v=spf" "a\"b")"));
}

TEST(CaresDnsProberTest, NoDataIsOkButHasNoSoa) {
  FakeDnsServer server(ExampleZone);
  CaresDnsProber prober;
  absl::StatusOr<ProbeResult> result =
      prober.Query("127.0.0.1", server.port(), "www.example.com.", "AAAA");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->answers.empty());
  EXPECT_EQ(prober.QuerySoaSerial("127.0.0.1", server.port(), "www.example.com.")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(CaresDnsProberTest, DistinguishesNxdomainRefusedAndServfail) {
  FakeDnsServer server(ExampleZone);
  CaresDnsProber prober;

  absl::Status nx =
      prober.Query("127.0.0.1", server.port(), "nope.example.com.", "A").status();
  EXPECT_EQ(nx.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(nx.message(), HasSubstr("NXDOMAIN"));
  EXPECT_EQ(RcodeFromStatus(nx), 3);

  const int before = server.udp_queries();
  absl::Status refused =
      prober.QuerySoaSerial("127.0.0.1", server.port(), "other.org.").status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("REFUSED"));
  EXPECT_EQ(RcodeFromStatus(refused), 5);
  EXPECT_EQ(server.udp_queries() - before, 1);  // taken as final, not resent

  absl::Status servfail =
      prober.Query("127.0.0.1", server.port(), "broken.", "SOA").status();
  EXPECT_EQ(servfail.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(RcodeFromStatus(servfail), 2);

  EXPECT_FALSE(RcodeFromStatus(absl::UnavailableError("timeout")).has_value());
}

TEST(CaresDnsProberTest, TimesOutAgainstASilentServer) {
  FakeDnsServer silent(nullptr);
  CaresDnsProber prober;
  const absl::Time start = absl::Now();
  absl::StatusOr<ProbeResult> result = prober.QuerySoaSerial(
      "127.0.0.1", silent.port(), "example.com.", absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("no answer within"));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Milliseconds(1500));
  EXPECT_GE(silent.udp_queries(), 1);
}

TEST(CaresDnsProberTest, FallsBackToTcpWhenTruncated) {
  FakeDnsServer server([](const FakeDnsServer::Question& q) {
    FakeDnsServer::Answer a = ExampleZone(q);
    a.truncate_udp = true;
    return a;
  });
  CaresDnsProber prober;
  absl::StatusOr<ProbeResult> result =
      prober.QuerySoaSerial("127.0.0.1", server.port(), "example.com.");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->soa_serial, 2024010199u);
  EXPECT_EQ(server.udp_queries(), 1);
  EXPECT_EQ(server.tcp_queries(), 1);
}

TEST(CaresDnsProberTest, IsSafeToUseFromManyThreads) {
  FakeDnsServer server(ExampleZone);
  CaresDnsProber prober;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        if (prober.QuerySoaSerial("127.0.0.1", server.port(), "example.com.").ok()) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST(CaresDnsProberTest, RejectsBadArguments) {
  CaresDnsProber prober;
  EXPECT_EQ(prober.Query("ns1.example.com", 53, "example.com.", "SOA").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(prober.Query("127.0.0.1", 53, "example.com.", "BOGUS").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(prober.Query("127.0.0.1", 0, "example.com.", "SOA").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DnsTypeTest, NamesAndNumbers) {
  EXPECT_EQ(DnsTypeFromName("soa"), 6);
  EXPECT_EQ(DnsTypeFromName("CAA"), 257);
  EXPECT_EQ(DnsTypeFromName("TYPE65"), 65);
  EXPECT_EQ(DnsTypeFromName("TYPE0"), 0);
  EXPECT_EQ(DnsTypeName(28), "AAAA");
  EXPECT_EQ(DnsTypeName(4242), "TYPE4242");
  EXPECT_EQ(RcodeName(3), "NXDOMAIN");
  EXPECT_EQ(RcodeName(12), "RCODE12");
}

TEST(FakeDnsProberTest, AnswersWhatItWasTold) {
  FakeDnsProber prober;
  prober.SetSoaSerial("192.0.2.53", 53, "Example.com", 7);
  absl::StatusOr<ProbeResult> soa =
      prober.QuerySoaSerial("192.0.2.53", 53, "example.com.");
  ASSERT_TRUE(soa.ok()) << soa.status();
  EXPECT_EQ(soa->soa_serial, 7u);
  EXPECT_EQ(prober.Query("192.0.2.54", 53, "example.com.", "SOA").status().code(),
            absl::StatusCode::kUnavailable);
  prober.SetDefault(absl::NotFoundError("NXDOMAIN"));
  EXPECT_EQ(prober.Query("192.0.2.54", 53, "x.", "A").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(prober.query_count(), 3);
}

}  // namespace
}  // namespace dns
