#include "medic/net/tls_server_context.h"

#include "medic/tls/go_tls_names.h"
#include "medic/tls/openssl_handles.h"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace medic::net {
namespace {

int TlsVersionConstant(const std::string& version) {
  if (version == "TLS10") return TLS1_VERSION;
  if (version == "TLS11") return TLS1_1_VERSION;
  if (version == "TLS13") return TLS1_3_VERSION;
  return TLS1_2_VERSION;
}

[[noreturn]] void Refused(const std::string& what) {
  throw std::runtime_error("TLS setup from the web config failed: " + what + ": " +
                           tls::TakeOpenSslErrors());
}

void ApplyCipherSuites(SSL_CTX& context, const std::vector<std::string>& names) {
  std::string tls12;
  std::string tls13;
  for (const auto& name : names) {
    const auto cipher = tls::CipherFromIanaName(name);
    if (!cipher) Refused("cipher_suites: unknown cipher suite " + name);
    std::string& list = cipher->tls13 ? tls13 : tls12;
    list += (list.empty() ? "" : ":") + cipher->name;
  }
  // Go applies cipher_suites to TLS 1.2 and below; a list naming TLS 1.3 suites sets those too.
  if (!tls12.empty() && SSL_CTX_set_cipher_list(&context, tls12.c_str()) != 1) {
    Refused("cipher_suites " + tls12);
  }
  if (!tls13.empty() && SSL_CTX_set_ciphersuites(&context, tls13.c_str()) != 1) {
    Refused("cipher_suites " + tls13);
  }
}

void ApplyCurves(SSL_CTX& context, const std::vector<std::string>& names) {
  std::string groups;
  for (const auto& name : names) {
    const auto group = tls::GroupFromGoCurveName(name);
    if (!group) Refused("curve_preferences: unknown curve " + name);
    groups += (groups.empty() ? "" : ":") + *group;
  }
  if (SSL_CTX_set1_groups_list(&context, groups.c_str()) != 1) {
    Refused("curve_preferences " + groups);
  }
}

void ApplyClientAuth(SSL_CTX& context, const TlsServerSettings& tls) {
  int mode = SSL_VERIFY_NONE;
  if (tls.client_auth_type == "RequestClientCert" ||
      tls.client_auth_type == "VerifyClientCertIfGiven") {
    mode = SSL_VERIFY_PEER;
  }
  if (tls.client_auth_type == "RequireAnyClientCert" ||
      tls.client_auth_type == "RequireAndVerifyClientCert") {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  if (!tls.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(&context, tls.client_ca_file.c_str(), nullptr) != 1) {
      Refused("client_ca_file " + tls.client_ca_file);
    }
    SSL_CTX_set_client_CA_list(&context, SSL_load_client_CA_file(tls.client_ca_file.c_str()));
  }
  // RequestClientCert and RequireAnyClientCert take any certificate, as in Go; only the Verify
  // types check it against the client CA.
  const bool verify_chain = tls.client_auth_type == "VerifyClientCertIfGiven" ||
                            tls.client_auth_type == "RequireAndVerifyClientCert";
  using VerifyCallback = int (*)(int, X509_STORE_CTX*);
  const VerifyCallback accept_any = [](int, X509_STORE_CTX*) { return 1; };
  SSL_CTX_set_verify(&context, mode, verify_chain ? nullptr : accept_any);
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> BuildTlsServerContext(const TlsServerSettings& tls) {
  auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  SSL_CTX& native = *context->native_handle();
  SSL_CTX_set_options(&native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // An idle or stalled TLS connection keeps no read and write buffers (about 34 KiB each).
  SSL_CTX_set_mode(&native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(&native, tls.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&native, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&native) != 1) {
    Refused("certificate " + tls.cert_file + " / key " + tls.key_file);
  }
  if (SSL_CTX_set_min_proto_version(&native, TlsVersionConstant(tls.min_version)) != 1) {
    Refused("min_version " + tls.min_version);
  }
  if (!tls.max_version.empty() &&
      SSL_CTX_set_max_proto_version(&native, TlsVersionConstant(tls.max_version)) != 1) {
    Refused("max_version " + tls.max_version);
  }
  if (!tls.cipher_suites.empty()) ApplyCipherSuites(native, tls.cipher_suites);
  if (!tls.curve_preferences.empty()) ApplyCurves(native, tls.curve_preferences);
  if (tls.prefer_server_cipher_suites) {
    SSL_CTX_set_options(&native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    SSL_CTX_clear_options(&native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  ApplyClientAuth(native, tls);
  return context;
}

}  // namespace medic::net
