#pragma once

#include <map>
#include <string>
#include <vector>

namespace medic {

// exporter-toolkit's web configuration file (--web.config.file), the subset medic serves:
//   tls_server_config: {cert_file, key_file, client_auth_type, client_ca_file, min_version,
//     max_version, cipher_suites, curve_preferences, prefer_server_cipher_suites}
//   http_server_config: {headers: {Name: value}}
//   basic_auth_users: {username: bcrypt hash}
struct TlsServerSettings {
  std::string cert_file;
  std::string key_file;
  std::string client_auth_type = "NoClientCert";  // or RequireAndVerifyClientCert, ...
  std::string client_ca_file;
  std::string min_version = "TLS12";
  std::string max_version;  // empty: library maximum
  // Go's names (IANA cipher suite names; CurveP256, CurveP384, CurveP521, X25519), checked
  // against OpenSSL when the file is read. Empty: OpenSSL's defaults.
  std::vector<std::string> cipher_suites;
  std::vector<std::string> curve_preferences;
  bool prefer_server_cipher_suites = true;  // exporter-toolkit's default
};

struct WebConfigFile {
  bool tls_enabled = false;
  TlsServerSettings tls;
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> basic_auth_users;  // username -> bcrypt hash
};

// bcrypt costs a web config may use: every failed login costs one hash at the highest of them.
constexpr int kMinBcryptCost = 4;
constexpr int kMaxBcryptCost = 14;
// The cost of a "$2y$NN$..." hash; -1 when it has none.
int BcryptHashCost(const std::string& hash);

// Parses and validates; throws medic::ConfigError naming file, line and key on any problem
// (unknown key, unreadable cert/key, hash that is not bcrypt or of a cost outside 4..14, unknown
// TLS version, an empty file).
WebConfigFile LoadWebConfigFile(const std::string& path);
WebConfigFile ParseWebConfigText(const std::string& text, const std::string& source_name);

}  // namespace medic
