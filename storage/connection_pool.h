// A bounded pool of PostgreSQL connections.
#ifndef DNS_STORAGE_CONNECTION_POOL_H_
#define DNS_STORAGE_CONNECTION_POOL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"


namespace dns {

class ConnectionPool {
 public:
  struct Options {
    std::string url;
    int size = 16;
    absl::Duration acquire_timeout = absl::Seconds(5);
    // Run on every new connection (prepared statements, session settings).
    std::function<void(pqxx::connection&)> on_connect;
  };

  // A connection on loan; returned to the pool when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() const { return *conn_; }
    pqxx::connection* operator->() const { return conn_.get(); }
    // The connection is not reused (after a broken-connection error).
    void Discard() { discard_ = true; }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<pqxx::connection> conn);
    ConnectionPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool discard_ = false;
  };

  explicit ConnectionPool(Options options);
  ~ConnectionPool();

  // Waits at most acquire_timeout (or until `deadline`, if sooner) for a
  // connection; UNAVAILABLE when none is free or the database is unreachable.
  absl::StatusOr<Lease> Acquire(absl::Time deadline = absl::InfiniteFuture());

  int size() const { return options_.size; }
  // Connections lent out now.
  int in_use();

 private:
  void Release(std::unique_ptr<pqxx::connection> conn, bool discard);

  const Options options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int lent_ ABSL_GUARDED_BY(mu_) = 0;
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased + being opened
};

}  // namespace dns

#endif  // DNS_STORAGE_CONNECTION_POOL_H_
