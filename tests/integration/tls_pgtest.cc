// TLS on a real dnsd: certificates made with the openssl CLI at test time;
// TLS and mTLS calls (gRPC and dnsctl), refused plaintext and foreign CAs,
// a renewed certificate served without a restart, start-up errors that name
// the flag and never show the key, and PowerDNS's API over https (through a
// TLS-terminating proxy in front of pdns_server 4.7, whose webserver has no
// TLS) verified against --pdns_tls_ca_file.
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dns/v1/server_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/grpc_test_util.h"
#include "tests/support/pdns_server.h"
#include "tests/support/process.h"

namespace dns::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Files under the suite's directory, made once.
struct Pki {
  std::string dir;
  std::string File(const std::string& name) const { return dir + "/" + name; }
};

absl::Status Sh(const std::string& dir, const std::string& command) {
  auto out = RunCommand(absl::StrCat("cd ", ShellQuote(dir), " && (", command, ") 2>&1"));
  return out.status();
}

// A CA NAME.crt/NAME.key.
absl::Status MakeCa(const Pki& pki, const std::string& name) {
  return Sh(pki.dir, absl::StrCat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                                  "-nodes -days 2 -subj '/CN=", name, " test CA' -keyout ",
                                  name, ".key -out ", name, ".crt"));
}

// NAME.crt/NAME.key signed by CA; server certificates name 127.0.0.1 and
// localhost, client certificates are for client authentication.
absl::Status Issue(const Pki& pki, const std::string& ca, const std::string& name,
                   const std::string& common_name, int serial, bool server) {
  const std::string ext =
      server ? "subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n"
             : "extendedKeyUsage=clientAuth\\n";
  return Sh(pki.dir,
            absl::StrCat("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-subj '/O=dns.v1 tests/CN=", common_name, "' -keyout ", name,
                         ".key -out ", name, ".csr && printf '", ext, "' > ", name,
                         ".ext && openssl x509 -req -in ", name, ".csr -CA ", ca,
                         ".crt -CAkey ", ca, ".key -set_serial ", serial, " -days 2 -extfile ",
                         name, ".ext -out ", name, ".crt"));
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The base64 body of a PEM key: what must never show up in a log.
std::string KeyBody(const std::string& path) {
  std::string body;
  for (absl::string_view line : absl::StrSplit(Slurp(path), '\n')) {
    if (!line.empty() && line[0] != '-') absl::StrAppend(&body, line);
  }
  return body;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& target,
                                       std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  // Each channel makes its own connection (a fresh handshake).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, credentials, args);
}

std::shared_ptr<grpc::ChannelCredentials> Tls(const Pki& pki, const std::string& ca,
                                              const std::string& client = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = Slurp(pki.File(ca + ".crt"));
  if (!client.empty()) {
    options.pem_cert_chain = Slurp(pki.File(client + ".crt"));
    options.pem_private_key = Slurp(pki.File(client + ".key"));
  }
  return grpc::SslCredentials(options);
}

// One ListZones on `channel`, failing fast (no waiting for a connection that
// the handshake refuses).
grpc::Status ListZones(std::shared_ptr<grpc::Channel> channel) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::ListZonesRequest req;
  v1::ListZonesResponse resp;
  return v1::ZoneService::NewStub(channel)->ListZones(&context, req, &resp);
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = pg->release();
    pki_ = new Pki{MakeTempDir("tls-pki")};
    ASSERT_TRUE(MakeCa(*pki_, "ca").ok());
    ASSERT_TRUE(MakeCa(*pki_, "other").ok());
    ASSERT_TRUE(Issue(*pki_, "ca", "server", "dnsd-1", 1001, true).ok());
    ASSERT_TRUE(Issue(*pki_, "ca", "client", "praho", 2001, false).ok());
    ASSERT_TRUE(Issue(*pki_, "other", "stranger", "stranger", 3001, false).ok());
    // The renewal: another CA, so that only a handshake with it proves
    // that the new certificate is served.
    ASSERT_TRUE(Issue(*pki_, "other", "renewed", "dnsd-2", 4001, true).ok());
  }

  static void TearDownTestSuite() {
    delete pg_;
    pg_ = nullptr;
    RemoveTempDir(pki_->dir);
    delete pki_;
    pki_ = nullptr;
  }

  // dnsd on a database of its own.
  static absl::StatusOr<std::unique_ptr<DnsdProcess>> StartDnsd(std::vector<std::string> flags) {
    const std::string db = absl::StrCat("dns", ++databases_);
    if (absl::Status s = pg_->CreateDatabase(db); !s.ok()) return s;
    flags.push_back("--default_nameservers=ns1.example.net.,ns2.example.net.");
    return DnsdProcess::Start(DNSD_PATH, pg_->Url(db), flags);
  }

  static std::vector<std::string> TlsFlags(const std::string& cert = "server") {
    return {absl::StrCat("--tls_cert_file=", pki_->File(cert + ".crt")),
            absl::StrCat("--tls_key_file=", pki_->File(cert + ".key"))};
  }

  static PostgresServer* pg_;
  static Pki* pki_;
  static int databases_;
};

