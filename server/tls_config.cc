#include "server/tls_config.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_context.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace dns {
namespace {

struct BioCloser {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Freer {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFreer {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioCloser>;
using X509Ptr = std::unique_ptr<X509, X509Freer>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFreer>;

// OpenSSL's reason for the last failure (never data from the file), and
// the error queue emptied for the next check.
std::string OpenSslReason() {
  unsigned long code = ERR_peek_last_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  ERR_clear_error();
  return reason == nullptr ? "no PEM data found" : reason;
}

absl::StatusOr<BioPtr> Open(const std::string& path, const std::string& flag) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": cannot read it (", std::strerror(errno), ")"));
  }
  BIO* bio = BIO_new_fp(file, BIO_CLOSE);
  if (bio == nullptr) {
    std::fclose(file);
    return absl::ResourceExhaustedError(absl::StrCat(flag, " ", path, ": out of memory"));
  }
  return BioPtr(bio);
}

// Refuses passphrase-protected keys instead of OpenSSL prompting on a
// terminal nobody watches.
int NoPassphrase(char*, int, int, void*) { return -1; }

absl::StatusOr<X509Ptr> ReadFirstCertificate(const std::string& path, const std::string& flag) {
  absl::StatusOr<BioPtr> bio = Open(path, flag);
  if (!bio.ok()) return bio.status();
  X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, NoPassphrase, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", path, ": not a PEM certificate (", OpenSslReason(), ")"));
  }
  return cert;
}

absl::Status CheckKeyFile(const std::string& path, X509* cert) {
  absl::StatusOr<BioPtr> bio = Open(path, "--tls_key_file");
  if (!bio.ok()) return bio.status();
  KeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key_file ", path,
                     ": not an unencrypted PEM private key (", OpenSslReason(), ")"));
  }
  if (X509_check_private_key(cert, key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key_file ", path, " is not the private key of the certificate in --tls_cert_file"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFlags(const TlsConfig& config) {
  if (!config.cert_file.empty() && config.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file is set but --tls_key_file is not: give both (PEM files) or neither");
  }
  if (config.cert_file.empty() && !config.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_key_file is set but --tls_cert_file is not: give both (PEM files) or neither");
  }
  if (config.mutual() && !config.enabled()) {
    return absl::InvalidArgumentError(
        "--tls_client_ca_file needs --tls_cert_file and --tls_key_file (mTLS is TLS with "
        "client certificates)");
  }
  if (config.enabled() && config.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_reload_interval must be at least 1s (got ",
                     absl::FormatDuration(config.reload_interval), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckCaFile(const std::string& path, const std::string& flag) {
  absl::StatusOr<BioPtr> bio = Open(path, flag);
  if (!bio.ok()) return bio.status();
  int certificates = 0;
  while (X509Ptr(PEM_read_bio_X509(bio->get(), nullptr, NoPassphrase, nullptr)) != nullptr) {
    ++certificates;
  }
  ERR_clear_error();  // the end of the file reads as an error
  if (certificates == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": holds no PEM certificate"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTlsConfig(const TlsConfig& config) {
  if (absl::Status flags = CheckTlsFlags(config); !flags.ok()) return flags;
  if (!config.enabled()) return absl::OkStatus();
  absl::StatusOr<X509Ptr> cert = ReadFirstCertificate(config.cert_file, "--tls_cert_file");
  if (!cert.ok()) return cert.status();
  if (absl::Status key = CheckKeyFile(config.key_file, cert->get()); !key.ok()) return key;
  if (config.mutual()) return CheckCaFile(config.client_ca_file, "--tls_client_ca_file");
  return absl::OkStatus();
}

const char* TransportMode(const TlsConfig& config) {
  if (!config.enabled()) return "plaintext";
  return config.mutual() ? "mTLS" : "TLS";
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsConfig& config) {
  if (absl::Status valid = ValidateTlsConfig(config); !valid.ok()) return valid;
  if (!config.enabled()) return grpc::InsecureServerCredentials();

  const auto refresh = static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(config.reload_interval)));
  // The watcher keeps serving the last good pair when a half-written or
  // mismatched pair is read, and picks up the new one at a later refresh.
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider;
  if (config.mutual()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.key_file, config.cert_file, config.client_ca_file, refresh);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.key_file, config.cert_file, refresh);
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (config.mutual()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (credentials == nullptr) {
    return absl::InternalError("gRPC refused the TLS server credentials");
  }
  Log(spdlog::level::info, "gRPC TLS configured",
      {{"mode", TransportMode(config)},
       {"cert_file", config.cert_file},
       {"key_file", config.key_file},
       {"client_ca_file", config.client_ca_file},
       {"reload_interval", absl::StrCat(refresh, "s")}});
  return credentials;
}

std::string ClientSubject(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return "";
  // Only present when the handshake verified a client certificate: dnsd
  // requests one only with --tls_client_ca_file, and then requires it.
  for (const char* property : {GRPC_X509_SUBJECT_PROPERTY_NAME, GRPC_X509_CN_PROPERTY_NAME}) {
    std::vector<grpc::string_ref> values = auth->FindPropertyValues(property);
    if (!values.empty()) return std::string(values.front().data(), values.front().size());
  }
  return "";
}

}  // namespace dns
