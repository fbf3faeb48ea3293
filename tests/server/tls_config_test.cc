// The TLS flags' rules and the start-up checks of the PEM files, on files
// written into a temporary directory (certificates made in-process).
#include "server/tls_config.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dns {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A self-signed certificate and its key as PEM.
struct Pem {
  std::string cert;
  std::string key;
};

Pem SelfSigned(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  auto to_string = [](BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(size));
    BIO_free(bio);
    return out;
  };
  BIO* cert_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cert_bio, cert);
  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  Pem pem{to_string(cert_bio), to_string(key_bio)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return pem;
}

class TlsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "tls_config_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Pem a = SelfSigned("dnsd-a");
    Pem b = SelfSigned("dnsd-b");
    cert_ = Write("a.crt", a.cert);
    key_ = Write("a.key", a.key);
    key_text_ = a.key;
    other_key_ = Write("b.key", b.key);
    ca_ = Write("ca.crt", b.cert + a.cert);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  TlsConfig Config() {
    TlsConfig c;
    c.cert_file = cert_;
    c.key_file = key_;
    return c;
  }

  std::string dir_, cert_, key_, key_text_, other_key_, ca_;
};

TEST_F(TlsConfigTest, NoCertificateIsPlaintext) {
  TlsConfig c;
  EXPECT_TRUE(ValidateTlsConfig(c).ok());
  EXPECT_STREQ(TransportMode(c), "plaintext");
  auto credentials = MakeServerCredentials(c);
  ASSERT_TRUE(credentials.ok());
  EXPECT_NE(*credentials, nullptr);
}

TEST_F(TlsConfigTest, CertificateWithoutKeyNamesTheMissingFlag) {
  TlsConfig c;
  c.cert_file = cert_;
  absl::Status s = CheckTlsFlags(c);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("--tls_key_file"));
  c.cert_file.clear();
  c.key_file = key_;
  s = CheckTlsFlags(c);
  EXPECT_THAT(s.message(), HasSubstr("--tls_cert_file is not"));
}

TEST_F(TlsConfigTest, ClientCaNeedsAServerCertificate) {
  TlsConfig c;
  c.client_ca_file = ca_;
  absl::Status s = CheckTlsFlags(c);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("--tls_client_ca_file needs --tls_cert_file"));
}

TEST_F(TlsConfigTest, ReloadIntervalBelowASecondIsRefused) {
  TlsConfig c = Config();
  c.reload_interval = absl::Milliseconds(500);
  EXPECT_THAT(CheckTlsFlags(c).message(), HasSubstr("--tls_reload_interval"));
  c.reload_interval = absl::Seconds(1);
  EXPECT_TRUE(CheckTlsFlags(c).ok());
}

TEST_F(TlsConfigTest, GoodFilesGiveTlsAndMtls) {
  TlsConfig c = Config();
  EXPECT_TRUE(ValidateTlsConfig(c).ok()) << ValidateTlsConfig(c);
  EXPECT_STREQ(TransportMode(c), "TLS");
  auto credentials = MakeServerCredentials(c);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_NE(*credentials, nullptr);
  c.client_ca_file = ca_;
  EXPECT_TRUE(ValidateTlsConfig(c).ok()) << ValidateTlsConfig(c);
  EXPECT_STREQ(TransportMode(c), "mTLS");
}

TEST_F(TlsConfigTest, MissingFileIsNamed) {
  TlsConfig c = Config();
  c.cert_file = dir_ + "/missing.crt";
  absl::Status s = ValidateTlsConfig(c);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("--tls_cert_file " + c.cert_file));
  EXPECT_THAT(s.message(), HasSubstr("No such file"));
}

TEST_F(TlsConfigTest, KeyGivenAsCertificateIsRefusedWithoutQuotingIt) {
  TlsConfig c = Config();
  c.cert_file = key_;  // the key where the certificate belongs
  absl::Status s = ValidateTlsConfig(c);
  EXPECT_THAT(s.message(), HasSubstr("not a PEM certificate"));
  EXPECT_THAT(s.message(), Not(HasSubstr("PRIVATE KEY")));
  EXPECT_THAT(s.message(), Not(HasSubstr(key_text_.substr(40, 20))));
}

TEST_F(TlsConfigTest, KeyOfAnotherCertificateIsRefused) {
  TlsConfig c = Config();
  c.key_file = other_key_;
  absl::Status s = ValidateTlsConfig(c);
  EXPECT_THAT(s.message(), HasSubstr("is not the private key of the certificate"));
}

TEST_F(TlsConfigTest, GarbageKeyIsRefusedWithoutQuotingIt) {
  TlsConfig c = Config();
  const std::string secret = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n";
  c.key_file = Write("bad.key", secret);
  absl::Status s = ValidateTlsConfig(c);
  EXPECT_THAT(s.message(), HasSubstr("--tls_key_file " + c.key_file));
  EXPECT_THAT(s.message(), HasSubstr("not an unencrypted PEM private key"));
  EXPECT_THAT(s.message(), Not(HasSubstr("c2VjcmV0")));
}

TEST_F(TlsConfigTest, CaFileWithoutCertificatesIsRefused) {
  EXPECT_TRUE(CheckCaFile(ca_, "--pdns_tls_ca_file").ok());
  absl::Status s = CheckCaFile(Write("empty.pem", "nothing here\n"), "--pdns_tls_ca_file");
  EXPECT_THAT(s.message(), HasSubstr("--pdns_tls_ca_file"));
  EXPECT_THAT(s.message(), HasSubstr("holds no PEM certificate"));
  TlsConfig c = Config();
  c.client_ca_file = dir_ + "/empty.pem";
  EXPECT_THAT(ValidateTlsConfig(c).message(), HasSubstr("--tls_client_ca_file"));
}

}  // namespace
}  // namespace dns
