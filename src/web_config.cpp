#include "medic/web_config.h"

#include "medic/config_node.h"
#include "medic/tls/go_tls_names.h"

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace medic {
namespace {

void CheckReadable(const ConfigNode& where, const std::string& path) {
  std::ifstream in(path);
  if (!in) where.Fail("cannot read \"" + path + "\"");
}

std::string TlsVersion(const ConfigNode& node) {
  static const std::set<std::string> kVersions{"TLS10", "TLS11", "TLS12", "TLS13"};
  std::string version = node.String();
  if (kVersions.count(version) == 0) node.Fail("unknown TLS version \"" + version + "\"");
  return version;
}

}  // namespace

int BcryptHashCost(const std::string& hash) {
  // "$2y$12$<53 characters>": the cost is the two digits between the second and third '$'.
  if (hash.size() < 7 || hash[3] != '$' || hash[6] != '$' ||
      !std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return -1;
  }
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

WebConfigFile ParseWebConfigText(const std::string& text, const std::string& source_name) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    // An empty file is what a reload sees mid-write, and reading it as "no users, no TLS" would
    // open every endpoint; a web config that wants neither says so with "{}".
    throw ConfigError(source_name +
                      ": the web configuration file is empty (write {} for no TLS "
                      "and no basic auth)");
  }
  YAML::Node document;
  try {
    document = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(source_name, error.mark.line + 1, error.mark.column + 1, "",
                      "invalid YAML: " + error.msg);
  }
  ConfigNode root(document, "", std::make_shared<const std::string>(source_name));
  WebConfigFile config;
  MapReader map(root);
  if (auto tls = map.Optional("tls_server_config")) {
    MapReader tls_map(*tls);
    config.tls_enabled = true;
    ConfigNode cert = tls_map.Required("cert_file");
    config.tls.cert_file = cert.NonEmptyString();
    CheckReadable(cert, config.tls.cert_file);
    ConfigNode key = tls_map.Required("key_file");
    config.tls.key_file = key.NonEmptyString();
    CheckReadable(key, config.tls.key_file);
    if (auto v = tls_map.Optional("client_auth_type")) {
      static const std::set<std::string> kTypes{"NoClientCert", "RequestClientCert",
                                                "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                                "RequireAndVerifyClientCert"};
      config.tls.client_auth_type = v->String();
      if (kTypes.count(config.tls.client_auth_type) == 0) {
        v->Fail("unknown client_auth_type \"" + config.tls.client_auth_type + "\"");
      }
    }
    if (auto v = tls_map.Optional("client_ca_file")) {
      config.tls.client_ca_file = v->String();
      CheckReadable(*v, config.tls.client_ca_file);
    }
    if ((config.tls.client_auth_type == "RequireAndVerifyClientCert" ||
         config.tls.client_auth_type == "VerifyClientCertIfGiven") &&
        config.tls.client_ca_file.empty()) {
      tls->Fail("client_auth_type " + config.tls.client_auth_type + " needs client_ca_file");
    }
    if (auto v = tls_map.Optional("min_version")) config.tls.min_version = TlsVersion(*v);
    if (auto v = tls_map.Optional("max_version")) config.tls.max_version = TlsVersion(*v);
    if (auto v = tls_map.Optional("cipher_suites")) {
      config.tls.cipher_suites = v->StringList();
      for (const auto& name : config.tls.cipher_suites) {
        if (!tls::CipherFromIanaName(name)) {
          v->Fail("unknown cipher suite \"" + name +
                  "\" (Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
        }
      }
    }
    if (auto v = tls_map.Optional("curve_preferences")) {
      config.tls.curve_preferences = v->StringList();
      for (const auto& name : config.tls.curve_preferences) {
        if (!tls::GroupFromGoCurveName(name)) {
          v->Fail("unknown curve \"" + name + "\" (CurveP256, CurveP384, CurveP521, X25519)");
        }
      }
    }
    if (auto v = tls_map.Optional("prefer_server_cipher_suites")) {
      config.tls.prefer_server_cipher_suites = v->Bool();
    }
    tls_map.Finish();
  }
  if (auto http_config = map.Optional("http_server_config")) {
    MapReader http_map(*http_config);
    if (auto v = http_map.Optional("headers")) config.headers = v->StringMap();
    http_map.Optional("http2");
    http_map.Finish();
  }
  if (auto users = map.Optional("basic_auth_users")) {
    config.basic_auth_users = users->StringMap();
    for (const auto& [user, hash] : config.basic_auth_users) {
      if (hash.rfind("$2y$", 0) != 0 && hash.rfind("$2b$", 0) != 0 && hash.rfind("$2a$", 0) != 0) {
        users->Fail("password of user \"" + user + "\" must be a bcrypt hash ($2y$...)");
      }
      const int cost = BcryptHashCost(hash);
      if (cost < kMinBcryptCost || cost > kMaxBcryptCost) {
        // Each failed login of any user costs one hash at the highest cost configured, and cost
        // 31 takes days: past 14 (about a second here) a login is a denial of service.
        std::string message = "password of user \"" + user + "\": bcrypt cost ";
        message += cost < 0 ? std::string("missing") : std::to_string(cost);
        message +=
            " is outside " + std::to_string(kMinBcryptCost) + ".." + std::to_string(kMaxBcryptCost);
        message += " (htpasswd -nBC 10 " + user + ")";
        users->Fail(message);
      }
    }
  }
  map.Finish();
  return config;
}

WebConfigFile LoadWebConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open web configuration file");
  std::stringstream content;
  content << in.rdbuf();
  return ParseWebConfigText(content.str(), path);
}

}  // namespace medic
