#include "server/server_manager.h"

#include "common/host_port.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/domain/page_token.h"
#include "common/logging.h"
#include "common/status_details.h"

namespace dns {
namespace {

constexpr size_t kMaxApiKeyLength = 512;
constexpr size_t kMaxLocationLength = 128;
constexpr size_t kMaxUrlLength = 2048;
constexpr uint32_t kMaxCapacityQps = 10000000;
constexpr char kCheckFailed[] = "SERVER_CHECK_FAILED";

bool ValidPort(absl::string_view text) {
  int port = 0;
  return !text.empty() && text.size() <= 5 &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); }) &&
         absl::SimpleAtoi(text, &port) && port >= 1 && port <= 65535;
}

// A DNS host name (letters, digits, '-', '_', dots; labels 1-63) or an
// IPv4 literal.
bool ValidHost(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (std::all_of(host.begin(), host.end(),
                  [](char c) { return absl::ascii_isdigit(c) || c == '.'; })) {
    return IsIpv4Literal(host);
  }
  absl::ConsumeSuffix(&host, ".");
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == absl::string_view::npos) dot = host.size();
    absl::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_') return false;
    }
    start = dot + 1;
  }
  return true;
}

// Takes the key out of a message from below, in case it slipped in.
std::string Scrub(std::string message, absl::string_view key) {
  if (key.size() >= 4) absl::StrReplaceAll({{key, "<redacted>"}}, &message);
  return message;
}

const char* ModeName(ServerMode mode) {
  return mode == ServerMode::kSharedDb ? "SHARED_DB" : "API";
}

// The status of an INVALID_ARGUMENT on `from` moved to `to` (the store
// knows "etag", the API calls it "server.etag").
absl::Status RenameField(absl::Status status, const std::string& from, const std::string& to) {
  if (!absl::IsInvalidArgument(status)) return status;
  std::vector<FieldViolation> violations = ViolationsOf(status);
  bool renamed = false;
  for (auto& v : violations) {
    if (v.field == from) {
      v.field = to;
      renamed = true;
    }
  }
  return renamed ? InvalidFields(violations) : status;
}

}  // namespace

std::optional<std::string> CheckApiUrl(absl::string_view url, std::string* canonical) {
  constexpr char kExample[] = " (e.g. http://10.0.0.5:8081)";
  if (url.empty()) return absl::StrCat("is required", kExample);
  if (url.size() > kMaxUrlLength) {
    return absl::StrCat("must be at most ", kMaxUrlLength, " characters");
  }
  for (char c : url) {
    if (c <= ' ' || c == 0x7f) return "must not contain spaces or control characters";
  }
  std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  std::string scheme;
  if (absl::StartsWith(lower, "http://")) {
    scheme = "http";
  } else if (absl::StartsWith(lower, "https://")) {
    scheme = "https";
  } else {
    return absl::StrCat("must be an http:// or https:// URL", kExample);
  }
  absl::string_view rest = url.substr(scheme.size() + 3);
  size_t end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, end);
  absl::string_view tail = end == absl::string_view::npos ? "" : rest.substr(end);
  if (!tail.empty() && tail != "/") {
    return absl::StrCat(
        "must be the PowerDNS webserver's base URL, without path, query or fragment", kExample);
  }
  if (absl::StrContains(authority, "@")) return "must not carry user information ('user@')";
  std::string host;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos || !IsIpv6Literal(authority.substr(1, close - 1))) {
      return absl::StrCat("has a malformed [IPv6] host", kExample);
    }
    host = absl::AsciiStrToLower(authority.substr(0, close + 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::StrCat("has a malformed host", kExample);
      port = after.substr(1);
      if (!ValidPort(port)) return "has a port that is not 1-65535";
    }
  } else {
    size_t colon = authority.rfind(':');
    absl::string_view name = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port = authority.substr(colon + 1);
      if (!ValidPort(port)) return "has a port that is not 1-65535";
    }
    if (name.empty()) return absl::StrCat("has no host", kExample);
    if (!ValidHost(name)) return absl::StrCat("has a host that is not a DNS name or IP address",
                                             kExample);
    host = absl::AsciiStrToLower(name);
  }
  if (canonical != nullptr) {
    *canonical = absl::StrCat(scheme, "://", host, port.empty() ? "" : ":", port);
  }
  return std::nullopt;
}

std::optional<std::string> CheckApiKey(absl::string_view key) {
  // Never show the key (or any part of it) in the description.
  if (key.empty()) return "is required";
  if (key.size() > kMaxApiKeyLength) {
    return absl::StrCat("must be at most ", kMaxApiKeyLength, " characters");
  }
  for (char c : key) {
    if (c < '!' || c > '~') return "must be printable ASCII without spaces";
  }
  return std::nullopt;
}

