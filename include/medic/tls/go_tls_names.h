#pragma once

#include <optional>
#include <string>

namespace medic::tls {

// exporter-toolkit web configs name cipher suites and curves the way Go's crypto/tls does; these
// map them to what OpenSSL calls them, so a web config written for node_exporter means the same
// to medic. Cipher suites use their IANA names ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), which
// OpenSSL knows as standard names.
struct OpenSslCipher {
  std::string name;  // OpenSSL's ("ECDHE-RSA-AES128-GCM-SHA256")
  bool tls13 = false;
};
std::optional<OpenSslCipher> CipherFromIanaName(const std::string& iana_name);

// "CurveP256", "CurveP384", "CurveP521", "X25519" as OpenSSL group names.
std::optional<std::string> GroupFromGoCurveName(const std::string& go_name);

}  // namespace medic::tls
