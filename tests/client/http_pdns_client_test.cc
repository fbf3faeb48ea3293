// The HTTP PdnsClient against a local httplib::Server standing in for
// PowerDNS: status mapping, retries, breaker, limits, ordering, headers, logs.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/executor.h"
#include "tests/testing/fake_clock.h"
#include "client/pdns_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/client/test_peer.h"

namespace dns::pdns {
namespace {

using ::dns::testing::ClosedTcpPort;
using ::dns::testing::RawPeer;
using ::dns::testing::TestPeer;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kKey[] = "s3cr3t-api-key-never-logged";
constexpr char kServerJson[] =
    R"({"type":"Server","id":"localhost","daemon_type":"authoritative","version":"4.7.3"})";

CallContext Context(const std::string& request_id) {
  CallContext ctx;
  ctx.request_id = request_id;
  return ctx;
}

CreateZoneRequest NamedZone(const std::string& name) {
  CreateZoneRequest request;
  request.name = name;
  return request;
}

void Reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

// Highest value a counter reached while handlers ran concurrently.
class ConcurrencyGauge {
 public:
  void Enter() {
    int now = ++current_;
    int seen = peak_.load();
    while (now > seen && !peak_.compare_exchange_weak(seen, now)) {
    }
  }
  void Leave() { --current_; }
  int peak() const { return peak_.load(); }

 private:
  std::atomic<int> current_{0};
  std::atomic<int> peak_{0};
};

class HttpPdnsClientTest : public ::testing::Test {
 protected:
  // Fake time: backoff sleeps and breaker timers cost nothing.
  ClientOptions Options() {
    ClientOptions options;
    options.clock = clock_;
    options.connect_timeout = absl::Seconds(2);
    options.read_timeout = absl::Seconds(5);
    return options;
  }

  std::shared_ptr<PdnsClient> Client(const std::string& url,
                                     ClientOptions options) {
    absl::StatusOr<std::shared_ptr<PdnsClient>> client =
        MakeHttpPdnsClient({"ns-test", url, kKey}, options, executor_);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *client : nullptr;
  }

  std::shared_ptr<PdnsClient> Client(const std::string& url) {
    return Client(url, Options());
  }

  // Declared first so it outlives the clients and peers of each test.
  Executor executor_{Executor::Options{.threads = 16, .max_queued = 1024}};
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  CallContext ctx_ = Context("req-42");
};

struct StatusCase {
  int http_status;
  absl::StatusCode code;
};

class StatusMappingTest : public HttpPdnsClientTest,
                          public ::testing::WithParamInterface<StatusCase> {};

TEST_P(StatusMappingTest, MapsHttpStatusToStatusCode) {
  const StatusCase c = GetParam();
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost/zones/.*",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, c.http_status, R"({"error": "PowerDNS says no"})");
          });
  });
  absl::StatusOr<ZoneInfo> zone = Client(peer.url())->GetZone(ctx_, "example.com.");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), c.code) << zone.status();
  EXPECT_THAT(zone.status().message(), HasSubstr("pdns server ns-test"));
  EXPECT_THAT(zone.status().message(), HasSubstr("PowerDNS says no"));
  EXPECT_THAT(zone.status().message(), Not(HasSubstr(kKey)));
}

INSTANTIATE_TEST_SUITE_P(
    AllCodes, StatusMappingTest,
    ::testing::Values(StatusCase{400, absl::StatusCode::kInvalidArgument},
                      StatusCase{401, absl::StatusCode::kUnauthenticated},
                      StatusCase{403, absl::StatusCode::kPermissionDenied},
                      StatusCase{404, absl::StatusCode::kNotFound},
                      StatusCase{409, absl::StatusCode::kAlreadyExists},
                      StatusCase{422, absl::StatusCode::kInvalidArgument},
                      StatusCase{500, absl::StatusCode::kUnavailable},
                      StatusCase{503, absl::StatusCode::kUnavailable}),
    [](const ::testing::TestParamInfo<StatusCase>& info) {
      return absl::StrCat("Http", info.param.http_status);
    });

