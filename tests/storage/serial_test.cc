#include "storage/serial.h"

#include "gtest/gtest.h"

namespace dns {
namespace {

absl::Time Day(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::UTCTimeZone());
}

TEST(SerialTest, FloorIsTheUtcDate) {
  EXPECT_EQ(DateSerialFloor(Day(2026, 11, 25)), 2026112500u);
  EXPECT_EQ(DateSerialFloor(Day(1999, 1, 2)), 1999010200u);
  // 23:59 in UTC-5 is already the next day in UTC.
  absl::Time late = absl::FromCivil(absl::CivilSecond(2026, 12, 31, 23, 59, 0),
                                    absl::FixedTimeZone(-5 * 3600));
  EXPECT_EQ(DateSerialFloor(late), 2027010100u);
}

TEST(SerialTest, NextSerial) {
  const absl::Time now = Day(2026, 11, 25);
  struct Case {
    uint32_t current;
    uint32_t want;
  } cases[] = {
      {0, 2026112500u},           // new zone
      {1, 2026112500u},           // a counter-style serial jumps to the date
      {2026112400u, 2026112500u}, // yesterday's
      {2026112499u, 2026112500u},
      {2026112500u, 2026112501u}, // today's: count up
      {2026112598u, 2026112599u},
      {2026112599u, 2026112600u}, // more than 100 changes: borrow tomorrow
      {3000000000u, 3000000001u}, // ahead of the date (imported): +1
      {4294967294u, 4294967295u},
      {4294967295u, 1u},          // RFC 1982 wrap, skipping 0
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NextSerial(c.current, now), c.want) << c.current;
  }
}

TEST(SerialTest, AlwaysIncreasesInSerialArithmetic) {
  // RFC 1982: s2 > s1 iff 0 < (s2 - s1) mod 2^32 < 2^31.
  const absl::Time now = Day(2026, 11, 25);
  for (uint32_t s : {0u, 5u, 2026112500u, 2147483647u, 2147483648u, 4294967295u}) {
    uint32_t next = NextSerial(s, now);
    uint32_t diff = next - s;
    EXPECT_GT(diff, 0u) << s;
    EXPECT_LT(diff, 2147483648u) << s;
  }
}

}  // namespace
}  // namespace dns
