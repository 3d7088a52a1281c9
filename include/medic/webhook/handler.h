#pragma once

#include "medic/config.h"
#include "medic/log_rate_limit.h"
#include "medic/remediation/engine.h"
#include "medic/remediation/remediation_metrics.h"
#include "medic/webhook/auth.h"
#include "medic/webhook/host_filter.h"

#include "medic/net/request.h"
#include "medic/net/response.h"
#include "medic/web/login_throttle.h"

#include <memory>
#include <mutex>
#include <optional>

namespace medic::webhook {

// POST /webhook. Answers with the status codes Alertmanager's retry logic needs:
// 200 only once every alert of the request is durably journaled; 400 (naming the bad field),
// 401, 413, 415 for requests a retry cannot fix; 503 only when persisting failed or the job
// queue is full, so the retry is useful. Never runs a remediation itself.
//
// With fleet: set, alerts about other hosts are answered 200 with the rest, counted
// (medic_alerts_ignored_total) and never journaled; a request with no alert of this host
// touches no journal at all.
class WebhookHandler {
 public:
  WebhookHandler(const WebhookSettings& settings, remediation::RemediationEngine& engine,
                 remediation::RemediationMetrics& metrics,
                 std::shared_ptr<web::LoginThrottle> login_throttle = nullptr,
                 std::size_t max_alert_bytes = JournalSettings{}.max_alert_bytes,
                 const std::optional<FleetSettings>& fleet = std::nullopt);

  // A reload: the credentials of `settings` and the fleet settings apply to the next request.
  // Path and body cap are fixed at start (the caller names them as needing a restart).
  void Reconfigure(const WebhookSettings& settings,
                   const std::optional<FleetSettings>& fleet = std::nullopt);

  void Handle(const net::Request& request, net::Response& response);
  // POST /api/v1/circuits/reset?target=NAME, with the webhook's credentials: turns auto-healing
  // of NAME back on (closes every open circuit of that target) and answers what was closed.
  void HandleCircuitReset(const net::Request& request, net::Response& response);

 private:
  // What fleet: decides, built once per (re)configuration and shared with requests in flight.
  struct FleetPolicy {
    std::optional<HostFilter> hosts;  // absent: every alert is this medic's
    remediation::ReplicaFolding folding;
  };
  std::shared_ptr<const FleetPolicy> Fleet() const;
  void SetFleet(const std::optional<FleetSettings>& fleet);
  // Drops the alerts that are not this medic's, counting them; returns how many went.
  std::size_t KeepOwnAlerts(const FleetPolicy& fleet, Notification& notification);

  void Reply(net::Response& response, int code, const nlohmann::json& body);
  // Whether the request carries the webhook's credentials; answers 401 or 429 when not.
  bool Authenticated(const net::Request& request, net::Response& response, const char* what);

  WebhookSettings settings_;
  WebhookAuthenticator authenticator_;
  std::shared_ptr<web::LoginThrottle> login_throttle_;
  std::size_t max_alert_bytes_;
  remediation::RemediationEngine& engine_;
  remediation::RemediationMetrics& metrics_;
  LogRateLimit no_credentials_log_{std::chrono::seconds(60)};
  LogRateLimit no_host_label_log_{std::chrono::seconds(60)};
  mutable std::mutex fleet_mutex_;
  std::shared_ptr<const FleetPolicy> fleet_;  // guarded by fleet_mutex_
};

}  // namespace medic::webhook
