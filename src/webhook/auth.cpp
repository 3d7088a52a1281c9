#include "medic/webhook/auth.h"

#include "medic/secret_text.h"

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

}  // namespace

WebhookAuthenticator::WebhookAuthenticator(const WebhookSettings& settings)
    : bearer_token_(settings.bearer_token),
      basic_username_(settings.basic_username),
      basic_password_(settings.basic_password) {}

bool WebhookAuthenticator::Allows(std::string_view authorization) const {
  if (!Configured()) return false;
  authorization = TrimSpaces(authorization);
  if (!bearer_token_.empty() && StartsWithIgnoreCase(authorization, "bearer ")) {
    return SecretsEqual(TrimSpaces(authorization.substr(7)), bearer_token_);
  }
  if (!basic_username_.empty() && StartsWithIgnoreCase(authorization, "basic ")) {
    const auto decoded_text = DecodeBase64(TrimSpaces(authorization.substr(6)), 4096);
    if (!decoded_text) return false;
    const std::string& decoded = *decoded_text;
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    // Evaluate both comparisons so timing does not reveal which half was wrong.
    const bool user_ok = SecretsEqual(decoded.substr(0, colon), basic_username_);
    const bool password_ok = SecretsEqual(decoded.substr(colon + 1), basic_password_);
    return user_ok && password_ok;
  }
  return false;
}

}  // namespace medic::webhook
