#include "medic/remediation/notifier.h"

#include "medic/json_text.h"
#include "medic/net/curl_client.h"

#include <algorithm>
#include <thread>

namespace medic::remediation {

bool IsSlackCompatibleUrl(const std::string& url) {
  return url.find("hooks.slack.com/") != std::string::npos ||
         url.find("/services/") != std::string::npos || url.find("/hooks/") != std::string::npos;
}

bool UsesSlackFormat(const NotifierSettings& settings) {
  switch (settings.format) {
    case NotifierSettings::Format::kSlack:
      return true;
    case NotifierSettings::Format::kJson:
      return false;
    case NotifierSettings::Format::kAuto:
      break;
  }
  return IsSlackCompatibleUrl(settings.url);
}

nlohmann::json RenderNotification(const NotificationMessage& message, bool slack_format) {
  if (slack_format) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& [title, value] : message.fields) {
      fields.push_back({{"title", title}, {"value", value}, {"short", value.size() < 40}});
    }
    return {{"text", message.title},
            {"attachments", nlohmann::json::array(
                                {{{"fallback", message.title}, {"fields", std::move(fields)}}})}};
  }
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [title, value] : message.fields) fields[title] = value;
  return {{"source", "medic"},
          {"text", message.title},
          {"fields", std::move(fields)},
          {"alert", message.alert}};
}

NotifyResult SendNotification(const NotifierSettings& settings, const NotificationMessage& message,
                              std::chrono::milliseconds base_delay) {
  NotifyResult result;
  if (settings.url.empty()) {
    result.detail = "notifier " + settings.name + " has no URL";
    return result;
  }
  net::CurlRequest request;
  request.method = "POST";
  request.url = settings.url;
  request.headers = {"Content-Type: application/json"};
  request.body = JsonText(RenderNotification(message, UsesSlackFormat(settings)));
  request.timeout = settings.timeout;
  // Never followed: a redirect would carry the message to a host nobody configured.
  request.follow_redirects = false;
  auto delay = base_delay;
  const int attempts = std::max(1, settings.attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    result.attempts = attempt;
    const net::CurlResponse response = net::Perform(request);
    const bool answered = response.error.empty();
    if (answered && response.status >= 200 && response.status < 300) {
      result.delivered = true;
      result.detail = "delivered (HTTP " + std::to_string(response.status) + ")";
      return result;
    }
    // Never log the URL: for Slack it is the secret. `error` is libcurl's fixed text, which
    // never names it (error_detail may name the host).
    result.detail =
        answered ? "HTTP " + std::to_string(response.status) : "transport error: " + response.error;
    const bool retryable = !answered || response.status == 429 || response.status >= 500;
    if (!retryable || attempt == attempts) break;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(30000));
  }
  result.detail =
      "not delivered after " + std::to_string(result.attempts) + " attempt(s): " + result.detail;
  return result;
}

}  // namespace medic::remediation
