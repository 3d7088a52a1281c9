#pragma once

#include "medic/tls/openssl_handles.h"

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace medic::tls {

// What medic exports about one certificate.
struct CertificateInfo {
  std::string subject;  // RFC 2253, e.g. "CN=leaf.test,O=medic"
  std::string issuer;
  std::string serial;     // upper-case hex, as `openssl x509 -serial` prints it
  double not_before = 0;  // Unix seconds
  double not_after = 0;
  // As blackbox_exporter (Go's crypto/x509) labels probe_ssl_last_chain_info: pkix.Name's
  // String() ("CN=leaf.test,O=medic": most specific first), the SHA-256 of the DER in lower-case
  // hex, and the DNS subject alternative names joined with ",".
  std::string go_subject;
  std::string go_issuer;
  std::string fingerprint_sha256;
  std::string dns_names;
};

// pkix.Name.String() of Go's crypto/x509 for `name`.
std::string GoNameString(const X509_NAME* name);

CertificateInfo DescribeCertificate(X509* certificate);

class CertificateLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads every certificate of a PEM file (a bundle may hold several). Refuses anything that is
// not a regular file (a FIFO would block, a device would never end) and files over `max_bytes`.
// Throws CertificateLoadError with a readable reason: missing, unreadable, not PEM, malformed.
std::vector<X509Ptr> LoadPemCertificates(const std::string& path, std::size_t max_bytes = 4 << 20);

// The PEM files of `path`: the file itself, or the *.pem/*.crt/*.cer files of a directory
// (not recursive, sorted). Throws CertificateLoadError when a directory cannot be listed.
std::vector<std::string> ExpandCertificatePaths(const std::string& path);

}  // namespace medic::tls