PostgresServer* TlsTest::pg_ = nullptr;
Pki* TlsTest::pki_ = nullptr;
int TlsTest::databases_ = 0;

TEST_F(TlsTest, TlsAnswersClientsTrustingItsCaOnly) {
  auto dnsd = StartDnsd(TlsFlags());
  ASSERT_TRUE(dnsd.ok()) << dnsd.status();
  const std::string target = (*dnsd)->target();

  grpc::Status ok = ListZones(Channel(target, Tls(*pki_, "ca")));
  EXPECT_TRUE(ok.ok()) << ok.error_code() << " " << ok.error_message();

  grpc::Status plain = ListZones(Channel(target, grpc::InsecureChannelCredentials()));
  EXPECT_FALSE(plain.ok());
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();

  grpc::Status foreign = ListZones(Channel(target, Tls(*pki_, "other")));
  EXPECT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::UNAVAILABLE) << foreign.error_message();

  // dnsctl: the CA from the environment, or --tls alone (system CAs, which
  // do not know this CA).
  const std::string dnsctl = absl::StrCat(DNSCTL_PATH, " --server=", target, " zone list");
  auto with_ca = RunCommand(
      absl::StrCat("DNSCTL_TLS_CA_FILE=", ShellQuote(pki_->File("ca.crt")), " ", dnsctl));
  EXPECT_TRUE(with_ca.ok()) << with_ca.status();
  EXPECT_FALSE(RunCommand(absl::StrCat(dnsctl, " --tls")).ok());
  EXPECT_FALSE(RunCommand(dnsctl).ok());

  const std::string log = (*dnsd)->ReadLog();
  EXPECT_THAT(log, HasSubstr("grpc_transport=TLS"));
  EXPECT_THAT(log, Not(HasSubstr(KeyBody(pki_->File("server.key")))));
}

TEST_F(TlsTest, PlaintextOnlyWithoutACertificate) {
  auto dnsd = StartDnsd({});
  ASSERT_TRUE(dnsd.ok()) << dnsd.status();
  grpc::Status plain =
      ListZones(Channel((*dnsd)->target(), grpc::InsecureChannelCredentials()));
  EXPECT_TRUE(plain.ok()) << plain.error_message();
  EXPECT_THAT((*dnsd)->ReadLog(), HasSubstr("grpc_transport=plaintext"));
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back(absl::StrCat("--tls_client_ca_file=", pki_->File("ca.crt")));
  auto dnsd = StartDnsd(flags);
  ASSERT_TRUE(dnsd.ok()) << dnsd.status();
  const std::string target = (*dnsd)->target();

  grpc::Status without = ListZones(Channel(target, Tls(*pki_, "ca")));
  EXPECT_FALSE(without.ok());
  EXPECT_EQ(without.error_code(), grpc::StatusCode::UNAVAILABLE) << without.error_message();

  grpc::Status stranger = ListZones(Channel(target, Tls(*pki_, "ca", "stranger")));
  EXPECT_FALSE(stranger.ok());

  grpc::Status with = ListZones(Channel(target, Tls(*pki_, "ca", "client")));
  EXPECT_TRUE(with.ok()) << with.error_code() << " " << with.error_message();

  const std::string dnsctl =
      absl::StrCat(DNSCTL_PATH, " --server=", target, " --tls_ca_file=",
                   ShellQuote(pki_->File("ca.crt")), " zone list");
  EXPECT_FALSE(RunCommand(dnsctl).ok());
  auto mtls = RunCommand(absl::StrCat(dnsctl, " --tls_cert_file=",
                                      ShellQuote(pki_->File("client.crt")), " --tls_key_file=",
                                      ShellQuote(pki_->File("client.key"))));
  EXPECT_TRUE(mtls.ok()) << mtls.status();
  EXPECT_THAT((*dnsd)->ReadLog(), HasSubstr("grpc_transport=mTLS"));
}