TEST_F(HttpPdnsClientTest, UnprocessableEntityCarriesPowerDnsErrorText) {
  TestPeer peer([&](httplib::Server& s) {
    s.Patch("/api/v1/servers/localhost/zones/example.com.",
            [&](const httplib::Request&, httplib::Response& res) {
              Reply(res, 422,
                    R"({"error": "RRset www.example.com. IN CNAME: Conflicts with pre-existing RRset"})");
            });
  });
  absl::Status status = Client(peer.url())->PatchRRsets(
      ctx_, "example.com.",
      {{ChangeType::kReplace,
        {"www.example.com.", "CNAME", 300, {{"example.com.", false}}}}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("Conflicts with pre-existing RRset"));
  EXPECT_THAT(status.message(), HasSubstr("HTTP 422"));
}

TEST_F(HttpPdnsClientTest, ConnectionRefusedIsUnavailable) {
  ClientOptions options = Options();
  options.retry.max_attempts = 1;
  auto client =
      Client(absl::StrCat("http://127.0.0.1:", ClosedTcpPort()), options);
  absl::StatusOr<ServerInfo> info = client->GetServerInfo(ctx_);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(info.status().message(), HasSubstr("pdns server ns-test"));
  EXPECT_THAT(info.status().message(), HasSubstr("cannot connect"));
}

TEST_F(HttpPdnsClientTest, ReadTimeoutIsUnavailable) {
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            Reply(res, 200, kServerJson);
          });
  });
  ClientOptions options = Options();
  options.read_timeout = absl::Milliseconds(200);
  options.retry.max_attempts = 1;
  const absl::Time start = absl::Now();
  absl::StatusOr<ServerInfo> info = Client(peer.url(), options)->GetServerInfo(ctx_);
  EXPECT_EQ(info.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1200));
}

TEST_F(HttpPdnsClientTest, RetriesIdempotentCallUntilSuccess) {
  std::atomic<int> attempts{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            if (++attempts <= 2) {
              Reply(res, 500, R"({"error": "Internal Server Error"})");
            } else {
              Reply(res, 200, kServerJson);
            }
          });
  });
  absl::StatusOr<ServerInfo> info = Client(peer.url())->GetServerInfo(ctx_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, "4.7.3");
  EXPECT_EQ(attempts.load(), 3);
  // Two backoffs were taken (on the fake clock, so no real wait).
  EXPECT_GT(clock_->total_slept(), absl::ZeroDuration());
}

TEST_F(HttpPdnsClientTest, GivesUpAfterThreeAttempts) {
  std::atomic<int> attempts{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Delete("/api/v1/servers/localhost/zones/example.com.",
             [&](const httplib::Request&, httplib::Response& res) {
               ++attempts;
               Reply(res, 503, "");
             });
  });
  absl::Status status = Client(peer.url())->DeleteZone(ctx_, "example.com.");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(attempts.load(), 3);
}

TEST_F(HttpPdnsClientTest, PatchIsRetried) {
  std::atomic<int> attempts{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Patch("/api/v1/servers/localhost/zones/example.com.",
            [&](const httplib::Request&, httplib::Response& res) {
              res.status = ++attempts == 1 ? 500 : 204;
            });
  });
  absl::Status status = Client(peer.url())->PatchRRsets(
      ctx_, "example.com.",
      {{ChangeType::kDelete, {"old.example.com.", "A", 0, {}}}});
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(attempts.load(), 2);
}

TEST_F(HttpPdnsClientTest, ClientErrorsAreNotRetried) {
  std::atomic<int> attempts{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost/zones/.*",
          [&](const httplib::Request&, httplib::Response& res) {
            ++attempts;
            Reply(res, 404, R"({"error": "Could not find domain"})");
          });
  });
  EXPECT_EQ(Client(peer.url())->GetZone(ctx_, "nope.example.").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(attempts.load(), 1);
}

TEST_F(HttpPdnsClientTest, CreateIsNotRetriedAndChecksWhetherTheZoneExists) {
  std::atomic<int> posts{0};
  std::atomic<int> gets{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Post("/api/v1/servers/localhost/zones",
           [&](const httplib::Request&, httplib::Response& res) {
             ++posts;
             Reply(res, 500, R"({"error": "Internal Server Error"})");
           });
    s.Get("/api/v1/servers/localhost/zones/example.com.",
          [&](const httplib::Request&, httplib::Response& res) {
            ++gets;
            Reply(res, 404, R"({"error": "Could not find domain"})");
          });
  });
  absl::StatusOr<ZoneInfo> zone =
      Client(peer.url())->CreateZone(ctx_, NamedZone("example.com."));
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(zone.status().message(), HasSubstr("not created"));
  EXPECT_EQ(posts.load(), 1);
  EXPECT_EQ(gets.load(), 1);
}

TEST_F(HttpPdnsClientTest, CreateThatFailedButHappenedSucceeds) {
  TestPeer peer([&](httplib::Server& s) {
    s.Post("/api/v1/servers/localhost/zones",
           [&](const httplib::Request&, httplib::Response& res) {
             Reply(res, 500, "Internal Server Error");
           });
    s.Get("/api/v1/servers/localhost/zones/example.com.",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 200,
                  R"({"id":"example.com.","name":"example.com.","kind":"Native","serial":7,"rrsets":[]})");
          });
  });
  absl::StatusOr<ZoneInfo> zone =
      Client(peer.url())->CreateZone(ctx_, NamedZone("example.com."));
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->serial, 7u);
}

