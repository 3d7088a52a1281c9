#pragma once

#include "medic/config.h"
#include "medic/tls/certificate.h"
#include "medic/tls/openssl_handles.h"

#include <string>
#include <vector>

namespace medic::tls {

struct TlsProbeResult {
  bool handshake_ok = false;
  std::string error;                             // why the connection or handshake failed
  std::string tls_version;                       // "TLSv1.3"
  std::vector<CertificateInfo> presented_chain;  // as the server sent it, leaf first
  bool verify_ok = false;
  std::string verify_reason;  // readable: "expired", "self-signed", "unknown CA", …
  std::vector<CertificateInfo> verified_chain;  // leaf to trust anchor; empty unless verify_ok
  double duration_seconds = 0;
};

// A client context trusting `ca_file`, or the system store when it is empty. The handshake
// never aborts on a bad certificate (medic wants to see the chain either way); the verdict
// is read afterwards. Throws std::runtime_error when the CA file cannot be loaded.
SslCtxPtr NewProbeContext(const std::string& ca_file);

// Connects to `endpoint.address` and completes a TLS handshake, both non-blocking and bounded
// together by `endpoint.timeout`; sends SNI and checks the certificate against `server_name`
// (or the host when it is a name). Never throws for network or TLS failures.
TlsProbeResult ProbeTls(const CertEndpoint& endpoint, SSL_CTX* context);

// Opens a TCP connection to host:port within `timeout` and closes it: "" on success, else why
// not (resolve, refused, timed out). blackbox's tcp prober without TLS.
std::string ProbeTcpConnect(const std::string& address, Duration timeout);

// "expired", "not yet valid", "self-signed", "unknown CA", "hostname mismatch", or OpenSSL's
// own text for rarer errors.
std::string VerifyErrorReason(long code);

}  // namespace medic::tls
