#include "medic/webhook/service.h"

#include "medic/webhook/history_api.h"

namespace medic::webhook {

WebhookService::WebhookService(const Config& config, Options options)
    : container_engine_(std::move(options.container_engine)),
      metrics_(std::make_shared<remediation::RemediationMetrics>(config)) {
  journal_ = std::make_unique<remediation::Journal>(
      config.journal,
      [metrics = metrics_](std::size_t writes) { metrics->CountJournalCommit(writes); });
  metrics_->WatchJournal([journal = journal_.get()] { return journal->Usage(); });
  remediation::StepRunner::Options runner_options;
  runner_options.engine = container_engine_.get();
  runner_options.notifiers = config.notifiers;
  runner_options.data_dir = config.data_dir;
  runner_options.metrics_text = std::move(options.metrics_text);
  runner_options.notify_base_delay = options.notify_base_delay;
  runner_ = std::make_unique<remediation::StepRunner>(std::move(runner_options));
  engine_ =
      std::make_unique<remediation::RemediationEngine>(config, *journal_, *metrics_, *runner_);
  handler_ = std::make_unique<WebhookHandler>(config.webhook.value_or(WebhookSettings{}), *engine_,
                                              *metrics_, std::move(options.login_throttle),
                                              config.journal.max_alert_bytes, config.fleet);
}

WebhookService::~WebhookService() {
  Stop();
  metrics_->WatchJournal({});
}

void WebhookService::Start() { engine_->Start(); }

void WebhookService::Stop() {
  if (engine_) engine_->Stop();
}

void WebhookService::HandleWebhook(const net::Request& request, net::Response& response) {
  handler_->Handle(request, response);
}

void WebhookService::HandleCircuitReset(const net::Request& request, net::Response& response) {
  handler_->HandleCircuitReset(request, response);
}

void WebhookService::HandleHistory(const net::Request& request, net::Response& response) {
  HandleRemediationHistory(*journal_, request, response);
}

}  // namespace medic::webhook