TEST_F(HttpPdnsClientTest, CreateConflictIsAlreadyExists) {
  TestPeer peer([&](httplib::Server& s) {
    s.Post("/api/v1/servers/localhost/zones",
           [&](const httplib::Request&, httplib::Response& res) {
             Reply(res, 409, R"({"error": "Domain 'example.com.' already exists"})");
           });
  });
  EXPECT_EQ(Client(peer.url())
                ->CreateZone(ctx_, NamedZone("example.com."))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(HttpPdnsClientTest, CreateSendsTheZoneAsPowerDnsWantsIt) {
  std::string body;
  TestPeer peer([&](httplib::Server& s) {
    s.Post("/api/v1/servers/localhost/zones",
           [&](const httplib::Request& req, httplib::Response& res) {
             body = req.body;
             Reply(res, 201,
                   R"({"id":"=5Fsvc.example.","name":"_svc.example.","kind":"Master","serial":2024010101,
                       "soa_edit_api":"","api_rectify":false,
                       "rrsets":[{"name":"_svc.example.","type":"NS","ttl":3600,
                                  "records":[{"content":"ns1.example.net.","disabled":false}]}]})");
           });
  });
  CreateZoneRequest request;
  request.name = "_svc.example";  // no trailing dot: added
  request.kind = ZoneKind::kMaster;
  request.rrsets = {{"_svc.example.", "NS", 3600, {{"ns1.example.net.", false}}}};
  absl::StatusOr<ZoneInfo> zone = Client(peer.url())->CreateZone(ctx_, request);
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->id, "=5Fsvc.example.");
  EXPECT_EQ(zone->kind, ZoneKind::kMaster);
  ASSERT_EQ(zone->rrsets.size(), 1u);

  nlohmann::json sent = nlohmann::json::parse(body);
  EXPECT_EQ(sent["name"], "_svc.example.");
  EXPECT_EQ(sent["kind"], "Master");
  EXPECT_EQ(sent["soa_edit_api"], "");
  EXPECT_EQ(sent["api_rectify"], false);
  EXPECT_TRUE(sent["nameservers"].is_array());
  EXPECT_TRUE(sent["nameservers"].empty());
  EXPECT_EQ(sent["rrsets"][0]["records"][0]["content"], "ns1.example.net.");
}

TEST_F(HttpPdnsClientTest, PatchSendsOneBodyWithDeletesFirst) {
  std::vector<std::string> bodies;
  std::mutex mu;
  TestPeer peer([&](httplib::Server& s) {
    s.Patch("/api/v1/servers/localhost/zones/example.com.",
            [&](const httplib::Request& req, httplib::Response& res) {
              std::lock_guard<std::mutex> lock(mu);
              bodies.push_back(req.body);
              res.status = 204;
            });
  });
  std::vector<RRsetChange> changes = {
      {ChangeType::kReplace, {"www.example.com.", "A", 300, {{"192.0.2.1", false}}}},
      {ChangeType::kDelete, {"old.example.com.", "A", 0, {}}},
      {ChangeType::kReplace,
       {"example.com.", "MX", 3600, {{"10 mail.example.com.", false}}}},
  };
  ASSERT_TRUE(Client(peer.url())->PatchRRsets(ctx_, "example.com.", changes).ok());
  ASSERT_EQ(bodies.size(), 1u);
  nlohmann::json sent = nlohmann::json::parse(bodies[0]);
  ASSERT_EQ(sent["rrsets"].size(), 3u);
  EXPECT_EQ(sent["rrsets"][0]["changetype"], "DELETE");
  EXPECT_EQ(sent["rrsets"][0]["name"], "old.example.com.");
  EXPECT_EQ(sent["rrsets"][1]["changetype"], "REPLACE");
  EXPECT_EQ(sent["rrsets"][1]["name"], "www.example.com.");
  EXPECT_EQ(sent["rrsets"][1]["ttl"], 300);
  EXPECT_EQ(sent["rrsets"][2]["records"][0]["content"], "10 mail.example.com.");
}

// 60 TXT RRsets of ~1 KB: about 64 KB as one body.
std::vector<RRsetChange> BigChange() {
  std::vector<RRsetChange> changes;
  changes.push_back({ChangeType::kDelete, {"gone.example.com.", "TXT", 0, {}}});
  for (int i = 0; i < 60; ++i) {
    changes.push_back({ChangeType::kReplace,
                       {absl::StrCat("t", i, ".example.com."), "TXT", 300,
                        {{absl::StrCat("\"", std::string(1000, 'a' + i % 26), "\""), false}}}});
  }
  // Listed in the middle; must arrive last.
  changes.insert(changes.begin() + 10,
                 {ChangeType::kReplace,
                  {"example.com.", "SOA", 3600,
                   {{"ns1.example.net. hostmaster.example.com. 2024010105 10800 3600 604800 3600",
                     false}}}});
  return changes;
}

