// The HTTP implementation of PdnsClient (see pdns_client.h).
//
// A call's life: admission (CallScheduler: per-server bound, per-zone write
// order) → executor thread → for each attempt: rate limit, circuit breaker,
// one HTTP exchange on a pooled httplib::Client, one log line → retry with
// backoff while the failure is transient and the call may be repeated.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <mutex>
#include <cmath>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "client/call_scheduler.h"
#include "client/circuit_breaker.h"
#include "client/pdns_client.h"
#include "client/pdns_json.h"
#include "client/pdns_status.h"
#include "client/token_bucket.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace dns::pdns {
namespace {

constexpr char kServerPath[] = "/api/v1/servers/localhost";
constexpr char kZonesPath[] = "/api/v1/servers/localhost/zones";
// Bodies above this may have met PowerDNS's webserver-max-bodysize.
constexpr size_t kLargeBodyBytes = 512 * 1024;

struct ParsedUrl {
  std::string scheme_host_port;  // what httplib::Client takes
  std::string prefix;            // path prefix before /api/v1, may be empty
};

absl::StatusOr<ParsedUrl> ParseApiUrl(absl::string_view url) {
  const size_t sep = url.find("://");
  if (sep == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("api_url \"", url, "\" must start with http:// or https://"));
  }
  const std::string scheme = absl::AsciiStrToLower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("api_url \"", url, "\": unsupported scheme ", scheme));
  }
  absl::string_view rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  const absl::string_view host_port = rest.substr(0, slash);
  if (host_port.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("api_url \"", url, "\" has no host"));
  }
  std::string prefix(slash == absl::string_view::npos ? "" : rest.substr(slash));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (absl::EndsWith(prefix, "/api/v1")) {
    prefix.resize(prefix.size() - 7);
  }
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return ParsedUrl{absl::StrCat(scheme, "://", host_port), std::move(prefix)};
}

std::string ZonePath(const std::string& zone) {
  return absl::StrCat(kZonesPath, "/", ZoneIdFromName(zone));
}

// Writes to one zone are ordered per server under this key.
std::string ZoneKey(const std::string& zone) {
  return absl::AsciiStrToLower(Absolute(zone));
}

struct HttpRequest {
  const char* method;
  std::string path;  // below the URL prefix, with the query string
  std::string body;
  // Whether repeating the request cannot change the outcome.
  bool idempotent;
};

struct HttpOutcome {
  absl::Status status;
  int http_status = 0;  // 0: no HTTP answer
  std::string body;
  // The server may have acted on some attempt (it answered, or the request
  // went out and no answer came back).
  bool maybe_applied = false;
};

// What a request does, for metrics: a small fixed set of names.
const char* OperationOf(const HttpRequest& req) {
  absl::string_view path = req.path;
  const absl::string_view method = req.method;
  if (path == kServerPath) return "server_info";
  if (absl::StrContains(path, "/statistics")) return "statistics";
  if (absl::StrContains(path, "/cache/flush")) return "flush_cache";
  if (!absl::ConsumePrefix(&path, kZonesPath)) return "other";
  if (path.empty() || path.front() == '?') return method == "POST" ? "create_zone" : "list_zones";
  if (absl::EndsWith(path, "/notify")) return "notify";
  if (absl::EndsWith(path, "/rectify")) return "rectify";
  if (absl::EndsWith(path, "/export")) return "export_zone";
  if (method == "GET") return "get_zone";
  if (method == "PATCH") return "patch_rrsets";
  if (method == "DELETE") return "delete_zone";
  if (method == "PUT") return "update_zone";
  return "other";
}

// Connect-level failures: the request never left, so even a POST may retry.
bool NeverSent(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
    case httplib::Error::BindIPAddress:
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
    case httplib::Error::ConnectionTimeout:
      return true;
    default:
      return false;
  }
}

