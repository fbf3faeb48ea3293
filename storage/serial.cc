#include "storage/serial.h"

namespace dns {

uint32_t DateSerialFloor(absl::Time now) {
  absl::CivilDay day = absl::ToCivilDay(now, absl::UTCTimeZone());
  return static_cast<uint32_t>(day.year() * 1000000 + day.month() * 10000 +
                               day.day() * 100);
}

uint32_t NextSerial(uint32_t current, absl::Time now) {
  uint32_t floor = DateSerialFloor(now);
  if (current < floor) return floor;
  if (current == UINT32_MAX) return 1;
  return current + 1;
}

}  // namespace dns