TEST_F(HttpPdnsClientTest, PatchOverTheBodyLimitGoesInOrderedParts) {
  std::vector<std::string> bodies;
  std::mutex mu;
  TestPeer peer([&](httplib::Server& s) {
    s.Patch("/api/v1/servers/localhost/zones/example.com.",
            [&](const httplib::Request& req, httplib::Response& res) {
              std::lock_guard<std::mutex> lock(mu);
              bodies.push_back(req.body);
              res.status = 204;
            });
  });
  ClientOptions options = Options();
  options.max_body_bytes = 16 * 1024;
  ASSERT_TRUE(Client(peer.url(), options)->PatchRRsets(ctx_, "example.com.", BigChange()).ok());

  ASSERT_GE(bodies.size(), 4u);
  std::vector<std::string> names;
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_LE(bodies[i].size(), 16u * 1024) << "body " << i;
    const nlohmann::json sent = nlohmann::json::parse(bodies[i]);
    for (const auto& rrset : sent["rrsets"]) {
      names.push_back(rrset["changetype"].get<std::string>() + " " +
                      rrset["name"].get<std::string>() + " " + rrset["type"].get<std::string>());
    }
  }
  ASSERT_EQ(names.size(), 62u);
  EXPECT_EQ(names.front(), "DELETE gone.example.com. TXT");
  // The serial moves only with the last part, once everything else is there.
  EXPECT_EQ(names.back(), "REPLACE example.com. SOA");
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 62u);
}

TEST_F(HttpPdnsClientTest, PartOfAPatchFailingSaysWhichPart) {
  std::atomic<int> calls{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Patch(".*", [&](const httplib::Request&, httplib::Response& res) {
      if (++calls == 2) {
        Reply(res, 422, R"({"error": "record rejected"})");
      } else {
        res.status = 204;
      }
    });
  });
  ClientOptions options = Options();
  options.max_body_bytes = 16 * 1024;
  absl::Status st = Client(peer.url(), options)->PatchRRsets(ctx_, "example.com.", BigChange());
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("record rejected"));
  EXPECT_THAT(st.message(), HasSubstr("part 2 of"));
  EXPECT_EQ(calls.load(), 2);  // nothing after the failed part
}

TEST_F(HttpPdnsClientTest, ZoneOverTheBodyLimitIsCreatedThenFilledSoaLast) {
  std::string post;
  std::vector<std::string> patches;
  std::mutex mu;
  TestPeer peer([&](httplib::Server& s) {
    s.Post("/api/v1/servers/localhost/zones",
           [&](const httplib::Request& req, httplib::Response& res) {
             std::lock_guard<std::mutex> lock(mu);
             post = req.body;
             Reply(res, 201, R"({"id":"example.com.","name":"example.com.","serial":0,"rrsets":[]})");
           });
    s.Patch("/api/v1/servers/localhost/zones/example.com.",
            [&](const httplib::Request& req, httplib::Response& res) {
              std::lock_guard<std::mutex> lock(mu);
              patches.push_back(req.body);
              res.status = 204;
            });
  });
  CreateZoneRequest request;
  request.name = "example.com.";
  request.rrsets.push_back({"example.com.", "NS", 3600, {{"ns1.example.net.", false}}});
  for (const RRsetChange& c : BigChange()) {
    if (c.type == ChangeType::kReplace) request.rrsets.push_back(c.rrset);
  }
  ClientOptions options = Options();
  options.max_body_bytes = 16 * 1024;
  absl::StatusOr<ZoneInfo> zone = Client(peer.url(), options)->CreateZone(ctx_, request);
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->name, "example.com.");

  nlohmann::json created = nlohmann::json::parse(post);
  ASSERT_EQ(created["rrsets"].size(), 2u);  // what a zone cannot do without
  for (const auto& rrset : created["rrsets"]) {
    if (rrset["type"] == "SOA") {
      // No serial of the truth until the whole zone is there.
      EXPECT_EQ(rrset["records"][0]["content"],
                "ns1.example.net. hostmaster.example.com. 0 10800 3600 604800 3600");
    } else {
      EXPECT_EQ(rrset["type"], "NS");
    }
  }
  ASSERT_GE(patches.size(), 4u);
  size_t replaced = 0;
  for (const std::string& body : patches) {
    EXPECT_LE(body.size(), 16u * 1024);
    replaced += nlohmann::json::parse(body)["rrsets"].size();
  }
  EXPECT_EQ(replaced, 61u);  // 60 TXT and the real SOA
  nlohmann::json last = nlohmann::json::parse(patches.back())["rrsets"];
  EXPECT_EQ(last.back()["type"], "SOA");
  EXPECT_EQ(last.back()["records"][0]["content"],
            "ns1.example.net. hostmaster.example.com. 2024010105 10800 3600 604800 3600");
}

