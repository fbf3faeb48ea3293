#include "server/auth/authenticator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_details.h"
#include "server/auth/method_roles.h"
#include "server/auth/token_secret.h"

namespace dns {
namespace {

absl::Status Unauthenticated(absl::string_view why) {
  return WithReason(absl::UnauthenticatedError(why), "UNAUTHENTICATED");
}

}  // namespace

Authenticator::Authenticator(TokenStore* store, AuthOptions options,
                             std::shared_ptr<Clock> clock)
    : store_(store), options_(options), clock_(std::move(clock)) {}

void Authenticator::Invalidate() {
  absl::MutexLock lock(&mu_);
  cache_.clear();
  ++generation_;
}

absl::StatusOr<TokenInfo> Authenticator::Lookup(const std::string& digest) {
  const absl::Time now = clock_->Now();
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(digest);
    if (it != cache_.end()) {
      const absl::Duration ttl = it->second.token ? options_.cache_ttl : options_.negative_ttl;
      if (now - it->second.loaded < ttl) {
        if (!it->second.token) return absl::NotFoundError("unknown");
        return *it->second.token;
      }
    }
    generation = generation_;
  }
  absl::StatusOr<TokenInfo> found = store_->FindToken(digest);
  if (!found.ok() && !absl::IsNotFound(found.status())) return found.status();
  absl::MutexLock lock(&mu_);
  if (generation == generation_) {
    if (cache_.size() >= options_.max_cached) cache_.clear();
    Entry& e = cache_[digest];
    e.token = found.ok() ? std::optional<TokenInfo>(*found) : std::nullopt;
    e.loaded = now;
  }
  return found;
}

absl::Status Authenticator::Admit(const std::string& token) {
  if (options_.rate_limit_qps <= 0) return absl::OkStatus();
  TokenBucket* bucket;
  {
    absl::MutexLock lock(&mu_);
    std::unique_ptr<TokenBucket>& b = buckets_[token];
    if (!b) {
      b = std::make_unique<TokenBucket>(options_.rate_limit_qps,
                                        std::max(1.0, options_.rate_limit_burst), clock_);
    }
    bucket = b.get();
  }
  const absl::Duration wait = bucket->TryTake();
  if (wait <= absl::ZeroDuration()) return absl::OkStatus();
  // Whole milliseconds, rounded up: a client that waits this long is let in.
  const absl::Duration retry = absl::Ceil(wait, absl::Milliseconds(1));
  return WithRetryAfter(
      WithReason(absl::ResourceExhaustedError(absl::StrCat(
                     "token ", token, " is over its rate limit of ", options_.rate_limit_qps,
                     " calls per second (--auth_rate_limit_qps); retry after ",
                     absl::FormatDuration(retry))),
                 "RATE_LIMITED"),
      retry);
}

absl::StatusOr<Principal> Authenticator::Authorize(absl::string_view authorization,
                                                   absl::string_view method) {
  if (!options_.enabled) return Principal{"anonymous", Role::kAdmin, {}};
  const std::optional<Role> needed = RequiredRole(method);
  absl::string_view value = absl::StripAsciiWhitespace(authorization);
  if (value.empty()) {
    return Unauthenticated("missing credentials: send the metadata 'authorization: Bearer <token>'");
  }
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return Unauthenticated("the authorization metadata must be 'Bearer <token>'");
  }
  const absl::string_view secret = absl::StripLeadingAsciiWhitespace(value.substr(7));
  // Longer than any secret dnsd makes: not one of ours, and not worth hashing.
  if (secret.empty() || secret.size() > 256) return Unauthenticated("invalid token");
  const std::string digest = HashTokenSecret(secret);
  absl::StatusOr<TokenInfo> token = Lookup(digest);
  if (absl::IsNotFound(token.status())) return Unauthenticated("invalid token");
  if (!token.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot check the token now (", token.status().message(), "); retry"));
  }
  const absl::Time now = clock_->Now();
  if (token->revoke_time) {
    return Unauthenticated(absl::StrCat("token ", token->name, " has been revoked"));
  }
  if (token->expire_time && *token->expire_time <= now) {
    return Unauthenticated(absl::StrCat("token ", token->name, " expired at ",
                                        absl::FormatTime(*token->expire_time)));
  }
  if (!needed) {
    return WithReason(absl::PermissionDeniedError(absl::StrCat(
                          method, " is not open to any role")),
                      "PERMISSION_DENIED");
  }
  if (static_cast<int>(token->role) < static_cast<int>(*needed)) {
    return WithReason(
        absl::PermissionDeniedError(absl::StrCat("token ", token->name, " (role ",
                                                 RoleName(token->role), ") may not call ", method,
                                                 ": it needs the role ", RoleName(*needed))),
        "PERMISSION_DENIED");
  }
  if (!token->accounts.empty() && !OpenToScopedCallers(method)) {
    return WithReason(absl::PermissionDeniedError(absl::StrCat(
                          "token ", token->name, " is limited to accounts; ", method,
                          " covers the whole fleet and needs a token without accounts")),
                      "PERMISSION_DENIED");
  }
  if (absl::Status admitted = Admit(token->name); !admitted.ok()) return admitted;
  bool touch = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(digest);
    if (it != cache_.end() && now - it->second.touched >= options_.touch_every) {
      it->second.touched = now;
      touch = true;
    }
  }
  if (touch) {
    absl::Status st = store_->TouchTokens({token->name}, now);
    if (!st.ok()) {
      Log(spdlog::level::warn, "could not record a token's last use",
          {{"token", token->name}, {"error", std::string(st.message())}});
    }
  }
  return Principal{token->name, token->role, token->accounts};
}

}  // namespace dns