std::string DescribeError(httplib::Error error, absl::Duration connect_timeout,
                          absl::Duration read_timeout) {
  switch (error) {
    case httplib::Error::Connection:
      return absl::StrCat("cannot connect (refused, unreachable or no answer within ",
                          absl::FormatDuration(connect_timeout), ")");
    case httplib::Error::ConnectionTimeout:
      return absl::StrCat("connect timed out after ",
                          absl::FormatDuration(connect_timeout));
    case httplib::Error::Read:
      return absl::StrCat(
          "no response (connection closed or read timed out after ",
          absl::FormatDuration(read_timeout), ")");
    case httplib::Error::Write:
      return "sending the request failed";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
      return "TLS certificate verification failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load CA certificates";
    case httplib::Error::Canceled:
      return "request canceled";
    default:
      return absl::StrCat("transport error: ", httplib::to_string(error));
  }
}

std::chrono::microseconds ToChrono(absl::Duration d) {
  return std::chrono::microseconds(
      std::max<int64_t>(1000, absl::ToInt64Microseconds(d)));
}

template <typename T>
absl::StatusOr<T> Prefixed(absl::StatusOr<T> result, absl::string_view where) {
  if (result.ok()) return result;
  return absl::Status(result.status().code(),
                      absl::StrCat(where, ": ", result.status().message()));
}

