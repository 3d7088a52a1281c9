#include "medic/tls/go_tls_names.h"

#include "medic/tls/openssl_handles.h"

#include <openssl/ssl.h>

#include <map>
#include <mutex>
#include <string_view>

namespace medic::tls {
namespace {

// Every cipher this OpenSSL build has, by IANA name, read once from OpenSSL itself rather than
// kept as a table of our own that could drift from the library.
const std::map<std::string, OpenSslCipher, std::less<>>& CiphersByIanaName() {
  static const auto table = [] {
    std::map<std::string, OpenSslCipher, std::less<>> ciphers;
    const SslCtxPtr context(SSL_CTX_new(TLS_method()));
    if (!context) return ciphers;
    // Security level 0 lists what a stricter level hides; the level in force still applies.
    SSL_CTX_set_cipher_list(context.get(), "ALL:COMPLEMENTOFALL:@SECLEVEL=0");
    const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(context.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(list); ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(list, i);
      const char* standard = SSL_CIPHER_standard_name(cipher);
      if (standard == nullptr) continue;
      ciphers[standard] =
          OpenSslCipher{SSL_CIPHER_get_name(cipher),
                        std::string_view(SSL_CIPHER_get_version(cipher)) == "TLSv1.3"};
    }
    return ciphers;
  }();
  return table;
}

}  // namespace

std::optional<OpenSslCipher> CipherFromIanaName(const std::string& iana_name) {
  const auto& ciphers = CiphersByIanaName();
  const auto found = ciphers.find(iana_name);
  if (found == ciphers.end()) return std::nullopt;
  return found->second;
}

std::optional<std::string> GroupFromGoCurveName(const std::string& go_name) {
  static const std::map<std::string, std::string, std::less<>> kGroups{
      {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
  const auto found = kGroups.find(go_name);
  if (found == kGroups.end()) return std::nullopt;
  return found->second;
}

}  // namespace medic::tls
