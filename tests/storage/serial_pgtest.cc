// The SOA serial rule, dnsv1.next_serial (storage/sql/0005), on a real
// PostgreSQL: every serial the service writes comes from it.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/migrations.h"
#include "tests/support/postgres_server.h"

namespace dns {
namespace {

class SerialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = testing::PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    ASSERT_TRUE(pg_->CreateDatabase("dns").ok());
    ASSERT_TRUE(Migrate(pg_->Url("dns")).ok());
  }
  static void TearDownTestSuite() { delete pg_; }

  // next_serial(cur) at `when` (an ISO timestamp with its offset).
  static std::string Next(uint32_t cur, const std::string& when) {
    auto out = pg_->Psql("dns", absl::StrCat("SELECT dnsv1.next_serial(", cur, ", '", when,
                                            "'::timestamptz)"));
    return out.ok() ? std::string(absl::StripAsciiWhitespace(*out)) : "error";
  }

  static testing::PostgresServer* pg_;
};

testing::PostgresServer* SerialTest::pg_ = nullptr;

TEST_F(SerialTest, FloorIsTheUtcDate) {
  EXPECT_EQ(Next(0, "2026-11-25 12:00:00+00"), "2026112500");
  EXPECT_EQ(Next(0, "1999-01-02 12:00:00+00"), "1999010200");
  // 23:59 in UTC-5 is already the next day in UTC.
  EXPECT_EQ(Next(0, "2026-12-31 23:59:00-05"), "2027010100");
}

TEST_F(SerialTest, NextSerial) {
  const std::string now = "2026-11-25 12:00:00+00";
  struct Case {
    uint32_t current;
    const char* want;
  } cases[] = {
      {0, "2026112500"},           // new zone
      {1, "2026112500"},           // a counter-style serial jumps to the date
      {2026112400u, "2026112500"}, // yesterday's
      {2026112499u, "2026112500"},
      {2026112500u, "2026112501"}, // today's: count up
      {2026112598u, "2026112599"},
      {2026112599u, "2026112600"}, // more than 100 changes: borrow tomorrow
      {3000000000u, "3000000001"}, // ahead of the date (imported): +1
      {4294967294u, "4294967295"},
      {4294967295u, "1"},          // RFC 1982 wrap, skipping 0
  };
  for (const auto& c : cases) EXPECT_EQ(Next(c.current, now), c.want) << c.current;
}

TEST_F(SerialTest, AlwaysIncreasesInSerialArithmetic) {
  // RFC 1982: s2 > s1 iff 0 < (s2 - s1) mod 2^32 < 2^31.
  for (uint32_t s : {0u, 5u, 2026112500u, 2147483647u, 2147483648u, 4294967295u}) {
    const std::string text = Next(s, "2026-11-25 12:00:00+00");
    const uint32_t next = static_cast<uint32_t>(std::stoul(text));
    const uint32_t diff = next - s;
    EXPECT_GT(diff, 0u) << s;
    EXPECT_LT(diff, 2147483648u) << s;
  }
}

}  // namespace
}  // namespace dns