// Answers 400 as soon as the headers are in and hangs up without reading the
// body, as PowerDNS does with a body over webserver-max-bodysize.
class HangUpPeer {
 public:
  HangUpPeer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 8);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~HangUpPeer() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

 private:
  void Serve() {
    for (;;) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::string head;
      char buf[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      constexpr char kAnswer[] =
          "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 11\r\n\r\nBad Request";
      send(fd, kAnswer, sizeof(kAnswer) - 1, MSG_NOSIGNAL);
      // FIN first (the client's socket goes to CLOSE_WAIT), then close with
      // the body unread, which resets the connection: the client's next
      // write fails with EPIPE, and without MSG_NOSIGNAL raises SIGPIPE.
      shutdown(fd, SHUT_WR);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      close(fd);
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST_F(HttpPdnsClientTest, PeerHangingUpMidBodyIsAnErrorNotTheEndOfTheProcess) {
  HangUpPeer peer;
  ClientOptions options = Options();
  options.max_body_bytes = 64 << 20;  // one 8 MB body, which the peer refuses
  std::vector<RRsetChange> changes;
  for (int i = 0; i < 2000; ++i) {
    changes.push_back({ChangeType::kReplace,
                       {absl::StrCat("t", i, ".example.com."), "TXT", 300,
                        {{absl::StrCat("\"", std::string(4000, 'x'), "\""), false}}}});
  }
  auto client = Client(peer.url(), options);
  for (int round = 0; round < 3; ++round) {
    // Before SIGPIPE was ignored the process died here, in the write after
    // the peer's reset.
    absl::Status st = client->PatchRRsets(ctx_, "example.com.", changes);
    EXPECT_FALSE(st.ok());
  }
  EXPECT_GE(peer.connections(), 3);
}

TEST_F(HttpPdnsClientTest, EmptyPatchMakesNoCall) {
  std::atomic<int> calls{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Patch(".*", [&](const httplib::Request&, httplib::Response& res) {
      ++calls;
      res.status = 204;
    });
  });
  EXPECT_TRUE(Client(peer.url())->PatchRRsets(ctx_, "example.com.", {}).ok());
  EXPECT_EQ(calls.load(), 0);
}

TEST_F(HttpPdnsClientTest, ReadsEveryKindOfAnswer) {
  std::map<std::string, std::string> queries;
  std::mutex mu;
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 200, kServerJson);
          });
    s.Get("/api/v1/servers/localhost/statistics",
          [&](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard<std::mutex> lock(mu);
            queries["statistics"] = req.get_param_value("includerings");
            Reply(res, 200,
                  R"([{"name":"uptime","type":"StatisticItem","value":"4242"},
                      {"name":"udp-queries","type":"StatisticItem","value":"17"},
                      {"name":"response-by-rcode","type":"MapStatisticItem",
                       "value":[{"name":"NXDOMAIN","value":"3"}]}])");
          });
    s.Get("/api/v1/servers/localhost/zones",
          [&](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard<std::mutex> lock(mu);
            queries["zones"] = req.get_param_value("dnssec");
            Reply(res, 200,
                  R"([{"id":"a.example.","name":"a.example.","kind":"Native","serial":11},
                      {"id":"b.example.","name":"b.example.","kind":"Slave","serial":12,
                       "masters":["192.0.2.53"]}])");
          });
    s.Get("/api/v1/servers/localhost/zones/a.example.",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 200,
                  R"({"id":"a.example.","name":"a.example.","kind":"Native","serial":11,
                      "soa_edit_api":"","api_rectify":false,"rrsets":[
                      {"name":"a.example.","type":"SOA","ttl":3600,"records":[{"content":
                       "ns1.a.example. hostmaster.a.example. 11 10800 3600 604800 3600","disabled":false}],
                       "comments":[]},
                      {"name":"www.a.example.","type":"A","ttl":300,"records":[
                       {"content":"192.0.2.1","disabled":false},
                       {"content":"192.0.2.2","disabled":true}],"comments":[]}]})");
          });
    s.Get("/api/v1/servers/localhost/zones/a.example./export",
          [&](const httplib::Request&, httplib::Response& res) {
            res.set_content("a.example.\t3600\tIN\tSOA\tns1.a.example. ...\n",
                            "text/plain; charset=us-ascii");
          });
    s.Put("/api/v1/servers/localhost/cache/flush",
          [&](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard<std::mutex> lock(mu);
            queries["flush"] = req.get_param_value("domain");
            Reply(res, 200, R"({"count": 5, "result": "Flushed cache."})");
          });
    s.Put("/api/v1/servers/localhost/zones/a.example./notify",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 200, R"({"result":"Notification queued"})");
          });
    s.Put("/api/v1/servers/localhost/zones/a.example./rectify",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 200, R"({"result":"Rectified"})");
          });
  });
  auto client = Client(peer.url());

  absl::StatusOr<ServerInfo> info = client->GetServerInfo(ctx_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->daemon_type, "authoritative");

  absl::StatusOr<Statistics> stats = client->GetStatistics(ctx_);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->at("uptime"), "4242");
  EXPECT_EQ(stats->at("response-by-rcode:NXDOMAIN"), "3");

  absl::StatusOr<std::vector<ZoneInfo>> zones = client->ListZones(ctx_);
  ASSERT_TRUE(zones.ok()) << zones.status();
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[1].kind, ZoneKind::kSlave);
  EXPECT_EQ((*zones)[1].serial, 12u);
  EXPECT_EQ((*zones)[1].masters, std::vector<std::string>{"192.0.2.53"});

  absl::StatusOr<ZoneInfo> zone = client->GetZone(ctx_, "a.example");
  ASSERT_TRUE(zone.ok()) << zone.status();
  ASSERT_EQ(zone->rrsets.size(), 2u);
  EXPECT_EQ(zone->rrsets[1].records[1], (Record{"192.0.2.2", true}));

  absl::StatusOr<std::string> text = client->ExportZone(ctx_, "a.example.");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr("IN\tSOA"));

  absl::StatusOr<int64_t> flushed = client->FlushCache(ctx_, "a.example.");
  ASSERT_TRUE(flushed.ok()) << flushed.status();
  EXPECT_EQ(*flushed, 5);

  EXPECT_TRUE(client->NotifyZone(ctx_, "a.example.").ok());
  EXPECT_TRUE(client->RectifyZone(ctx_, "a.example.").ok());

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(queries["statistics"], "false");
  EXPECT_EQ(queries["zones"], "false");
  EXPECT_EQ(queries["flush"], "a.example.");
}

