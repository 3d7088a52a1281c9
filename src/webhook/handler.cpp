#include "medic/webhook/handler.h"

#include "medic/alert/alert_size.h"
#include "medic/duration.h"
#include "medic/json_text.h"
#include "medic/net/field_text.h"
#include "medic/remediation/journal.h"
#include "medic/webhook/payload.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace medic::webhook {

namespace {

bool IsJsonContentType(const std::string& value) {
  const std::string_view media =
      net::TrimOptionalWhitespace(std::string_view(value).substr(0, value.find(';')));
  return net::AsciiLowercase(media) == "application/json";
}

std::string Peer(const net::Request& request) {
  return request.remote_addr + ":" + std::to_string(request.remote_port);
}

}  // namespace

WebhookHandler::WebhookHandler(const WebhookSettings& settings,
                               remediation::RemediationEngine& engine,
                               remediation::RemediationMetrics& metrics,
                               std::shared_ptr<web::LoginThrottle> login_throttle,
                               std::size_t max_alert_bytes,
                               const std::optional<FleetSettings>& fleet)
    : settings_(settings),
      authenticator_(settings),
      login_throttle_(login_throttle ? std::move(login_throttle)
                                     : std::make_shared<web::LoginThrottle>()),
      max_alert_bytes_(max_alert_bytes),
      engine_(engine),
      metrics_(metrics) {
  if (!authenticator_.Configured()) {
    spdlog::warn(
        "webhook: no bearer_token_file or basic_auth configured; every webhook request will be "
        "refused with 401 until a credential is set");
  }
  SetFleet(fleet);
}

void WebhookHandler::Reconfigure(const WebhookSettings& settings,
                                 const std::optional<FleetSettings>& fleet) {
  authenticator_.Reconfigure(settings);
  SetFleet(fleet);
}

void WebhookHandler::SetFleet(const std::optional<FleetSettings>& fleet) {
  auto policy = std::make_shared<FleetPolicy>();
  if (fleet) {
    policy->hosts.emplace(*fleet);
    std::string names;
    for (const auto& name : policy->hosts->names()) names += (names.empty() ? "" : ", ") + name;
    spdlog::info(
        "webhook: fleet: acting on alerts whose {} names {}; alerts without it are {}; replicas "
        "folded without labels [{}] within {}",
        fleet->host_label, names,
        fleet->without_host_label == FleetSettings::WithoutHostLabel::kAct ? "acted on" : "ignored",
        [&] {
          std::string labels;
          for (const auto& label : fleet->ignore_labels) {
            labels += (labels.empty() ? "" : ", ") + label;
          }
          return labels;
        }(),
        FormatDuration(fleet->replica_window));
  }
  policy->folding = remediation::ReplicaFolding::From(fleet);
  std::lock_guard lock(fleet_mutex_);
  fleet_ = std::move(policy);
}

std::shared_ptr<const WebhookHandler::FleetPolicy> WebhookHandler::Fleet() const {
  std::lock_guard lock(fleet_mutex_);
  return fleet_;
}

std::size_t WebhookHandler::KeepOwnAlerts(const FleetPolicy& fleet, Notification& notification) {
  if (!fleet.hosts) return 0;
  std::size_t other_host = 0;
  std::size_t no_label = 0;
  std::string unlabelled_alertname;
  auto& alerts = notification.alerts;
  alerts.erase(std::remove_if(alerts.begin(), alerts.end(),
                              [&](const Alert& alert) {
                                const auto verdict = fleet.hosts->Classify(alert.labels);
                                if (fleet.hosts->Acts(verdict)) return false;
                                if (verdict == HostFilter::Verdict::kOtherHost) {
                                  ++other_host;
                                } else {
                                  ++no_label;
                                  if (unlabelled_alertname.empty()) {
                                    unlabelled_alertname = alert.AlertName();
                                  }
                                }
                                return true;
                              }),
               alerts.end());
  if (other_host > 0) metrics_.CountIgnoredAlerts("other_host", other_host);
  if (no_label > 0) {
    metrics_.CountIgnoredAlerts("no_host_label", no_label);
    // An operator must learn why a rule's alerts never heal; sampled, any sender can cause it.
    std::uint64_t held_back = 0;
    if (no_host_label_log_.Allow(held_back)) {
      spdlog::warn(
          "webhook: ignored {} alert(s) without the label {} (e.g. {}; {} more such since the "
          "last line): with fleet: every medic gets them, so none acts; give the rule that "
          "label or set fleet.without_host_label: act on the one medic that should",
          no_label, fleet.hosts->host_label(), unlabelled_alertname.substr(0, 128), held_back);
    }
  }
  return other_host + no_label;
}

void WebhookHandler::Reply(net::Response& response, int code, const nlohmann::json& body) {
  metrics_.CountRequest(code);
  response.status = code;
  response.SetContent(JsonText(body) + "\n", "application/json");
}

