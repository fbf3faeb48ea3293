// Smoke test of the test fixtures: a private PostgreSQL with PowerDNS's gpgsql
// schema served by a real pdns_server, a streaming standby of it (also served
// by a pdns_server), and a gsqlite3 pdns_server's API.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/pdns_server.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

namespace dns::testing {
namespace {

constexpr char kPgSchema[] =
    "/usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql";

TEST(ProcessTest, RunCommandReturnsOutputAndFailsOnNonZeroExit) {
  absl::StatusOr<std::string> out = RunCommand("echo hello");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "hello\n");
  absl::StatusOr<std::string> bad = RunCommand("echo oops >&2; exit 3");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("oops"), std::string::npos);
}

TEST(ProcessTest, SubprocessWaitAndSignal) {
  std::string dir = MakeTempDir("proctest");
  auto quick = Subprocess::Start({"sh", "-c", "echo $FOO; exit 7"},
                                 {{"FOO", "bar"}}, dir + "/quick.log");
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ((*quick)->Wait(), 7);
  EXPECT_EQ(ReadFileTail(dir + "/quick.log"), "bar\n");

  auto sleeper = Subprocess::Start({"sleep", "60"}, {}, dir + "/sleep.log");
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  EXPECT_TRUE((*sleeper)->Running());
  ASSERT_TRUE((*sleeper)->Signal(SIGKILL).ok());
  EXPECT_EQ((*sleeper)->Wait(), 128 + SIGKILL);
  EXPECT_FALSE((*sleeper)->Running());

  auto missing = Subprocess::Start({"/nonexistent/binary"}, {}, dir + "/x.log");
  EXPECT_FALSE(missing.ok());
  RemoveTempDir(dir);
}

TEST(ProcessTest, FreeTcpPortIsFreeAndDistinct) {
  int a = FreeTcpPort();
  int b = FreeTcpPort();
  EXPECT_GT(a, 1024);
  EXPECT_NE(a, b);
  EXPECT_FALSE(WaitForTcpPort(a, absl::Milliseconds(100)));
}

TEST(FixturesTest, GpgsqlPdnsServesRecordsWrittenToPostgres) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_TRUE((*pg)->CreateDatabase("pdns").ok());
  ASSERT_TRUE((*pg)->LoadSqlFile("pdns", kPgSchema).ok());
  absl::StatusOr<std::string> ins = (*pg)->Psql("pdns", R"sql(
    INSERT INTO domains (name, type) VALUES ('smoke.example', 'NATIVE');
    INSERT INTO records (domain_id, name, type, content, ttl, auth)
      SELECT id, 'smoke.example', 'SOA',
             'ns1.smoke.example. hostmaster.smoke.example. 1 10800 3600 604800 3600',
             3600, true FROM domains WHERE name = 'smoke.example';
    INSERT INTO records (domain_id, name, type, content, ttl, auth)
      SELECT id, 'smoke.example', 'NS', 'ns1.smoke.example.', 3600, true
      FROM domains WHERE name = 'smoke.example';
    INSERT INTO records (domain_id, name, type, content, ttl, auth)
      SELECT id, 'www.smoke.example', 'A', '192.0.2.10', 300, true
      FROM domains WHERE name = 'smoke.example';
  )sql");
  ASSERT_TRUE(ins.ok()) << ins.status();

  PdnsServer::Options options;
  options.backend = PdnsServer::Options::Backend::kGpgsql;
  options.pg_port = (*pg)->port();
  options.pg_dbname = "pdns";
  auto pdns = PdnsServer::Start(options);
  ASSERT_TRUE(pdns.ok()) << pdns.status();

  absl::StatusOr<std::string> a = (*pdns)->Dig("www.smoke.example", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, "192.0.2.10") << (*pdns)->LogTail();
  absl::StatusOr<std::string> rcode =
      (*pdns)->DigRcode("nothere.smoke.example", "A");
  ASSERT_TRUE(rcode.ok()) << rcode.status();
  EXPECT_EQ(*rcode, "NXDOMAIN");
  rcode = (*pdns)->DigRcode("www.other.example", "A");
  ASSERT_TRUE(rcode.ok()) << rcode.status();
  EXPECT_EQ(*rcode, "REFUSED");

  // With every cache off a database write is answered at once.
  ASSERT_TRUE((*pg)
                  ->Psql("pdns",
                         "UPDATE records SET content = '192.0.2.11' "
                         "WHERE name = 'www.smoke.example'")
                  .ok());
  a = (*pdns)->Dig("www.smoke.example", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, "192.0.2.11");

  // A zone added after start is served at once (zone cache off).
  ASSERT_TRUE((*pg)
                  ->Psql("pdns", R"sql(
    INSERT INTO domains (name, type) VALUES ('late.example', 'NATIVE');
    INSERT INTO records (domain_id, name, type, content, ttl, auth)
      SELECT id, 'late.example', 'SOA',
             'ns1.late.example. hostmaster.late.example. 1 10800 3600 604800 3600',
             3600, true FROM domains WHERE name = 'late.example';
    INSERT INTO records (domain_id, name, type, content, ttl, auth)
      SELECT id, 'late.example', 'A', '192.0.2.20', 300, true
      FROM domains WHERE name = 'late.example';
  )sql")
                  .ok());
  a = (*pdns)->Dig("late.example", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, "192.0.2.20");

  // PowerDNS comes back on the same ports after a restart.
  int dns_port = (*pdns)->dns_port();
  ASSERT_TRUE((*pdns)->Restart().ok());
  EXPECT_EQ((*pdns)->dns_port(), dns_port);
  a = (*pdns)->Dig("www.smoke.example", "A");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(*a, "192.0.2.11");
}