TEST_F(HttpPdnsClientTest, EscapesZoneIdsInPaths) {
  std::string path;
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost/zones/.*",
          [&](const httplib::Request& req, httplib::Response& res) {
            path = req.path;
            Reply(res, 200, R"({"id":"=5Fdmarc.example.","name":"_dmarc.example."})");
          });
  });
  ASSERT_TRUE(Client(peer.url())->GetZone(ctx_, "_dmarc.example.").ok());
  EXPECT_EQ(path, "/api/v1/servers/localhost/zones/=5Fdmarc.example.");
}

TEST_F(HttpPdnsClientTest, KeepsUrlPrefix) {
  std::string path;
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/pdns/api/v1/servers/localhost",
          [&](const httplib::Request& req, httplib::Response& res) {
            path = req.path;
            Reply(res, 200, kServerJson);
          });
  });
  auto client = Client(peer.url() + "/pdns/api/v1/");
  ASSERT_TRUE(client->GetServerInfo(ctx_).ok());
  EXPECT_EQ(path, "/pdns/api/v1/servers/localhost");
}

TEST_F(HttpPdnsClientTest, RejectsUnusableUrls) {
  for (const char* url : {"127.0.0.1:8081", "ftp://host", "http://"}) {
    EXPECT_EQ(MakeHttpPdnsClient({"ns", url, kKey}, Options(), executor_)
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << url;
  }
}

TEST_F(HttpPdnsClientTest, SendsRequestIdKeyAndJsonHeaders) {
  RawPeer peer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(Client(peer.url())
                  ->PatchRRsets(ctx_, "example.com.",
                                {{ChangeType::kDelete, {"x.example.com.", "A", 0, {}}}})
                  .ok());
  const std::string& request = peer.request();
  EXPECT_THAT(request, StartsWith(
      "PATCH /api/v1/servers/localhost/zones/example.com. HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nX-Request-Id: req-42\r\n"));
  EXPECT_THAT(request, HasSubstr(absl::StrCat("\r\nX-API-Key: ", kKey, "\r\n")));
  EXPECT_THAT(request, HasSubstr("\r\nAccept: application/json\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nContent-Type: application/json\r\n"));
  // Empty Expect: PowerDNS does not implement 100-continue.
  EXPECT_THAT(request, HasSubstr("\r\nExpect: \r\n"));
  EXPECT_THAT(request, Not(HasSubstr("100-continue")));
  EXPECT_THAT(request, HasSubstr(R"("changetype":"DELETE")"));
}

TEST_F(HttpPdnsClientTest, OmitsRequestIdWhenThereIsNone) {
  std::atomic<bool> had_id{true};
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request& req, httplib::Response& res) {
            had_id = req.has_header("X-Request-Id");
            Reply(res, 200, kServerJson);
          });
  });
  ASSERT_TRUE(Client(peer.url())->GetServerInfo(CallContext{}).ok());
  EXPECT_FALSE(had_id.load());
}