std::optional<std::string> CheckDnsAddress(absl::string_view address) {
  constexpr char kRule[] =
      "must be IPv4:port or [IPv6]:port with a port 1-65535, e.g. 192.0.2.53:53 (an IP "
      "address: the service queries it over DNS)";
  if (address.empty()) return absl::StrCat("is required; ", kRule);
  if (!ParseIpHostPort(address)) return kRule;
  return std::nullopt;
}

std::optional<std::string> CheckLocation(absl::string_view location) {
  if (location.size() > kMaxLocationLength) {
    return absl::StrCat("must be at most ", kMaxLocationLength, " characters");
  }
  for (unsigned char c : location) {
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
  }
  if (absl::StripAsciiWhitespace(location).size() != location.size()) {
    return "must not start or end with whitespace";
  }
  return std::nullopt;
}

std::optional<std::string> CheckCapacity(uint32_t capacity_qps) {
  if (capacity_qps > kMaxCapacityQps) {
    return absl::StrCat("must be at most ", kMaxCapacityQps, " (0: unknown)");
  }
  return std::nullopt;
}

ServerManager::ServerManager(ServerStore& store, std::function<void()> on_change,
                             ServerCheckOptions options)
    : store_(store),
      on_change_(std::move(on_change)),
      options_(std::move(options)),
      executor_(Executor::Options{4, 256}) {}

ServerManager::~ServerManager() = default;

void ServerManager::Changed() {
  if (on_change_) on_change_();
}

absl::StatusOr<std::string> ServerManager::CheckApi(const Server& server,
                                                    const ServerCallOptions& call) {
  pdns::ClientOptions client_options;
  client_options.connect_timeout = options_.timeout;
  client_options.read_timeout = options_.timeout;
  client_options.write_timeout = options_.timeout;
  client_options.retry.max_attempts = 1;
  client_options.max_in_flight = 1;
  client_options.keep_alive = false;
  client_options.verify_tls = options_.verify_tls;
  client_options.ca_cert_path = options_.ca_cert_path;
  pdns::ServerConfig config{server.name, server.api_url, server.api_key};
  absl::StatusOr<std::shared_ptr<pdns::PdnsClient>> client =
      options_.client_factory ? options_.client_factory(config, client_options, executor_)
                              : pdns::MakeHttpPdnsClient(config, client_options, executor_);
  if (!client.ok()) {
    return InvalidField("server.api_url", Scrub(std::string(client.status().message()),
                                                server.api_key));
  }
  pdns::CallContext ctx;
  ctx.request_id = call.request_id;
  ctx.deadline = std::min(call.deadline, absl::Now() + options_.timeout);
  absl::StatusOr<pdns::ServerInfo> info = (*client)->GetServerInfo(ctx);
  client->reset();  // its calls are done: nothing runs on it any more
  const std::string where = absl::StrCat("server api check failed: PowerDNS at ", server.api_url);
  if (!info.ok()) {
    const std::string detail = Scrub(std::string(info.status().message()), server.api_key);
    std::string what;
    switch (info.status().code()) {
      case absl::StatusCode::kUnauthenticated:
        what = "answered 401 (bad API key?)";
        break;
      case absl::StatusCode::kPermissionDenied:
        what = "answered 403 (key refused, or webserver-allow-from excludes this service?)";
        break;
      case absl::StatusCode::kNotFound:
        what = "answered 404 (no PowerDNS API at this URL?)";
        break;
      case absl::StatusCode::kUnavailable:
      case absl::StatusCode::kDeadlineExceeded:
        what = absl::StrCat("is unreachable or did not answer within ",
                            absl::FormatDuration(options_.timeout),
                            " (not running, wrong address or port, or firewalled?)");
        break;
      default:
        what = "gave an unexpected answer";
    }
    const bool down = absl::IsUnavailable(info.status()) ||
                      absl::IsDeadlineExceeded(info.status());
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(
            where, " ", what, ": ", detail,
            down ? "; register with skip_check to add a server that is not up yet" : "")),
        kCheckFailed);
  }
  if (!info->daemon_type.empty() && info->daemon_type != "authoritative") {
    return WithReason(
        absl::FailedPreconditionError(absl::StrCat(where, " is a PowerDNS ", info->daemon_type,
                                                   ", not an Authoritative Server")),
        kCheckFailed);
  }
  return info->version;
}