bool WebhookHandler::Authenticated(const net::Request& request, net::Response& response,
                                   const char* what) {
  if (const auto wait = login_throttle_->Throttled(request.remote_addr, web::AuthRealm::kWebhook)) {
    // Debug only: a flood would write a line per request; medic_http_auth_failures_total counts.
    spdlog::debug("{}: throttled request from {} after failed logins", what, Peer(request));
    web::SetThrottledResponse(response, *wait);
    metrics_.CountRequest(429);
    return false;
  }
  if (authenticator_.Allows(request.Header("Authorization"))) return true;
  const bool had_credentials = request.HasHeader("Authorization");
  if (had_credentials) {
    login_throttle_->RecordFailure(request.remote_addr, web::AuthRealm::kWebhook);
  }
  // Bad credentials are throttled per peer, so their lines are bounded; a request without any
  // is anyone's to send, so its line is sampled (a misconfigured Alertmanager still shows up).
  std::uint64_t held_back = 0;
  if (had_credentials) {
    spdlog::warn("{}: refused request from {}: bad credentials", what, Peer(request));
  } else if (no_credentials_log_.Allow(held_back)) {
    spdlog::warn("{}: refused request from {}: no credentials ({} more such since the last line)",
                 what, Peer(request), held_back);
  }
  response.SetHeader("WWW-Authenticate", "Bearer realm=\"medic\"");
  Reply(response, 401, {{"error", "unauthorized"}});
  return false;
}

void WebhookHandler::Handle(const net::Request& request, net::Response& response) {
  if (!Authenticated(request, response, "webhook")) return;
  if (request.body.size() > settings_.max_body_bytes) {
    Reply(response, 413,
          {{"error",
            "request body larger than " + std::to_string(settings_.max_body_bytes) + " bytes"}});
    return;
  }
  if (!IsJsonContentType(request.Header("Content-Type"))) {
    Reply(response, 415, {{"error", "Content-Type must be application/json"}});
    return;
  }
  Notification notification;
  try {
    notification = ParseNotification(request.body);
  } catch (const PayloadError& error) {
    spdlog::info("webhook: bad payload from {}: {}", Peer(request), error.what());
    Reply(response, 400, {{"error", error.what()}});
    return;
  }
  const auto fleet = Fleet();
  const std::size_t ignored = KeepOwnAlerts(*fleet, notification);
  if (notification.alerts.empty()) {
    // Nothing of this host's: nothing to persist, so nothing a retry could help with.
    Reply(response, 200, {{"status", "ignored"}, {"alerts", 0}, {"ignored", ignored}});
    return;
  }
  const std::size_t capped = CapNotificationSize(notification, max_alert_bytes_);
  if (capped > 0) {
    metrics_.CountCappedAlerts(capped);
    spdlog::info("webhook: cut {} alert(s) of group {} to journal.max_alert_bytes ({} bytes)",
                 capped, notification.group_key, max_alert_bytes_);
  }
  if (notification.truncated_alerts > 0) {
    spdlog::warn("webhook: Alertmanager truncated {} alert(s) of group {} (max_alerts)",
                 notification.truncated_alerts, notification.group_key);
  }
  try {
    const auto result = engine_.Accept(notification, Peer(request), fleet->folding);
    std::size_t queued = 0;
    for (const auto& job : result.jobs) {
      if (job.outcome == remediation::IntakeOutcome::kQueued) ++queued;
    }
    Reply(response, 200,
          {{"status", "accepted"},
           {"notification_id", result.notification_id},
           {"alerts", notification.alerts.size()},
           {"ignored", ignored},
           {"jobs_queued", queued},
           {"jobs_cancelled", result.cancelled_remediations.size()}});
  } catch (const remediation::JournalFullError& error) {
    spdlog::error("webhook: {}; answering 503 so Alertmanager retries", error.what());
    response.SetHeader("Retry-After", "60");
    Reply(response, 503, {{"error", error.what()}});
  } catch (const remediation::QueueFullError& error) {
    spdlog::warn("webhook: {}; answering 503 so Alertmanager retries", error.what());
    response.SetHeader("Retry-After", "10");
    Reply(response, 503, {{"error", error.what()}});
  } catch (const std::exception& error) {
    spdlog::error("webhook: cannot journal notification: {}; answering 503", error.what());
    response.SetHeader("Retry-After", "5");
    Reply(response, 503, {{"error", "cannot persist the notification"}});
  }
}

void WebhookHandler::HandleCircuitReset(const net::Request& request, net::Response& response) {
  auto reply = [&response](int code, const nlohmann::json& body) {
    response.status = code;
    response.SetContent(JsonText(body) + "\n", "application/json");
  };
  if (!Authenticated(request, response, "circuit reset")) return;
  const std::string target = request.Param("target");
  if (target.empty()) {
    reply(400, {{"error", "name the target: POST /api/v1/circuits/reset?target=NAME"}});
    return;
  }
  const auto& targets = engine_.Targets();
  if (std::find(targets.begin(), targets.end(), target) == targets.end()) {
    std::string known;
    for (const auto& name : targets) known += (known.empty() ? "" : ", ") + name;
    reply(404, {{"error", "no target \"" + target + "\" in the targets allowlist (" +
                              (known.empty() ? std::string("empty") : known) + ")"}});
    return;
  }
  try {
    nlohmann::json closed = nlohmann::json::array();
    for (const auto& circuit : engine_.ResetCircuits(target)) {
      closed.push_back({{"remediation", circuit.remediation},
                        {"target", circuit.target},
                        {"opened_at", circuit.opened_at}});
    }
    spdlog::info("circuit reset for {} by {}: {} circuit(s) closed", target, Peer(request),
                 closed.size());
    reply(200, {{"target", target}, {"closed", std::move(closed)}});
  } catch (const std::exception& error) {
    spdlog::error("circuit reset for {} failed: {}", target, error.what());
    reply(503, {{"error", "cannot write the journal"}});
  }
}

}  // namespace medic::webhook