TEST_F(HttpPdnsClientTest, LogsOneLinePerCallAndNeverTheKey) {
  std::ostringstream captured;
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::trace);
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 200, kServerJson);
          });
    // A peer that echoes the key back must not get it into our logs.
    s.Get("/api/v1/servers/localhost/zones/.*",
          [&](const httplib::Request& req, httplib::Response& res) {
            Reply(res, 401,
                  absl::StrCat(R"({"error": "bad key )",
                               req.get_header_value("X-API-Key"), R"("})"));
          });
    s.Delete("/api/v1/servers/localhost/zones/.*",
             [&](const httplib::Request&, httplib::Response& res) {
               Reply(res, 500, "");
             });
  });
  auto client = Client(peer.url());
  EXPECT_TRUE(client->GetServerInfo(ctx_).ok());
  absl::Status unauthenticated = client->GetZone(ctx_, "example.com.").status();
  EXPECT_EQ(unauthenticated.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(unauthenticated.message(), Not(HasSubstr(kKey)));
  EXPECT_FALSE(client->DeleteZone(ctx_, "example.com.").ok());
  auto refused =
      Client(absl::StrCat("http://127.0.0.1:", ClosedTcpPort()));
  EXPECT_FALSE(refused->GetServerInfo(ctx_).ok());

  logger->flush();
  spdlog::set_default_logger(previous);
  const std::string log = captured.str();

  EXPECT_THAT(log, HasSubstr("pdns_call server=ns-test method=GET "
                             "path=/api/v1/servers/localhost status=200 code=OK "
                             "duration_ms="));
  EXPECT_THAT(log, HasSubstr("attempt=1 request_id=req-42"));
  EXPECT_THAT(log, HasSubstr("status=401 code=UNAUTHENTICATED"));
  EXPECT_THAT(log, HasSubstr("method=DELETE"));
  EXPECT_THAT(log, HasSubstr("attempt=3"));
  EXPECT_THAT(log, HasSubstr("status=- code=UNAVAILABLE"));
  EXPECT_THAT(log, Not(HasSubstr(kKey)));
  // 1 GET + 1 GET zone + 3 DELETE attempts + 3 refused attempts.
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 8);
}

TEST_F(HttpPdnsClientTest, CircuitOpensHalfOpensAndCloses) {
  std::atomic<int> hits{0};
  std::atomic<bool> healthy{false};
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            ++hits;
            if (healthy) {
              Reply(res, 200, kServerJson);
            } else {
              Reply(res, 500, "");
            }
          });
  });
  ClientOptions options = Options();
  options.retry.max_attempts = 1;
  auto client = Client(peer.url(), options);

  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client->GetServerInfo(ctx_).status().code(),
              absl::StatusCode::kUnavailable);
  }
  EXPECT_EQ(hits.load(), 5);
  EXPECT_EQ(client->stats().circuit, CircuitBreaker::State::kOpen);

  // Open: fails fast, the server is not asked.
  absl::Status open = client->GetServerInfo(ctx_).status();
  EXPECT_EQ(open.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(open.message(), HasSubstr("circuit breaker is open"));
  EXPECT_THAT(open.message(), HasSubstr("ns-test"));
  EXPECT_EQ(hits.load(), 5);

  // Still open just before the cool-down ends.
  clock_->Advance(absl::Seconds(29));
  EXPECT_FALSE(client->GetServerInfo(ctx_).ok());
  EXPECT_EQ(hits.load(), 5);

  // Half-open: one probe goes out; it fails, so the circuit opens again.
  clock_->Advance(absl::Seconds(1));
  EXPECT_FALSE(client->GetServerInfo(ctx_).ok());
  EXPECT_EQ(hits.load(), 6);
  EXPECT_FALSE(client->GetServerInfo(ctx_).ok());
  EXPECT_EQ(hits.load(), 6);

  // Next probe succeeds: closed, traffic flows again.
  healthy = true;
  clock_->Advance(absl::Seconds(30));
  EXPECT_TRUE(client->GetServerInfo(ctx_).ok());
  EXPECT_EQ(client->stats().circuit, CircuitBreaker::State::kClosed);
  EXPECT_TRUE(client->GetServerInfo(ctx_).ok());
  EXPECT_EQ(hits.load(), 8);
}

TEST_F(HttpPdnsClientTest, ClientErrorsDoNotOpenTheCircuit) {
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost/zones/.*",
          [&](const httplib::Request&, httplib::Response& res) {
            Reply(res, 404, "");
          });
  });
  auto client = Client(peer.url());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(client->GetZone(ctx_, "x.example.").status().code(),
              absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(client->stats().circuit, CircuitBreaker::State::kClosed);
}

TEST_F(HttpPdnsClientTest, NeverExceedsTheInFlightBound) {
  ConcurrencyGauge gauge;
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            gauge.Enter();
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
            gauge.Leave();
            Reply(res, 200, kServerJson);
          });
  });
  ClientOptions options = Options();
  options.max_in_flight = 4;
  auto client = Client(peer.url(), options);
  std::vector<std::future<absl::StatusOr<ServerInfo>>> calls;
  for (int i = 0; i < 24; ++i) calls.push_back(client->AsyncGetServerInfo(ctx_));
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  EXPECT_LE(gauge.peak(), 4);
  EXPECT_GE(gauge.peak(), 2);  // the bound is a bound, not serialisation
}