TEST(FixturesTest, PostgresSurvivesKillAndRestart) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_TRUE((*pg)->CreateDatabase("k").ok());
  ASSERT_TRUE((*pg)
                  ->Psql("k",
                         "CREATE TABLE t (v int); INSERT INTO t "
                         "VALUES (42)")
                  .ok());
  int port = (*pg)->port();
  ASSERT_TRUE((*pg)->Kill().ok());
  EXPECT_FALSE((*pg)->Running());
  EXPECT_FALSE((*pg)->Psql("k", "SELECT 1").ok());
  ASSERT_TRUE((*pg)->Restart().ok()) << (*pg)->LogTail();
  EXPECT_EQ((*pg)->port(), port);
  absl::StatusOr<std::string> v = (*pg)->Psql("k", "SELECT v FROM t");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, "42\n");
  ASSERT_TRUE((*pg)->Stop().ok());
  ASSERT_TRUE((*pg)->Restart().ok());
  EXPECT_TRUE((*pg)->Psql("k", "SELECT 1").ok());
}

TEST(FixturesTest, StandbyReplaysThePrimaryAndServesPdns) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  PostgresServer& primary = **pg;
  ASSERT_TRUE(primary.CreateDatabase("dns").ok());
  ASSERT_TRUE(
      primary.Psql("dns", "CREATE TABLE t (v int); INSERT INTO t VALUES (1)")
          .ok());

  auto standby_or = PostgresServer::StartStandby(primary);
  ASSERT_TRUE(standby_or.ok()) << standby_or.status();
  PostgresServer& standby = **standby_or;
  EXPECT_NE(standby.port(), primary.port());
  EXPECT_NE(standby.data_dir(), primary.data_dir());
  absl::StatusOr<bool> is_standby = standby.IsStandby();
  ASSERT_TRUE(is_standby.ok()) << is_standby.status();
  EXPECT_TRUE(*is_standby);
  is_standby = primary.IsStandby();
  ASSERT_TRUE(is_standby.ok()) << is_standby.status();
  EXPECT_FALSE(*is_standby);
  // Only a standby has a replay position to wait for.
  EXPECT_EQ(primary.WaitForReplay(primary, absl::Seconds(1)).code(),
            absl::StatusCode::kFailedPrecondition);

  absl::Status replayed = standby.WaitForReplay(primary, absl::Seconds(30));
  ASSERT_TRUE(replayed.ok()) << replayed << "\n" << standby.LogTail();
  absl::StatusOr<std::string> rows = standby.Psql("dns", "SELECT v FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "1\n");

  // A standby is read-only.
  absl::StatusOr<std::string> write =
      standby.Psql("dns", "INSERT INTO t VALUES (99)");
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.status().message().find("read-only"), std::string::npos)
      << write.status();

  // While replay is paused the primary's commits stay invisible there.
  ASSERT_TRUE(standby.PauseReplay().ok());
  ASSERT_TRUE(primary.Psql("dns", "INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(standby.WaitForReplay(primary, absl::Seconds(1)).code(),
            absl::StatusCode::kDeadlineExceeded);
  rows = standby.Psql("dns", "SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "1\n");
  ASSERT_TRUE(standby.ResumeReplay().ok());
  replayed = standby.WaitForReplay(primary, absl::Seconds(30));
  ASSERT_TRUE(replayed.ok()) << replayed;
  rows = standby.Psql("dns", "SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "2\n");

  // PowerDNS on gpgsql reading the standby serves what the primary wrote,
  // once the standby replayed it; a paused standby keeps the old serial.
  ASSERT_TRUE(primary.LoadSqlFile("dns", kPgSchema).ok());
  ASSERT_TRUE(primary
                  .Psql("dns", R"sql(
    INSERT INTO domains (name, type) VALUES ('standby.example', 'NATIVE');
    INSERT INTO records (domain_id, name, type, content, ttl, auth)
      SELECT id, 'standby.example', 'SOA',
             'ns1.standby.example. hostmaster.standby.example. 1 10800 3600 604800 3600',
             3600, true FROM domains WHERE name = 'standby.example';
  )sql")
                  .ok());
  replayed = standby.WaitForReplay(primary, absl::Seconds(30));
  ASSERT_TRUE(replayed.ok()) << replayed;
  PdnsServer::Options options;
  options.backend = PdnsServer::Options::Backend::kGpgsql;
  options.pg_port = standby.port();
  options.pg_dbname = "dns";
  auto pdns = PdnsServer::Start(options);
  ASSERT_TRUE(pdns.ok()) << pdns.status();
  absl::StatusOr<std::string> soa = (*pdns)->Dig("standby.example", "SOA");
  ASSERT_TRUE(soa.ok()) << soa.status();
  EXPECT_EQ(*soa,
            "ns1.standby.example. hostmaster.standby.example. 1 10800 3600 "
            "604800 3600")
      << (*pdns)->LogTail();

  ASSERT_TRUE(standby.PauseReplay().ok());
  ASSERT_TRUE(primary
                  .Psql("dns",
                        "UPDATE records SET content = 'ns1.standby.example. "
                        "hostmaster.standby.example. 2 10800 3600 604800 3600' "
                        "WHERE name = 'standby.example' AND type = 'SOA'")
                  .ok());
  soa = (*pdns)->Dig("standby.example", "SOA");
  ASSERT_TRUE(soa.ok()) << soa.status();
  EXPECT_NE(soa->find(". 1 10800"), std::string::npos) << *soa;
  ASSERT_TRUE(standby.ResumeReplay().ok());
  replayed = standby.WaitForReplay(primary, absl::Seconds(30));
  ASSERT_TRUE(replayed.ok()) << replayed;
  soa = (*pdns)->Dig("standby.example", "SOA");
  ASSERT_TRUE(soa.ok()) << soa.status();
  EXPECT_NE(soa->find(". 2 10800"), std::string::npos) << *soa;

  // A standby restarts as a standby on the same port and catches up.
  int port = standby.port();
  ASSERT_TRUE(standby.Restart().ok()) << standby.LogTail();
  EXPECT_EQ(standby.port(), port);
  is_standby = standby.IsStandby();
  ASSERT_TRUE(is_standby.ok()) << is_standby.status();
  EXPECT_TRUE(*is_standby);
  ASSERT_TRUE(primary.Psql("dns", "INSERT INTO t VALUES (3)").ok());
  replayed = standby.WaitForReplay(primary, absl::Seconds(30));
  ASSERT_TRUE(replayed.ok()) << replayed;
  rows = standby.Psql("dns", "SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, "3\n");
}

TEST(FixturesTest, Gsqlite3PdnsApiAnswers) {
  PdnsServer::Options options;
  options.backend = PdnsServer::Options::Backend::kGsqlite3;
  auto pdns = PdnsServer::Start(options);
  ASSERT_TRUE(pdns.ok()) << pdns.status();
  std::string body;
  absl::StatusOr<int> code =
      (*pdns)->ApiRequest("GET", "/api/v1/servers/localhost", &body);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 200);
  EXPECT_NE(body.find("\"daemon_type\""), std::string::npos) << body;
  code = (*pdns)->ApiRequest(
      "POST", "/api/v1/servers/localhost/zones", &body,
      R"({"name": "api.example.", "kind": "Native", "nameservers": ["ns1.api.example."]})");
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 201) << body;
  absl::StatusOr<std::string> rcode = (*pdns)->DigRcode("api.example", "SOA");
  ASSERT_TRUE(rcode.ok()) << rcode.status();
  EXPECT_EQ(*rcode, "NOERROR");
}

}  // namespace
}  // namespace dns::testing