TEST_F(TlsTest, RenewedCertificateIsServedWithoutARestart) {
  // Its own copies: the suite's files stay as they are.
  const std::string cert = pki_->File("live.crt");
  const std::string key = pki_->File("live.key");
  ASSERT_TRUE(Sh(pki_->dir, "cp server.crt live.crt && cp server.key live.key").ok());
  auto dnsd = StartDnsd({absl::StrCat("--tls_cert_file=", cert),
                         absl::StrCat("--tls_key_file=", key), "--tls_reload_interval=1s"});
  ASSERT_TRUE(dnsd.ok()) << dnsd.status();
  const std::string target = (*dnsd)->target();
  const pid_t pid = (*dnsd)->pid();
  ASSERT_TRUE(ListZones(Channel(target, Tls(*pki_, "ca"))).ok());
  ASSERT_FALSE(ListZones(Channel(target, Tls(*pki_, "other"))).ok());

  // What a certificate manager does: write the new pair over the old one.
  ASSERT_TRUE(Sh(pki_->dir, "cat renewed.key > live.key && cat renewed.crt > live.crt").ok());
  bool renewed = false;
  for (int i = 0; i < 60 && !renewed; ++i) {
    renewed = ListZones(Channel(target, Tls(*pki_, "other"))).ok();
    if (!renewed) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  EXPECT_TRUE(renewed) << "no handshake with the renewed certificate; log:\n"
                       << (*dnsd)->LogTail();
  EXPECT_EQ((*dnsd)->pid(), pid);
  EXPECT_TRUE((*dnsd)->Running());
  auto served = RunCommand(absl::StrCat(
      "openssl s_client -connect ", target, " -alpn h2 -servername localhost </dev/null "
      "2>/dev/null | openssl x509 -noout -subject -serial"));
  ASSERT_TRUE(served.ok()) << served.status();
  EXPECT_THAT(*served, HasSubstr("dnsd-2"));
  EXPECT_THAT(*served, HasSubstr("serial=0FA1"));  // 4001
  // The old CA no longer gets through.
  EXPECT_FALSE(ListZones(Channel(target, Tls(*pki_, "ca"))).ok());
  EXPECT_THAT((*dnsd)->ReadLog(), Not(HasSubstr(KeyBody(pki_->File("renewed.key")))));
}

TEST_F(TlsTest, CertificateWithoutKeyIsAStartUpErrorNamingTheFlag) {
  auto dnsd = StartDnsd({absl::StrCat("--tls_cert_file=", pki_->File("server.crt"))});
  ASSERT_FALSE(dnsd.ok());
  EXPECT_THAT(dnsd.status().message(), HasSubstr("exited with status 1"));
  EXPECT_THAT(dnsd.status().message(), HasSubstr("--tls_key_file"));
}

TEST_F(TlsTest, ClientCaWithoutCertificateIsAStartUpError) {
  auto dnsd = StartDnsd({absl::StrCat("--tls_client_ca_file=", pki_->File("ca.crt"))});
  ASSERT_FALSE(dnsd.ok());
  EXPECT_THAT(dnsd.status().message(), HasSubstr("--tls_client_ca_file needs --tls_cert_file"));
}

TEST_F(TlsTest, UnreadableCertificateIsAClearStartUpError) {
  auto dnsd = StartDnsd({absl::StrCat("--tls_cert_file=", pki_->File("nowhere.crt")),
                         absl::StrCat("--tls_key_file=", pki_->File("server.key"))});
  ASSERT_FALSE(dnsd.ok());
  EXPECT_THAT(dnsd.status().message(),
              HasSubstr(absl::StrCat("--tls_cert_file ", pki_->File("nowhere.crt"),
                                     ": cannot read it (No such file or directory)")));
}

TEST_F(TlsTest, KeyInPlaceOfTheCertificateIsRefusedWithoutShowingIt) {
  auto dnsd = StartDnsd(
      {absl::StrCat("--tls_cert_file=", pki_->File("server.key")),
       absl::StrCat("--tls_key_file=", pki_->File("server.key")), "--log_level=trace"});
  ASSERT_FALSE(dnsd.ok());
  EXPECT_THAT(dnsd.status().message(), HasSubstr("not a PEM certificate"));
  EXPECT_THAT(dnsd.status().message(), Not(HasSubstr(KeyBody(pki_->File("server.key")))));
  EXPECT_THAT(dnsd.status().message(), Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(TlsTest, KeyOfAnotherCertificateIsAStartUpError) {
  auto dnsd = StartDnsd({absl::StrCat("--tls_cert_file=", pki_->File("server.crt")),
                         absl::StrCat("--tls_key_file=", pki_->File("client.key"))});
  ASSERT_FALSE(dnsd.ok());
  EXPECT_THAT(dnsd.status().message(), HasSubstr("is not the private key of the certificate"));
  EXPECT_THAT(dnsd.status().message(), Not(HasSubstr(KeyBody(pki_->File("client.key")))));
}

// PowerDNS behind https: pdns_server (gsqlite3, API mode) with the proxy in
// front holding a certificate from the suite's CA.
class PdnsHttpsTest : public TlsTest {
 protected:
  void SetUp() override {
    PdnsServer::Options options;
    options.backend = PdnsServer::Options::Backend::kGsqlite3;
    options.api_key = "https-key";
    auto pdns = PdnsServer::Start(options);
    ASSERT_TRUE(pdns.ok()) << pdns.status();
    pdns_ = *std::move(pdns);
    proxy_port_ = FreeTcpPort();
    proxy_log_ = pki_->File(absl::StrCat("proxy-", proxy_port_, ".log"));
    auto proxy = Subprocess::Start(
        {"python3", TLS_PROXY_PATH, absl::StrCat("--listen-port=", proxy_port_),
         absl::StrCat("--target-port=", pdns_->api_port()),
         absl::StrCat("--cert=", pki_->File("server.crt")),
         absl::StrCat("--key=", pki_->File("server.key"))},
        {}, proxy_log_);
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *std::move(proxy);
    ASSERT_TRUE(WaitForTcpPort(proxy_port_, absl::Seconds(30))) << ReadFileTail(proxy_log_);
  }

  std::string ApiUrl() const { return absl::StrCat("https://127.0.0.1:", proxy_port_); }

  grpc::Status Register(std::shared_ptr<grpc::Channel> channel, bool skip_check) {
    v1::RegisterServerRequest req;
    req.mutable_server()->set_name("pdns-https");
    req.mutable_server()->set_api_url(ApiUrl());
    req.mutable_server()->set_api_key(pdns_->api_key());
    req.mutable_server()->set_dns_address(pdns_->dns_address());
    req.mutable_server()->set_mode(v1::SERVER_MODE_API);
    req.set_skip_check(skip_check);
    v1::Server resp;
    return v1::ServerService::NewStub(channel)->RegisterServer(Context().get(), req, &resp);
  }

  static v1::Zone CreateZone(std::shared_ptr<grpc::Channel> channel, const std::string& name) {
    v1::CreateZoneRequest req;
    req.mutable_zone()->set_name(name);
    req.mutable_propagation_timeout()->set_seconds(10);
    v1::Zone zone;
    grpc::Status status =
        v1::ZoneService::NewStub(channel)->CreateZone(Context().get(), req, &zone);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return zone;
  }

  // Polls (bounded) until the zone's state on the server is `state`.
  static v1::ServerPropagation WaitFor(std::shared_ptr<grpc::Channel> channel,
                                       const std::string& zone, v1::PropagationState state) {
    v1::ServerPropagation last;
    for (int i = 0; i < 300; ++i) {
      v1::GetZoneRequest req;
      req.set_zone(zone);
      v1::Zone z;
      grpc::Status status = v1::ZoneService::NewStub(channel)->GetZone(Context().get(), req, &z);
      if (status.ok() && z.propagation_size() == 1) {
        last = z.propagation(0);
        if (last.state() == state) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
  }

  std::unique_ptr<PdnsServer> pdns_;
  std::unique_ptr<Subprocess> proxy_;
  int proxy_port_ = 0;
  std::string proxy_log_;
};

TEST_F(PdnsHttpsTest, WritesReachPowerDnsOverHttpsVerifiedWithTheCa) {
  auto dnsd = StartDnsd({absl::StrCat("--pdns_tls_ca_file=", pki_->File("ca.crt"))});
  ASSERT_TRUE(dnsd.ok()) << dnsd.status();
  auto channel = Channel((*dnsd)->target(), grpc::InsecureChannelCredentials());
  // The registration check already speaks https to the server.
  grpc::Status registered = Register(channel, false);
  ASSERT_TRUE(registered.ok()) << registered.error_message() << "\nproxy:\n"
                               << ReadFileTail(proxy_log_);

  v1::Zone zone = CreateZone(channel, "https.test.");
  v1::ServerPropagation synced = WaitFor(channel, "https.test.", v1::PROPAGATION_STATE_IN_SYNC);
  EXPECT_EQ(synced.state(), v1::PROPAGATION_STATE_IN_SYNC) << synced.last_error();
  std::string body;
  auto code = pdns_->ApiRequest("GET", "/api/v1/servers/localhost/zones/https.test.", &body);
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 200) << body;
  EXPECT_THAT((*dnsd)->ReadLog(), Not(HasSubstr(pdns_->api_key())));
}

TEST_F(PdnsHttpsTest, ServerCertificateFromAnotherCaIsAPropagationError) {
  auto dnsd = StartDnsd({absl::StrCat("--pdns_tls_ca_file=", pki_->File("other.crt")),
                         "--pdns_timeout=2s"});
  ASSERT_TRUE(dnsd.ok()) << dnsd.status();
  auto channel = Channel((*dnsd)->target(), grpc::InsecureChannelCredentials());
  grpc::Status checked = Register(channel, false);
  EXPECT_FALSE(checked.ok());
  EXPECT_THAT(checked.error_message(), HasSubstr("TLS certificate verification failed"));
  grpc::Status registered = Register(channel, true);
  ASSERT_TRUE(registered.ok()) << registered.error_message();

  CreateZone(channel, "untrusted.test.");
  v1::ServerPropagation failed = WaitFor(channel, "untrusted.test.", v1::PROPAGATION_STATE_ERROR);
  EXPECT_EQ(failed.state(), v1::PROPAGATION_STATE_ERROR);
  EXPECT_THAT(failed.last_error(), HasSubstr("TLS certificate verification failed"));
  EXPECT_TRUE((*dnsd)->Running());
  std::string body;
  auto code = pdns_->ApiRequest("GET", "/api/v1/servers/localhost/zones/untrusted.test.", &body);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 404) << "nothing may reach a server that failed verification";
}

TEST_F(TlsTest, UnreadablePdnsCaFileIsAStartUpError) {
  auto dnsd = StartDnsd({absl::StrCat("--pdns_tls_ca_file=", pki_->File("nowhere.crt"))});
  ASSERT_FALSE(dnsd.ok());
  EXPECT_THAT(dnsd.status().message(), HasSubstr("--pdns_tls_ca_file"));
}

}  // namespace
}  // namespace dns::testing
