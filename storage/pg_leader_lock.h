// The lock that makes one replica the leader: a PostgreSQL session-level
// advisory lock held on a connection of its own. When the holder dies its
// connection closes and PostgreSQL releases the lock at once, so another
// replica's next try succeeds.
#ifndef DNS_STORAGE_PG_LEADER_LOCK_H_
#define DNS_STORAGE_PG_LEADER_LOCK_H_

#include <cstdint>
#include <memory>
#include <string>

#include <pqxx/connection>

#include "absl/status/statusor.h"

namespace dns {

// What the job runner needs of a leader lock (a fake in tests).
class LeaderLock {
 public:
  virtual ~LeaderLock() = default;
  // Takes the lock if nobody holds it; true when this process holds it
  // now. An error (database unreachable) means not held.
  virtual absl::StatusOr<bool> TryHold() = 0;
  // Lets it go (closing the connection).
  virtual void Release() = 0;
};

class PgLeaderLock : public LeaderLock {
 public:
  PgLeaderLock(std::string database_url, int64_t lock_id, std::string application_name);
  ~PgLeaderLock() override;

  absl::StatusOr<bool> TryHold() override;
  void Release() override;

 private:
  const std::string url_;
  const int64_t lock_id_;
  std::unique_ptr<pqxx::connection> conn_;
  bool held_ = false;
};

}  // namespace dns

#endif  // DNS_STORAGE_PG_LEADER_LOCK_H_
