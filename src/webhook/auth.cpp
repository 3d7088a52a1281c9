#include "medic/webhook/auth.h"

#include "medic/http/field_text.h"
#include "medic/secret_text.h"

#include <vector>

namespace medic::webhook {

using http::StartsWithIgnoreCase;
using http::TrimOptionalWhitespace;

WebhookAuthenticator::WebhookAuthenticator(const WebhookSettings& settings)
    : bearer_token_(settings.bearer_token),
      basic_username_(settings.basic_username),
      basic_password_(settings.basic_password) {}

bool WebhookAuthenticator::Allows(std::string_view authorization) const {
  if (!Configured()) return false;
  authorization = TrimOptionalWhitespace(authorization);
  if (!bearer_token_.empty() && StartsWithIgnoreCase(authorization, "bearer ")) {
    return SecretsEqual(TrimOptionalWhitespace(authorization.substr(7)), bearer_token_);
  }
  if (!basic_username_.empty() && StartsWithIgnoreCase(authorization, "basic ")) {
    const auto decoded_text = DecodeBase64(TrimOptionalWhitespace(authorization.substr(6)), 4096);
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