absl::StatusOr<Server> ServerManager::RegisterServer(ServerRegistration reg,
                                                     const RequestKey& key,
                                                     const ServerCallOptions& call) {
  Server& server = reg.server;
  std::vector<FieldViolation> violations;
  if (auto bad = CheckServerName(server.name)) violations.push_back({"server.name", *bad});
  std::string url;
  if (auto bad = CheckApiUrl(server.api_url, &url)) {
    violations.push_back({"server.api_url", *bad});
  } else {
    server.api_url = url;
  }
  if (auto bad = CheckApiKey(server.api_key)) violations.push_back({"server.api_key", *bad});
  if (auto bad = CheckDnsAddress(server.dns_address)) {
    violations.push_back({"server.dns_address", *bad});
  }
  if (auto bad = CheckLocation(server.location)) violations.push_back({"server.location", *bad});
  if (auto bad = CheckCapacity(server.capacity_qps)) {
    violations.push_back({"server.capacity_qps", *bad});
  }
  if (!reg.mode) {
    violations.push_back({"server.mode", "must be SERVER_MODE_SHARED_DB or SERVER_MODE_API"});
  } else {
    server.mode = *reg.mode;
  }
  if (!violations.empty()) return InvalidFields(violations);

  server.status = ServerStatus::kUnspecified;
  server.version.clear();
  server.last_error.clear();
  server.last_check_time = absl::InfinitePast();
  if (!reg.skip_check) {
    // A name already taken is either a retry (the store replays it) or a
    // duplicate (the store refuses it): asking the API would prove nothing.
    absl::StatusOr<Server> existing = store_.GetServer(server.name);
    if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
    if (absl::IsNotFound(existing.status())) {
      absl::StatusOr<std::string> version = CheckApi(server, call);
      if (!version.ok()) {
        Log(spdlog::level::warn, "server registration refused",
            {{"request_id", call.request_id},
             {"server", server.name},
             {"api_url", server.api_url},
             {"error", std::string(version.status().message())}});
        return version.status();
      }
      server.version = *version;
      server.status = ServerStatus::kHealthy;
      server.last_check_time = absl::Now();
    }
  }
  absl::StatusOr<Server> stored = store_.RegisterServer(server, key);
  if (!stored.ok()) return stored.status();
  Log(spdlog::level::info, "server registered",
      {{"request_id", call.request_id},
       {"server", stored->name},
       {"api_url", stored->api_url},
       {"dns_address", stored->dns_address},
       {"mode", ModeName(stored->mode)},
       {"version", stored->version},
       {"checked", reg.skip_check ? "false" : "true"}});
  Changed();
  return WithCounts(std::move(stored));
}

absl::StatusOr<Server> ServerManager::GetServer(const std::string& name) {
  if (auto bad = CheckServerName(name)) return InvalidField("name", *bad);
  return WithCounts(store_.GetServer(name));
}

absl::StatusOr<Server> ServerManager::WithCounts(absl::StatusOr<Server> server) {
  if (!server.ok()) return server;
  std::vector<Server> one = {*std::move(server)};
  AddCounts(one);
  return std::move(one.front());
}

void ServerManager::AddCounts(std::vector<Server>& servers) {
  std::vector<std::string> names;
  for (const Server& s : servers) names.push_back(s.name);
  // The counts are a view: a failure to read them leaves them zero rather
  // than failing the read of the servers themselves.
  absl::StatusOr<std::map<std::string, PropagationCounts>> counts = store_.CountPropagation(names);
  if (!counts.ok()) return;
  for (Server& s : servers) {
    auto it = counts->find(s.name);
    if (it != counts->end()) s.propagation_counts = it->second;
  }
}

absl::StatusOr<ListResult<Server>> ServerManager::ListServers(const ListServersQuery& query) {
  absl::StatusOr<int> size = PageSize(query.page_size);
  if (!size.ok()) return InvalidField("page_size", std::string(size.status().message()));
  if (auto bad = CheckLocation(query.filter.location)) return InvalidField("location", *bad);
  const std::string fingerprint =
      FilterFingerprint({"servers", query.filter.location,
                         query.filter.mode ? ModeName(*query.filter.mode) : ""});
  absl::StatusOr<std::vector<std::string>> start = PageStart(query.page_token, fingerprint, 1);
  if (!start.ok()) return start.status();
  const std::string after = start->empty() ? "" : start->front();
  absl::StatusOr<Page<Server>> page = store_.ListServers(query.filter, after, *size);
  if (!page.ok()) return page.status();
  ListResult<Server> result{std::move(page->items), ""};
  AddCounts(result.items);
  if (page->more) {
    result.next_page_token = EncodePageToken({result.items.back().name}, fingerprint);
  }
  return result;
}

