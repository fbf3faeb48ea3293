// TLS on dnsd's gRPC port: the flags' rules, start-up checks of the PEM
// files, the server credentials (re-reading the files so that a renewed
// certificate is served without a restart) and the verified client
// certificate's subject for the audit trail.
#ifndef DNS_SERVER_TLS_CONFIG_H_
#define DNS_SERVER_TLS_CONFIG_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace grpc {
class ServerContextBase;
class ServerCredentials;
}  // namespace grpc

namespace dns {

struct TlsConfig {
  // PEM certificate chain and private key; both or neither. Neither:
  // plaintext gRPC.
  std::string cert_file;
  std::string key_file;
  // PEM CA bundle: when set, every client must present a certificate it
  // signed (mTLS).
  std::string client_ca_file;
  // How often the three files are re-read (whole seconds, at least one).
  absl::Duration reload_interval = absl::Seconds(60);

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
  bool mutual() const { return !client_ca_file.empty(); }
};

// The flags' combinations and the reload interval, without touching files.
// Messages name the flags (--tls_cert_file, ...).
absl::Status CheckTlsFlags(const TlsConfig& config);

// CheckTlsFlags, then the files: readable, PEM, the key matching the
// certificate, the CA bundle holding a certificate. Errors name the file
// and never quote its contents.
absl::Status ValidateTlsConfig(const TlsConfig& config);

// A CA bundle given by `flag` (e.g. "--pdns_tls_ca_file") is readable and
// holds at least one PEM certificate.
absl::Status CheckCaFile(const std::string& path, const std::string& flag);

// "plaintext", "TLS" or "mTLS".
const char* TransportMode(const TlsConfig& config);

// Validated credentials for the gRPC port: insecure without a certificate,
// else TLS served from files watched every reload_interval (new
// connections get a renewed certificate), requiring and verifying client
// certificates when client_ca_file is set.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsConfig& config);

// The subject of the client certificate verified on this call's connection
// (mTLS), e.g. "CN=praho,O=Example"; empty without one.
std::string ClientSubject(const grpc::ServerContextBase& context);

}  // namespace dns

#endif  // DNS_SERVER_TLS_CONFIG_H_