class HttpPdnsClient final
    : public PdnsClient,
      public std::enable_shared_from_this<HttpPdnsClient> {
 public:
  HttpPdnsClient(ServerConfig config, ParsedUrl url, ClientOptions options,
                 Executor& executor)
      : config_(std::move(config)),
        url_(std::move(url)),
        options_(std::move(options)),
        clock_(options_.clock ? options_.clock : RealClock()),
        scheduler_(executor, options_.max_in_flight, options_.max_queued),
        breaker_(options_.circuit_breaker, clock_),
        bucket_(options_.rate_limit_qps, options_.rate_limit_burst, clock_) {}

  const std::string& server_name() const override { return config_.name; }

  ClientStats stats() override {
    return ClientStats{scheduler_.in_flight(), scheduler_.queued(), scheduler_.limit(),
                       breaker_.state(), breaker_.consecutive_failures()};
  }

  std::future<absl::StatusOr<ServerInfo>> AsyncGetServerInfo(
      const CallContext& ctx) override {
    return Run<absl::StatusOr<ServerInfo>>(
        ctx, "", [this](const CallContext& c) -> absl::StatusOr<ServerInfo> {
          HttpRequest req{"GET", kServerPath, "", true};
          HttpOutcome out = Execute(c, req);
          if (!out.status.ok()) return out.status;
          return Prefixed(ParseServerInfo(out.body), Where(req));
        });
  }

  std::future<absl::StatusOr<Statistics>> AsyncGetStatistics(
      const CallContext& ctx) override {
    return Run<absl::StatusOr<Statistics>>(
        ctx, "", [this](const CallContext& c) -> absl::StatusOr<Statistics> {
          HttpRequest req{
              "GET", absl::StrCat(kServerPath, "/statistics?includerings=false"),
              "", true};
          HttpOutcome out = Execute(c, req);
          if (!out.status.ok()) return out.status;
          return Prefixed(ParseStatistics(out.body), Where(req));
        });
  }

  std::future<absl::StatusOr<std::vector<ZoneInfo>>> AsyncListZones(
      const CallContext& ctx) override {
    return Run<absl::StatusOr<std::vector<ZoneInfo>>>(
        ctx, "",
        [this](const CallContext& c) -> absl::StatusOr<std::vector<ZoneInfo>> {
          // dnssec=false: about 10x faster on servers with many zones.
          HttpRequest req{"GET", absl::StrCat(kZonesPath, "?dnssec=false"), "",
                          true};
          HttpOutcome out = Execute(c, req);
          if (!out.status.ok()) return out.status;
          return Prefixed(ParseZoneList(out.body), Where(req));
        });
  }

  std::future<absl::StatusOr<ZoneInfo>> AsyncGetZone(
      const CallContext& ctx, const std::string& zone) override {
    return Run<absl::StatusOr<ZoneInfo>>(
        ctx, "", [this, zone](const CallContext& c) { return GetZoneNow(c, zone); });
  }

  std::future<absl::StatusOr<ZoneInfo>> AsyncCreateZone(
      const CallContext& ctx, const CreateZoneRequest& request) override {
    return Run<absl::StatusOr<ZoneInfo>>(
        ctx, ZoneKey(request.name),
        [this, request](const CallContext& c) -> absl::StatusOr<ZoneInfo> {
          CreateZoneBodies bodies = EncodeCreateZoneBodies(request, MaxBodyBytes());
          absl::StatusOr<ZoneInfo> created = PostZone(c, request.name, std::move(bodies.post));
          if (!created.ok() || bodies.patches.empty()) return created;
          // Too big for one request: the rest of the zone follows in order.
          // The answer stays the POST's: reading a zone this big back would
          // cost more than sending it.
          absl::Status rest = SendPatches(c, request.name, bodies.patches);
          if (!rest.ok()) return rest;
          return created;
        });
  }

  std::future<absl::Status> AsyncDeleteZone(const CallContext& ctx,
                                            const std::string& zone) override {
    return Run<absl::Status>(ctx, ZoneKey(zone),
                             [this, zone](const CallContext& c) {
                               HttpRequest req{"DELETE", ZonePath(zone), "", true};
                               return Execute(c, req).status;
                             });
  }

  std::future<absl::Status> AsyncPatchRRsets(
      const CallContext& ctx, const std::string& zone,
      const std::vector<RRsetChange>& changes) override {
    if (changes.empty()) {
      // Under some SOA-EDIT-API settings even an empty PATCH bumps the serial.
      std::promise<absl::Status> done;
      done.set_value(absl::OkStatus());
      return done.get_future();
    }
    // REPLACE and DELETE of whole RRsets: applying twice gives the same zone.
    return Run<absl::Status>(
        ctx, ZoneKey(zone),
        [this, zone, bodies = EncodePatchRRsetsBodies(changes, MaxBodyBytes())](
            const CallContext& c) { return SendPatches(c, zone, bodies); });
  }

  std::future<absl::StatusOr<int64_t>> AsyncFlushCache(
      const CallContext& ctx, const std::string& zone) override {
    return Run<absl::StatusOr<int64_t>>(
        ctx, "", [this, zone](const CallContext& c) -> absl::StatusOr<int64_t> {
          HttpRequest req{"PUT",
                          absl::StrCat(kServerPath, "/cache/flush?domain=",
                                       UrlEncode(Absolute(zone))),
                          "", true};
          HttpOutcome out = Execute(c, req);
          if (!out.status.ok()) return out.status;
          return Prefixed(ParseFlushCount(out.body), Where(req));
        });
  }

  std::future<absl::Status> AsyncNotifyZone(const CallContext& ctx,
                                            const std::string& zone) override {
    return Run<absl::Status>(ctx, "", [this, zone](const CallContext& c) {
      HttpRequest req{"PUT", absl::StrCat(ZonePath(zone), "/notify"), "", true};
      return Execute(c, req).status;
    });
  }

  std::future<absl::Status> AsyncUpdateZoneAttributes(const CallContext& ctx,
                                                      const std::string& zone,
                                                      const ZoneAttributes& attrs) override {
    // A write to the zone: ordered with its PATCHes; repeating it is harmless.
    return Run<absl::Status>(ctx, ZoneKey(zone),
                             [this, zone, body = EncodeZoneAttributes(attrs)](const CallContext& c) {
                               HttpRequest req{"PUT", ZonePath(zone), body, true};
                               return Execute(c, req).status;
                             });
  }

  std::future<absl::Status> AsyncRectifyZone(const CallContext& ctx,
                                             const std::string& zone) override {
    // Rectify rewrites ordername/auth rows: a write, ordered with PATCHes.
    return Run<absl::Status>(ctx, ZoneKey(zone),
                             [this, zone](const CallContext& c) {
                               HttpRequest req{
                                   "PUT", absl::StrCat(ZonePath(zone), "/rectify"),
                                   "", true};
                               return Execute(c, req).status;
                             });
  }

  std::future<absl::StatusOr<std::string>> AsyncExportZone(
      const CallContext& ctx, const std::string& zone) override {
    return Run<absl::StatusOr<std::string>>(
        ctx, "",
        [this, zone](const CallContext& c) -> absl::StatusOr<std::string> {
          HttpRequest req{"GET", absl::StrCat(ZonePath(zone), "/export"), "",
                          true};
          HttpOutcome out = Execute(c, req);
          if (!out.status.ok()) return out.status;
          return ParseExport(out.body);
        });
  }

 private:
  // Queues `body` behind the server's admission control and runs it on the
  // executor. R is absl::Status or absl::StatusOr<T>.
  template <typename R>
  std::future<R> Run(const CallContext& ctx, std::string zone_key,
                     absl::AnyInvocable<R(const CallContext&)> body) {
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> future = promise->get_future();
    if (clock_->Now() >= ctx.deadline) {
      promise->set_value(R(absl::DeadlineExceededError(absl::StrCat(
          "pdns server ", config_.name, ": deadline passed before the call"))));
      return future;
    }
    scheduler_.Submit(
        std::move(zone_key),
        [self = shared_from_this(), ctx, body = std::move(body),
         promise](absl::Status admitted) mutable {
          if (!admitted.ok()) {
            promise->set_value(R(absl::Status(
                admitted.code(), absl::StrCat("pdns server ", self->config_.name,
                                              ": ", admitted.message()))));
            return;
          }
          try {
            promise->set_value(body(ctx));
          } catch (const std::exception& e) {
            promise->set_value(R(absl::InternalError(absl::StrCat(
                "pdns server ", self->config_.name, ": ", e.what()))));
          }
        });
    return future;
  }

  size_t MaxBodyBytes() const {
    // Below this a body cannot hold one RRset of any size the service
    // accepts, and every RRset would travel alone.
    return std::max<size_t>(options_.max_body_bytes, 4096);
  }

  // The POST of a new zone, with the resolution of ambiguous outcomes.
  absl::StatusOr<ZoneInfo> PostZone(const CallContext& c, const std::string& zone,
                                    std::string body) {
    HttpRequest req{"POST", kZonesPath, std::move(body), /*idempotent=*/false};
    HttpOutcome out = Execute(c, req);
    if (out.status.ok()) {
      absl::StatusOr<ZoneInfo> created = ParseZone(out.body);
      if (created.ok()) return created;
      // Created, but the body is unusable: read the zone back.
      return GetZoneNow(c, zone);
    }
    if (out.status.code() != absl::StatusCode::kUnavailable || !out.maybe_applied) {
      return out.status;
    }
    // A 500 or a lost answer leaves it open whether the zone was made
    // (parallel creates of one zone end in 201, 409 or 500). Ask.
    absl::StatusOr<ZoneInfo> existing = GetZoneNow(c, zone);
    if (existing.ok()) {
      Log(Logger(), spdlog::level::warn, "pdns_create_ambiguous",
          {{"server", config_.name},
           {"zone", Absolute(zone)},
           {"request_id", RequestIdForLog(c)},
           {"outcome", Redact(std::string(out.status.message()))},
           {"resolution", "zone_exists"}});
      return existing;
    }
    if (existing.status().code() == absl::StatusCode::kNotFound) {
      return absl::UnavailableError(
          absl::StrCat(out.status.message(), " (the zone was not created; safe to retry)"));
    }
    return absl::UnavailableError(absl::StrCat(out.status.message(),
                                               " (whether the zone was created is unknown: ",
                                               existing.status().message(), ")"));
  }

  // PATCH bodies in order; stops at the first failure, saying how far it got.
  absl::Status SendPatches(const CallContext& c, const std::string& zone,
                           const std::vector<std::string>& bodies) {
    for (size_t i = 0; i < bodies.size(); ++i) {
      HttpRequest req{"PATCH", ZonePath(zone), bodies[i], true};
      absl::Status st = Execute(c, req).status;
      if (st.ok()) continue;
      if (bodies.size() == 1) return st;
      return absl::Status(st.code(), absl::StrCat(st.message(), " (part ", i + 1, " of ",
                                                  bodies.size(), " of the change)"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ZoneInfo> GetZoneNow(const CallContext& ctx,
                                      const std::string& zone) {
    HttpRequest req{"GET", ZonePath(zone), "", true};
    HttpOutcome out = Execute(ctx, req);
    if (!out.status.ok()) return out.status;
    return Prefixed(ParseZone(out.body), Where(req));
  }

  void Abort() override {
    absl::MutexLock lock(&http_mu_);
    aborted_ = true;
    // Shutting a socket down is the one thing httplib allows from another
    // thread: the request on it fails at once.
    for (httplib::Client* http : in_use_) http->stop();
  }

  // All attempts of one request.
  HttpOutcome Execute(const CallContext& ctx, const HttpRequest& req) {
    const int max_attempts = std::max(1, options_.retry.max_attempts);
    bool maybe_applied = false;
    HttpOutcome last;
    for (int attempt = 1;; ++attempt) {
      if (Aborted()) {
        HttpOutcome out;
        out.status = absl::CancelledError(
            absl::StrCat(Where(req), ": abandoned, the service is shutting down"));
        out.maybe_applied = maybe_applied;
        return out;
      }
      if (clock_->Now() >= ctx.deadline) {
        if (attempt == 1) {
          last.status = absl::DeadlineExceededError(
              absl::StrCat(Where(req), ": deadline passed before the call"));
        }
        last.maybe_applied = maybe_applied;
        return last;
      }
      // Rate limit before the breaker: a half-open probe, once granted,
      // must go out at once and report back.
      if (absl::Status s = bucket_.Acquire(ctx.deadline); !s.ok()) {
        HttpOutcome out;
        out.status = attempt == 1 ? absl::Status(s.code(), absl::StrCat(
                                                               Where(req), ": ",
                                                               s.message()))
                                  : last.status;
        out.maybe_applied = maybe_applied;
        return out;
      }
      if (absl::Status s = breaker_.Allow(); !s.ok()) {
        HttpOutcome out;
        out.status = absl::UnavailableError(
            absl::StrCat(Where(req), ": ", s.message()));
        out.maybe_applied = maybe_applied;
        LogCall(ctx, req, attempt, out, absl::ZeroDuration(), s.message());
        return out;
      }
      bool sent = false;
      HttpOutcome out = AttemptOnce(ctx, req, attempt, &sent);
      maybe_applied = maybe_applied || sent;
      out.maybe_applied = maybe_applied;
      if (out.http_status == 0 || IsServerFailure(out.http_status)) {
        breaker_.RecordFailure(std::string(
            absl::StripPrefix(out.status.message(), absl::StrCat(Where(req), ": "))));
      } else {
        breaker_.RecordSuccess();
      }
      if (out.http_status != 0) scheduler_.Report(IsServerFailure(out.http_status));
      if (out.status.code() != absl::StatusCode::kUnavailable) return out;
      const bool may_repeat = req.idempotent || !sent;
      if (!may_repeat || attempt >= max_attempts) return out;
      const absl::Duration wait = Backoff(attempt);
      if (clock_->Now() + wait >= ctx.deadline) return out;
      last = std::move(out);
      clock_->SleepFor(wait);
    }
  }

  // One HTTP exchange. `sent` says whether the request may have reached the
  // server.
  HttpOutcome AttemptOnce(const CallContext& ctx, const HttpRequest& req,
                          int attempt, bool* sent) {
    std::unique_ptr<httplib::Client> http = AcquireHttp();
    const absl::Duration remaining = ctx.deadline - clock_->Now();
    const absl::Duration connect_timeout =
        std::min(options_.connect_timeout, remaining);
    const absl::Duration read_timeout = std::min(options_.read_timeout, remaining);
    http->set_connection_timeout(ToChrono(connect_timeout));
    http->set_read_timeout(ToChrono(read_timeout));
    http->set_write_timeout(
        ToChrono(std::min(options_.write_timeout, remaining)));

    httplib::Request request;
    request.method = req.method;
    request.path = url_.prefix + req.path;
    request.headers = {
        {"X-API-Key", config_.api_key},
        {"Accept", "application/json"},
        // PowerDNS does not implement 100-continue; an empty Expect keeps
        // any client layer from waiting for it.
        {"Expect", ""},
        {"User-Agent", options_.user_agent},
    };
    if (!ctx.request_id.empty()) {
      request.headers.emplace("X-Request-Id", ctx.request_id);
    }
    if (!req.body.empty()) {
      request.headers.emplace("Content-Type", "application/json");
      request.body = req.body;
    }

    const auto start = std::chrono::steady_clock::now();
    httplib::Result result = http->send(request);
    const absl::Duration elapsed =
        absl::FromChrono(std::chrono::steady_clock::now() - start);

    HttpOutcome out;
    std::string detail;
    if (!result) {
      const httplib::Error error = result.error();
      *sent = !NeverSent(error);
      detail = DescribeError(error, connect_timeout, read_timeout);
      out.status = absl::UnavailableError(absl::StrCat(Where(req), ": ", detail));
      // The connection's state is unknown; do not hand it to the next call.
      DropHttp(std::move(http));
    } else {
      *sent = true;
      out.http_status = result->status;
      out.body = std::move(result->body);
      out.status = StatusFromHttp(out.http_status, out.body, Where(req));
      if (!out.status.ok()) {
        std::string message = Redact(std::string(out.status.message()));
        if ((out.http_status == 400 || out.http_status == 413) &&
            req.body.size() > kLargeBodyBytes) {
          // PowerDNS answers an oversized body with a bare 400.
          absl::StrAppend(&message, " (the request body was ", req.body.size(),
                          " bytes; PowerDNS refuses bodies over its webserver-max-bodysize, "
                          "2 MB by default: lower --pdns_max_body_bytes or raise that setting)");
        }
        out.status = absl::Status(out.status.code(), message);
        detail = Redact(ErrorTextFromBody(out.body));
      }
      ReleaseHttp(std::move(http));
    }
    LogCall(ctx, req, attempt, out, elapsed, detail);
    return out;
  }

  absl::Duration Backoff(int attempt) {
    const RetryOptions& r = options_.retry;
    absl::Duration cap = r.initial_backoff *
                         std::pow(std::max(1.0, r.multiplier), attempt - 1);
    cap = std::min(cap, r.max_backoff);
    // Half fixed, half random: spreads retries of many callers that failed
    // together without ever retrying immediately.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return cap * jitter(rng);
  }

  bool Aborted() {
    absl::MutexLock lock(&http_mu_);
    return aborted_;
  }

  std::unique_ptr<httplib::Client> AcquireHttp() {
    {
      absl::MutexLock lock(&http_mu_);
      if (!idle_.empty()) {
        std::unique_ptr<httplib::Client> http = std::move(idle_.back());
        idle_.pop_back();
        in_use_.insert(http.get());
        return http;
      }
    }
    auto http = std::make_unique<httplib::Client>(url_.scheme_host_port);
    http->set_keep_alive(options_.keep_alive);
    http->set_follow_location(false);
    // Paths are built percent-encoded here; a second encoding would break
    // them.
    http->set_url_encode(false);
    http->set_tcp_nodelay(true);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    http->enable_server_certificate_verification(options_.verify_tls);
    if (!options_.ca_cert_path.empty()) {
      http->set_ca_cert_path(options_.ca_cert_path);
    }
#endif
    absl::MutexLock lock(&http_mu_);
    in_use_.insert(http.get());
    return http;
  }

  void ReleaseHttp(std::unique_ptr<httplib::Client> http) {
    absl::MutexLock lock(&http_mu_);
    in_use_.erase(http.get());
    if (!aborted_ && idle_.size() < static_cast<size_t>(std::max(1, options_.max_in_flight))) {
      idle_.push_back(std::move(http));
    }
  }

  // A client whose exchange failed: not reused.
  void DropHttp(std::unique_ptr<httplib::Client> http) {
    absl::MutexLock lock(&http_mu_);
    in_use_.erase(http.get());
  }

  void LogCall(const CallContext& ctx, const HttpRequest& req, int attempt,
               const HttpOutcome& out, absl::Duration elapsed,
               absl::string_view detail) {
    if (options_.observer) {
      options_.observer(config_.name, OperationOf(req), out.status.code(), elapsed);
    }
    const auto level =
        out.status.code() == absl::StatusCode::kUnavailable ? spdlog::level::warn
                                                            : spdlog::level::info;
    spdlog::logger& logger = Logger();
    if (!logger.should_log(level)) return;
    const std::string status =
        out.http_status == 0 ? std::string("-") : std::to_string(out.http_status);
    const std::string code = absl::StatusCodeToString(out.status.code());
    const std::string ms = std::to_string(absl::ToInt64Milliseconds(elapsed));
    const std::string path = url_.prefix + req.path;
    if (detail.empty()) {
      Log(logger, level, "pdns_call",
          {{"server", config_.name}, {"method", req.method}, {"path", path}, {"status", status},
           {"code", code}, {"duration_ms", ms}, {"attempt", std::to_string(attempt)},
           {"request_id", RequestIdForLog(ctx)}});
    } else {
      Log(logger, level, "pdns_call",
          {{"server", config_.name}, {"method", req.method}, {"path", path}, {"status", status},
           {"code", code}, {"duration_ms", ms}, {"attempt", std::to_string(attempt)},
           {"request_id", RequestIdForLog(ctx)}, {"error", Redact(std::string(detail))}});
    }
  }

  spdlog::logger& Logger() {
    return options_.logger ? *options_.logger : *spdlog::default_logger_raw();
  }

  static std::string RequestIdForLog(const CallContext& ctx) {
    return ctx.request_id.empty() ? "-" : ctx.request_id;
  }

  std::string Where(const HttpRequest& req) const {
    return absl::StrCat("pdns server ", config_.name, ": ", req.method, " ",
                        url_.prefix, req.path);
  }

  // Belt and braces: nothing we print should ever contain the key, but an
  // error body could echo a header back.
  std::string Redact(std::string text) const {
    if (config_.api_key.size() >= 4) {
      absl::StrReplaceAll({{config_.api_key, "<redacted>"}}, &text);
    }
    return text;
  }

  const ServerConfig config_;
  const ParsedUrl url_;
  const ClientOptions options_;
  const std::shared_ptr<Clock> clock_;
  CallScheduler scheduler_;
  CircuitBreaker breaker_;
  TokenBucket bucket_;

  absl::Mutex http_mu_;
  // One httplib::Client serves one request at a time; idle ones wait here.
  std::vector<std::unique_ptr<httplib::Client>> idle_ ABSL_GUARDED_BY(http_mu_);
  // Those serving a request now (Abort stops them).
  absl::flat_hash_set<httplib::Client*> in_use_ ABSL_GUARDED_BY(http_mu_);
  bool aborted_ ABSL_GUARDED_BY(http_mu_) = false;
};

}  // namespace

absl::StatusOr<std::shared_ptr<PdnsClient>> MakeHttpPdnsClient(
    ServerConfig config, ClientOptions options, Executor& executor) {
  static std::once_flag sigpipe_ignored;
  std::call_once(sigpipe_ignored, [] { std::signal(SIGPIPE, SIG_IGN); });
  if (config.name.empty()) {
    return absl::InvalidArgumentError("pdns server config has no name");
  }
  absl::StatusOr<ParsedUrl> url = ParseApiUrl(config.api_url);
  if (!url.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pdns server ", config.name, ": ", url.status().message()));
  }
  return std::make_shared<HttpPdnsClient>(std::move(config), *std::move(url),
                                          std::move(options), executor);
}

}  // namespace dns::pdns