absl::StatusOr<Server> ServerManager::UpdateServer(const ServerPatch& patch,
                                                   const RequestKey& key,
                                                   const ServerCallOptions& call) {
  const Server& in = patch.server;
  if (auto bad = CheckServerName(in.name)) return InvalidField("server.name", *bad);
  if (patch.paths.empty()) {
    return InvalidField("update_mask", "name at least one field to update");
  }
  ServerUpdate update;
  std::vector<FieldViolation> violations;
  std::vector<std::string> changed;
  for (const std::string& path : patch.paths) {
    if (path == "api_url") {
      std::string url;
      if (auto bad = CheckApiUrl(in.api_url, &url)) {
        violations.push_back({"server.api_url", *bad});
      } else {
        update.api_url = url;
      }
    } else if (path == "api_key") {
      if (auto bad = CheckApiKey(in.api_key)) {
        violations.push_back({"server.api_key", *bad});
      } else {
        update.api_key = in.api_key;
      }
    } else if (path == "dns_address") {
      if (auto bad = CheckDnsAddress(in.dns_address)) {
        violations.push_back({"server.dns_address", *bad});
      } else {
        update.dns_address = in.dns_address;
      }
    } else if (path == "location") {
      if (auto bad = CheckLocation(in.location)) {
        violations.push_back({"server.location", *bad});
      } else {
        update.location = in.location;
      }
    } else if (path == "capacity_qps") {
      if (auto bad = CheckCapacity(in.capacity_qps)) {
        violations.push_back({"server.capacity_qps", *bad});
      } else {
        update.capacity_qps = in.capacity_qps;
      }
    } else if (path == "maintenance") {
      update.maintenance = in.maintenance;
    } else {
      return InvalidField("update_mask",
                          absl::StrCat("'", path,
                                       "' cannot be updated (api_url, api_key, dns_address, "
                                       "location, capacity_qps, maintenance)"));
    }
    changed.push_back(path);
  }
  if (!violations.empty()) return InvalidFields(violations);

  // Leaving maintenance is only known against the stored state.
  bool was_maintenance = false;
  if (update.maintenance && !*update.maintenance) {
    absl::StatusOr<Server> current = store_.GetServer(in.name);
    if (!current.ok()) return current.status();
    was_maintenance = current->maintenance;
  }
  absl::StatusOr<Server> updated = store_.UpdateServer(in.name, update, in.etag, key);
  if (!updated.ok()) return RenameField(updated.status(), "etag", "server.etag");
  Log(spdlog::level::info, "server updated",
      {{"request_id", call.request_id},
       {"server", updated->name},
       {"fields", absl::StrJoin(changed, ",")},
       {"maintenance", updated->maintenance ? "true" : "false"}});
  Changed();
  const bool reaches_differently = update.api_url.has_value() || update.api_key.has_value();
  if (!updated->maintenance && (reaches_differently || was_maintenance)) {
    return WithCounts(Recheck(*std::move(updated), call));
  }
  return WithCounts(std::move(updated));
}

absl::StatusOr<Server> ServerManager::Recheck(Server server, const ServerCallOptions& call) {
  // The store returns no key: take it from where the service keeps it.
  absl::StatusOr<std::vector<Server>> with_keys = store_.ListServersWithKeys();
  if (!with_keys.ok()) return server;
  auto it = std::find_if(with_keys->begin(), with_keys->end(),
                         [&](const Server& s) { return s.name == server.name; });
  if (it == with_keys->end()) return server;
  absl::StatusOr<std::string> version = CheckApi(*it, call);
  ServerCheck check;
  check.time = absl::Now();
  if (version.ok()) {
    check.status = ServerStatus::kHealthy;
    check.version = *version;
  } else {
    check.status = ServerStatus::kUnavailable;
    check.last_error = std::string(version.status().message());
    Log(spdlog::level::warn, "server check after update failed",
        {{"request_id", call.request_id},
         {"server", server.name},
         {"error", check.last_error}});
  }
  if (!store_.RecordCheck(server.name, check).ok()) return server;
  absl::StatusOr<Server> now = store_.GetServer(server.name);
  return now.ok() ? *std::move(now) : server;
}

absl::Status ServerManager::DeregisterServer(const std::string& name, bool allow_missing,
                                             const WriteOrigin& origin) {
  if (auto bad = CheckServerName(name)) return InvalidField("name", *bad);
  absl::Status status = store_.DeregisterServer(name, origin);
  if (allow_missing && absl::IsNotFound(status)) return absl::OkStatus();
  if (!status.ok()) return status;
  Log(spdlog::level::info, "server deregistered", {{"server", name}});
  Changed();
  return status;
}

}  // namespace dns
