#pragma once

#include "medic/config.h"
#include "medic/remediation/container_engine.h"
#include "medic/remediation/engine.h"
#include "medic/remediation/journal.h"
#include "medic/remediation/remediation_metrics.h"
#include "medic/remediation/step_runner.h"
#include "medic/webhook/handler.h"

#include "medic/net/request.h"
#include "medic/net/response.h"

#include <functional>
#include <memory>

namespace medic::webhook {

// Everything behind POST /webhook, built once per process: the journal (opened and checked
// here, so a damaged journal stops start-up), the metrics, the step runner, the remediation
// engine and the HTTP handlers. Lives for the whole process; a config reload does not
// rebuild it (the journal and running jobs must not be torn down).
class WebhookService {
 public:
  struct Options {
    std::unique_ptr<remediation::ContainerEngine> container_engine;  // may be null
    std::function<std::string()> metrics_text;  // medic's exposition, for diagnostics bundles
    std::chrono::milliseconds notify_base_delay{500};
    std::shared_ptr<web::LoginThrottle> login_throttle;  // shared with the web server
  };

  // Throws remediation::JournalOpenError when the journal is damaged.
  WebhookService(const Config& config, Options options);
  ~WebhookService();

  void Start();
  void Stop();

  void HandleWebhook(const net::Request& request, net::Response& response);
  void HandleHistory(const net::Request& request, net::Response& response);
  void HandleCircuitReset(const net::Request& request, net::Response& response);
  // A reload: new webhook credentials and fleet settings apply to the next request.
  void Reconfigure(const WebhookSettings& settings, const std::optional<FleetSettings>& fleet) {
    handler_->Reconfigure(settings, fleet);
  }

  std::shared_ptr<remediation::RemediationMetrics> metrics() const { return metrics_; }
  remediation::Journal& journal() { return *journal_; }
  remediation::RemediationEngine& engine() { return *engine_; }

 private:
  std::unique_ptr<remediation::ContainerEngine> container_engine_;
  std::shared_ptr<remediation::RemediationMetrics> metrics_;
  std::unique_ptr<remediation::Journal> journal_;
  std::unique_ptr<remediation::StepRunner> runner_;
  std::unique_ptr<remediation::RemediationEngine> engine_;
  std::unique_ptr<WebhookHandler> handler_;
};

}  // namespace medic::webhook
