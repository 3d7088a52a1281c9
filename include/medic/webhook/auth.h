#pragma once

#include "medic/config.h"

#include <string>
#include <string_view>

namespace medic::webhook {

// Checks the Authorization header of a webhook request against the configured bearer token
// and/or basic-auth pair. Refuses everything when no credential is configured: an
// unauthenticated remediation endpoint is never the default.
class WebhookAuthenticator {
 public:
  explicit WebhookAuthenticator(const WebhookSettings& settings);

  bool Configured() const { return !bearer_token_.empty() || !basic_username_.empty(); }
  // `authorization` is the raw header value ("" when absent).
  bool Allows(std::string_view authorization) const;

 private:
  std::string bearer_token_;
  std::string basic_username_;
  std::string basic_password_;
};

}  // namespace medic::webhook
