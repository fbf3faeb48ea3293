// The SOA serial scheme: date-based (YYYYMMDDnn) where possible, always
// strictly increasing in RFC 1982 serial arithmetic.
#ifndef DNS_STORAGE_SERIAL_H_
#define DNS_STORAGE_SERIAL_H_

#include <cstdint>

#include "absl/time/time.h"

namespace dns {

// YYYYMMDD00 for the UTC day of `now`.
uint32_t DateSerialFloor(absl::Time now);

// The serial after `current`: the day's floor if that is ahead of current,
// else current + 1, wrapping from 4294967295 to 1 (0 is never used, since some
// secondaries treat it as "unset"). The PostgreSQL function
// dnsv1.next_serial() implements the same rule inside the write transaction.
uint32_t NextSerial(uint32_t current, absl::Time now);

}  // namespace dns

#endif  // DNS_STORAGE_SERIAL_H_
