#pragma once

#include "medic/config.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace medic::remediation {

// A message about a remediation, rendered for Slack-compatible incoming webhooks (text +
// attachment fields) or as medic's own JSON (the notifier's format, auto: by its URL).
struct NotificationMessage {
  std::string title;
  std::vector<std::pair<std::string, std::string>> fields;  // ordered: alert, target, steps...
  nlohmann::json alert;                                     // the alert itself, if any
};

// Slack, Mattermost and Rocket.Chat incoming webhooks share the Slack format; they are
// recognised by their URL shape.
bool IsSlackCompatibleUrl(const std::string& url);
// The notifier's format: slack, json, or for auto its URL's shape.
bool UsesSlackFormat(const NotifierSettings& settings);
nlohmann::json RenderNotification(const NotificationMessage& message, bool slack_format);

struct NotifyResult {
  bool delivered = false;
  int attempts = 0;
  std::string detail;
};

// POSTs the message, retrying failures (transport errors, 429, 5xx) with exponential backoff
// (base_delay, doubling) up to settings.attempts; each attempt bounded by settings.timeout.
NotifyResult SendNotification(
    const NotifierSettings& settings, const NotificationMessage& message,
    std::chrono::milliseconds base_delay = std::chrono::milliseconds(500));

}  // namespace medic::remediation
