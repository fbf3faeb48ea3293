#include "tests/testing/fake_token_store.h"

#include "absl/strings/str_cat.h"

namespace dns {

absl::StatusOr<TokenInfo> FakeTokenStore::CreateToken(const TokenInfo& token,
                                                      const std::string& secret_hash,
                                                      const WriteOrigin&) {
  absl::MutexLock lock(&mu_);
  if (by_name_.count(token.name) || name_by_hash_.count(secret_hash)) {
    return absl::AlreadyExistsError(absl::StrCat("token ", token.name, " already exists"));
  }
  by_name_[token.name] = token;
  name_by_hash_[secret_hash] = token.name;
  return token;
}

absl::StatusOr<Page<TokenInfo>> FakeTokenStore::ListTokens(const std::string& after_name,
                                                           int limit, bool show_revoked) {
  absl::MutexLock lock(&mu_);
  Page<TokenInfo> page;
  for (auto it = by_name_.upper_bound(after_name); it != by_name_.end(); ++it) {
    if (!show_revoked && it->second.revoke_time) continue;
    if (static_cast<int>(page.items.size()) == limit) {
      page.more = true;
      break;
    }
    page.items.push_back(it->second);
  }
  return page;
}

absl::StatusOr<TokenInfo> FakeTokenStore::EnsureToken(const TokenInfo& token,
                                                      const std::string& secret_hash,
                                                      const WriteOrigin& origin) {
  {
    absl::MutexLock lock(&mu_);
    auto it = by_name_.find(token.name);
    if (it != by_name_.end()) {
      if (it->second.revoke_time) return absl::FailedPreconditionError("revoked");
      for (auto h = name_by_hash_.begin(); h != name_by_hash_.end();) {
        h = h->second == token.name ? name_by_hash_.erase(h) : std::next(h);
      }
      name_by_hash_[secret_hash] = token.name;
      return it->second;
    }
  }
  return CreateToken(token, secret_hash, origin);
}

absl::StatusOr<TokenInfo> FakeTokenStore::RevokeToken(const std::string& name,
                                                      const WriteOrigin&) {
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return absl::NotFoundError(absl::StrCat("token ", name));
  if (!it->second.revoke_time) it->second.revoke_time = absl::Now();
  return it->second;
}

absl::StatusOr<TokenInfo> FakeTokenStore::FindToken(const std::string& secret_hash) {
  absl::MutexLock lock(&mu_);
  ++finds_;
  if (!fail_finds_.ok()) return fail_finds_;
  auto it = name_by_hash_.find(secret_hash);
  if (it == name_by_hash_.end()) return absl::NotFoundError("no such token");
  return by_name_.at(it->second);
}

absl::Status FakeTokenStore::TouchTokens(const std::vector<std::string>& names,
                                         absl::Time time) {
  absl::MutexLock lock(&mu_);
  ++touches_;
  for (const std::string& n : names) {
    auto it = by_name_.find(n);
    if (it != by_name_.end()) it->second.last_use_time = time;
  }
  return absl::OkStatus();
}

int FakeTokenStore::finds() const {
  absl::MutexLock lock(&mu_);
  return finds_;
}

int FakeTokenStore::touches() const {
  absl::MutexLock lock(&mu_);
  return touches_;
}

void FakeTokenStore::FailFinds(absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_finds_ = std::move(status);
}

}  // namespace dns
