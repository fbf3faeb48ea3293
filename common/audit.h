// The audit trail: who changed what. Every mutation is recorded by the
// storage layer in the transaction of the change itself, so an entry exists
// exactly when the change does.
#ifndef DNS_COMMON_AUDIT_H_
#define DNS_COMMON_AUDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/model.h"

namespace dns {

// Who asked for a write, carried with it down to the store.
struct WriteOrigin {
  // The calling token's name, "anonymous" when authentication is off, or
  // the local command ("dnsd token create").
  std::string actor;
  // The verified client certificate's subject (mTLS), else empty.
  std::string client_subject;
  std::string rpc;         // "ChangeRRsets"
  std::string request_id;  // the write's request_id, else the call's id
  std::string peer;        // "ipv4:10.0.0.7:53122"
  // The audit entry a RevertChange undoes; 0 otherwise.
  int64_t reverts = 0;

  // A write that does not come through a call (tests, internal jobs) is
  // recorded under this actor.
  bool empty() const { return actor.empty(); }
};

// One recorded mutation.
struct AuditEntry {
  int64_t id = 0;
  absl::Time time;
  WriteOrigin origin;
  std::string zone;     // canonical; empty when the change is not a zone's
  std::string account;  // the zone's account at the time of the change
  // What else the change is about: "server ns1", "token praho",
  // "failover fo-…".
  std::string target;
  std::optional<uint32_t> serial_before;
  std::optional<uint32_t> serial_after;
  // For RRset changes: every (name, type) the change touched, and those of
  // them that existed before and after it, as stored.
  std::vector<std::pair<std::string, std::string>> keys;
  std::vector<RRset> rrsets_before;
  std::vector<RRset> rrsets_after;
  // Other attributes of the change as a JSON object (never secrets).
  std::string details = "{}";
  // The entry that reverted this one, if any.
  int64_t reverted_by = 0;

  bool IsRRsetChange() const { return !keys.empty(); }
};

struct AuditFilter {
  std::string zone;  // canonical
  std::string account;
  // Entries of zones of any of these accounts only (an account-scoped
  // caller's); entries that are not a zone's are then left out. Empty: any.
  std::vector<std::string> accounts_any;
  std::string actor;
  std::string rpc;
  std::optional<absl::Time> start;  // time >= start
  std::optional<absl::Time> end;    // time < end
};

}  // namespace dns

#endif  // DNS_COMMON_AUDIT_H_