TEST_F(HttpPdnsClientTest, DefaultInFlightBoundIsEight) {
  ConcurrencyGauge gauge;
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            gauge.Enter();
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
            gauge.Leave();
            Reply(res, 200, kServerJson);
          });
  });
  auto client = Client(peer.url());
  std::vector<std::future<absl::StatusOr<ServerInfo>>> calls;
  for (int i = 0; i < 32; ++i) calls.push_back(client->AsyncGetServerInfo(ctx_));
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  EXPECT_LE(gauge.peak(), 8);
}

TEST_F(HttpPdnsClientTest, WritesToOneZoneNeverOverlapAndKeepTheirOrder) {
  std::mutex mu;
  std::map<std::string, ConcurrencyGauge> per_zone;
  ConcurrencyGauge all;
  std::vector<std::string> order;
  TestPeer peer([&](httplib::Server& s) {
    s.Patch("/api/v1/servers/localhost/zones/(.*)",
            [&](const httplib::Request& req, httplib::Response& res) {
              ConcurrencyGauge* zone;
              {
                std::lock_guard<std::mutex> lock(mu);
                zone = &per_zone[req.matches[1]];
                order.push_back(req.matches[1].str() + " " +
                                nlohmann::json::parse(req.body)["rrsets"][0]
                                                    ["records"][0]["content"]
                                    .get<std::string>());
              }
              zone->Enter();
              all.Enter();
              std::this_thread::sleep_for(std::chrono::milliseconds(25));
              all.Leave();
              zone->Leave();
              res.status = 204;
            });
  });
  auto client = Client(peer.url());
  auto change = [](const std::string& zone, int i) {
    return std::vector<RRsetChange>{
        {ChangeType::kReplace,
         {"www." + zone, "A", 300, {{absl::StrCat("192.0.2.", i), false}}}}};
  };

  std::vector<std::future<absl::Status>> calls;
  for (int i = 0; i < 8; ++i) {
    calls.push_back(client->AsyncPatchRRsets(ctx_, "same.example.",
                                             change("same.example.", i)));
  }
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(per_zone["same.example."].peak(), 1);
    ASSERT_EQ(order.size(), 8u);
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(order[i], absl::StrCat("same.example. 192.0.2.", i));
    }
  }

  calls.clear();
  for (int i = 0; i < 8; ++i) {
    const std::string zone = absl::StrCat("z", i, ".example.");
    calls.push_back(client->AsyncPatchRRsets(ctx_, zone, change(zone, i)));
  }
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  EXPECT_GT(all.peak(), 1);  // different zones do run side by side
}

TEST_F(HttpPdnsClientTest, RateLimitSpacesCalls) {
  std::atomic<int> hits{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            ++hits;
            Reply(res, 200, kServerJson);
          });
  });
  ClientOptions options = Options();
  options.clock = nullptr;  // real time: the limiter must really wait
  options.rate_limit_qps = 20;
  options.rate_limit_burst = 1;
  auto client = Client(peer.url(), options);
  const absl::Time start = absl::Now();
  std::vector<std::future<absl::StatusOr<ServerInfo>>> calls;
  for (int i = 0; i < 6; ++i) calls.push_back(client->AsyncGetServerInfo(ctx_));
  for (auto& call : calls) EXPECT_TRUE(call.get().ok());
  // One token up front, then one per 50 ms: at least 5 intervals.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(240));
  EXPECT_EQ(hits.load(), 6);
}

TEST_F(HttpPdnsClientTest, DeadlineInThePastMakesNoCall) {
  std::atomic<int> hits{0};
  TestPeer peer([&](httplib::Server& s) {
    s.Get(".*", [&](const httplib::Request&, httplib::Response& res) {
      ++hits;
      Reply(res, 200, kServerJson);
    });
  });
  CallContext late = Context("late");
  late.deadline = clock_->Now() - absl::Seconds(1);
  EXPECT_EQ(Client(peer.url())->GetServerInfo(late).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(hits.load(), 0);
}

TEST_F(HttpPdnsClientTest, QueueBeyondItsBoundIsResourceExhausted) {
  TestPeer peer([&](httplib::Server& s) {
    s.Get("/api/v1/servers/localhost",
          [&](const httplib::Request&, httplib::Response& res) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            Reply(res, 200, kServerJson);
          });
  });
  ClientOptions options = Options();
  options.max_in_flight = 1;
  options.max_queued = 1;
  auto client = Client(peer.url(), options);
  auto running = client->AsyncGetServerInfo(ctx_);
  auto waiting = client->AsyncGetServerInfo(ctx_);
  auto refused = client->AsyncGetServerInfo(ctx_);
  EXPECT_EQ(refused.get().status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(running.get().ok());
  EXPECT_TRUE(waiting.get().ok());
}

}  // namespace
}  // namespace dns::pdns
