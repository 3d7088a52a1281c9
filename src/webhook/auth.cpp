#include "medic/webhook/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <vector>

namespace medic::webhook {

namespace {

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    char p = prefix[i];
    if (p >= 'A' && p <= 'Z') p = static_cast<char>(p - 'A' + 'a');
    if (c != p) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Strict base64 decode; returns false on malformed input.
bool DecodeBase64(std::string_view encoded, std::string& out) {
  if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > 4096) return false;
  std::vector<unsigned char> buffer(encoded.size() / 4 * 3 + 1);
  const int length =
      EVP_DecodeBlock(buffer.data(), reinterpret_cast<const unsigned char*>(encoded.data()),
                      static_cast<int>(encoded.size()));
  if (length < 0) return false;
  std::size_t padding = 0;
  if (encoded.back() == '=') ++padding;
  if (encoded.size() >= 2 && encoded[encoded.size() - 2] == '=') ++padding;
  out.assign(reinterpret_cast<const char*>(buffer.data()),
             static_cast<std::size_t>(length) - padding);
  return true;
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

WebhookAuthenticator::WebhookAuthenticator(const WebhookSettings& settings)
    : bearer_token_(settings.bearer_token),
      basic_username_(settings.basic_username),
      basic_password_(settings.basic_password) {}

bool WebhookAuthenticator::Allows(std::string_view authorization) const {
  if (!Configured()) return false;
  authorization = TrimSpaces(authorization);
  if (!bearer_token_.empty() && StartsWithIgnoreCase(authorization, "bearer ")) {
    return ConstantTimeEquals(TrimSpaces(authorization.substr(7)), bearer_token_);
  }
  if (!basic_username_.empty() && StartsWithIgnoreCase(authorization, "basic ")) {
    std::string decoded;
    if (!DecodeBase64(TrimSpaces(authorization.substr(6)), decoded)) return false;
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    // Evaluate both comparisons so timing does not reveal which half was wrong.
    const bool user_ok = ConstantTimeEquals(decoded.substr(0, colon), basic_username_);
    const bool password_ok = ConstantTimeEquals(decoded.substr(colon + 1), basic_password_);
    return user_ok && password_ok;
  }
  return false;
}

}  // namespace medic::webhook
