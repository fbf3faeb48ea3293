#include "storage/connection_pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_errors.h"
#include "common/status_details.h"

namespace dns {

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), discard_(other.discard_) {}

ConnectionPool::Lease::~Lease() {
  if (conn_) pool_->Release(std::move(conn_), discard_);
}

ConnectionPool::ConnectionPool(Options options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() = default;

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire(absl::Time deadline) {
  deadline = std::min(deadline, absl::Now() + options_.acquire_timeout);
  {
    absl::MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.size;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&available), deadline)) {
      return WithReason(
          absl::UnavailableError(absl::StrCat("no database connection free within ",
                                              absl::FormatDuration(options_.acquire_timeout),
                                              " (pool size ", options_.size, ")")),
          "DATABASE_POOL_EXHAUSTED");
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      ++lent_;
      return Lease(this, std::move(conn));
    }
    ++open_;
    ++lent_;
  }
  // Connect outside the lock: it can take as long as a TCP handshake + auth.
  absl::StatusOr<std::unique_ptr<pqxx::connection>> conn =
      GuardPg("connect", [&]() -> absl::StatusOr<std::unique_ptr<pqxx::connection>> {
        auto c = std::make_unique<pqxx::connection>(options_.url);
        if (options_.on_connect) options_.on_connect(*c);
        return c;
      });
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    --lent_;
    return WithReason(absl::UnavailableError(absl::StrCat(
                          "cannot connect to the database: ", conn.status().message())),
                      "DATABASE_UNAVAILABLE");
  }
  return Lease(this, *std::move(conn));
}

int ConnectionPool::in_use() {
  absl::MutexLock lock(&mu_);
  return lent_;
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn, bool discard) {
  bool reuse = !discard && conn->is_open();
  std::vector<std::unique_ptr<pqxx::connection>> stale;
  {
    absl::MutexLock lock(&mu_);
    --lent_;
    if (reuse) {
      idle_.push_back(std::move(conn));
      return;
    }
    // One broken connection usually means the server restarted: the idle
    // ones are broken too, and handing them out would fail one call each.
    --open_;
    open_ -= static_cast<int>(idle_.size());
    stale.swap(idle_);
  }
  // Closing happens here, outside the lock.
}

}  // namespace dns
