#include "medic/app.h"
#include "medic/json_text.h"

#include "medic/collector_factory.h"
#include "medic/collectors/logs.h"
#include "medic/collectors/process.h"
#include "medic/config_loader.h"
#include "medic/config_reload.h"
#include "medic/health/health.h"
#include "medic/metric_family_builder.h"
#include "medic/net/open_files_limit.h"
#include "medic/prometheus/text_exposition.h"
#include "medic/remediation/docker_container_engine.h"
#include "medic/version.h"
#include "medic/web/diagnostics_routes.h"
#include "medic/web/multi_target_routes.h"
#include "medic/web/status_routes.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>

namespace medic {
namespace {

// Each connection is a descriptor: the connection cap stays below what the process may open,
// with room for the journal, collectors, log files and engine connections.
net::ServerLimits ServerLimitsFrom(const WebSettings& web) {
  constexpr std::size_t kReservedDescriptors = 256;
  net::ServerLimits limits;
  limits.read_timeout = web.read_timeout;
  limits.write_timeout = web.write_timeout;
  limits.idle_timeout = web.idle_timeout;
  limits.tls_handshake_timeout = web.tls_handshake_timeout;
  limits.max_header_bytes = web.max_header_bytes;
  limits.max_header_fields = web.max_header_fields;
  limits.max_body_bytes = web.max_request_body_bytes;
  limits.max_connections = web.max_connections;
  limits.max_connections_per_peer = web.max_connections_per_peer;
  limits.worker_threads = web.worker_threads;
  limits.max_requests_per_peer = web.max_requests_per_peer;
  limits.probe_threads = web.max_concurrent_probes;
  const std::size_t open_files = net::RaiseOpenFilesLimit();
  // Half of a small limit stays for everything else: a limit of 300 must not go to sockets.
  const std::size_t reserved = std::min(kReservedDescriptors, open_files / 2);
  const std::size_t allowed = std::max<std::size_t>(16, open_files - reserved);
  if (open_files > 0 && limits.max_connections > allowed) {
    spdlog::warn(
        "web.max_connections {} is more than the open-files limit {} allows; serving at most {} "
        "(raise LimitNOFILE / ulimit -n)",
        limits.max_connections, open_files, allowed);
    limits.max_connections = allowed;
  }
  if (limits.max_connections_per_peer > limits.max_connections) {
    limits.max_connections_per_peer = limits.max_connections;
  }
  return limits;
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

sigset_t HandledSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  return signals;
}

}  // namespace

App::App(Flags flags) : flags_(std::move(flags)) {}

App::~App() = default;

Config App::LoadConfig() const {
  Config config =
      flags_.config_file.empty() ? LoadDefaultConfig() : LoadConfigFile(flags_.config_file);
  if (flags_.listen_address) config.web.listen_address = *flags_.listen_address;
  if (flags_.telemetry_path) config.web.telemetry_path = *flags_.telemetry_path;
  if (flags_.web_config_file) config.web.config_file = *flags_.web_config_file;
  if (flags_.dry_run) config.dry_run = true;
  ApplyCollectorOverrides(config.collectors, flags_.collectors);
  return config;
}

std::shared_ptr<Runtime> App::BuildRuntime(Config config) const {
  auto runtime = std::make_shared<Runtime>();
  runtime->registry = std::make_shared<CollectorRegistry>(config.collectors.timeout);
  for (auto& collector : BuildCollectors(config)) {
    if (auto logs = std::dynamic_pointer_cast<LogsCollector>(collector)) runtime->logs = logs;
    runtime->registry->Add(std::move(collector));
  }
  if (webhook_) runtime->registry->Add(webhook_->metrics());
  runtime->config = std::move(config);
  return runtime;
}

std::shared_ptr<const Runtime> App::runtime() const {
  std::lock_guard lock(runtime_mutex_);
  return runtime_;
}

App::ReloadOutcome App::Reload() {
  std::lock_guard reload_lock(reload_mutex_);
  ReloadOutcome outcome;
  try {
    Config config = LoadConfig();
    std::optional<WebConfigFile> web_config;
    if (!config.web.config_file.empty()) {
      web_config = LoadWebConfigFile(config.web.config_file);
    }
    outcome.needs_restart = SettingsNeedingRestart(started_config_, config);
    const std::optional<WebhookSettings> webhook_settings = config.webhook;
    const std::optional<FleetSettings> fleet_settings = config.fleet;
    const std::string web_config_file = config.web.config_file;
    // Everything that can fail is built before anything is swapped: a bad file changes nothing.
    auto next = BuildRuntime(std::move(config));
    std::vector<std::string> web_not_applied;
    try {
      web_not_applied = server_->ApplyWebConfig(std::move(web_config));
    } catch (const std::runtime_error& error) {
      throw std::runtime_error(web_config_file + ": " + error.what());
    }
    for (const auto& setting : web_not_applied) outcome.needs_restart.push_back(setting);
    if (webhook_ && webhook_settings) webhook_->Reconfigure(*webhook_settings, fleet_settings);
    {
      std::lock_guard lock(runtime_mutex_);
      runtime_ = std::move(next);
      pending_restart_ = outcome.needs_restart;
    }
    last_reload_ok_ = outcome.needs_restart.empty();
    if (outcome.needs_restart.empty()) {
      last_reload_success_seconds_ = NowSeconds();
      spdlog::info("reload: configuration reloaded from {}", runtime()->config.source_name);
    } else {
      std::string names;
      for (const auto& name : outcome.needs_restart) names += (names.empty() ? "" : ", ") + name;
      spdlog::warn("reload: applied {}, except settings that take effect only after a restart: {}",
                   runtime()->config.source_name, names);
    }
  } catch (const std::exception& error) {
    last_reload_ok_ = false;
    outcome.error = error.what();
    spdlog::error("reload: new configuration rejected, keeping the running one: {}", error.what());
  }
  return outcome;
}

std::string App::RenderMetrics() const {
  // Read the reload state before the runtime: Reload() swaps the runtime first, so a scrape
  // that reports a successful reload always shows the new configuration's collectors.
  const bool reload_ok = last_reload_ok_;
  const double reload_seconds = last_reload_success_seconds_;
  auto families = runtime()->registry->Collect();
  families.push_back(BuildInfoFamily());
  MetricFamilyBuilder::Gauge("medic_config_last_reload_successful",
                             "Whether the last configuration reload attempt was successful.")
      .Add(reload_ok ? 1 : 0)
      .MoveInto(families);
  MetricFamilyBuilder::Gauge("medic_config_last_reload_success_timestamp_seconds",
                             "Timestamp of the last successful configuration reload.")
      .Add(reload_seconds)
      .MoveInto(families);
  std::vector<std::string> pending;
  {
    std::lock_guard lock(runtime_mutex_);
    pending = pending_restart_;
  }
  auto restart = MetricFamilyBuilder::Gauge(
      "medic_config_restart_required",
      "1 for each setting of the configuration file that changed since start but takes effect "
      "only after a restart (medic_config_last_reload_successful is 0 while any is listed).");
  for (const auto& setting : pending) restart.Add(1, {{"setting", setting}});
  restart.MoveInto(families);
  if (login_throttle_) families.push_back(login_throttle_->Metrics());
  if (server_) {
    for (auto& family : server_->Metrics()) families.push_back(std::move(family));
  }
  return SerializeTextExposition(families);
}

void App::RegisterRoutes() {
  const std::string telemetry_path = runtime()->config.web.telemetry_path;
  server_->Handle("GET", telemetry_path, [this](const net::Request&, net::Response& res) {
    res.SetContent(RenderMetrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  web::RegisterStatusRoutes(*server_, [this, telemetry_path] {
    auto current = runtime();
    web::StatusPageModel model;
    model.version = kVersion;
    model.revision = kRevision;
    model.config_source = current->config.source_name;
    model.telemetry_path = telemetry_path;
    model.links = {{"/api/v1/status", "Status JSON"},
                   {"/api/v1/diagnostics", "Diagnostics bundles"},
                   {"/-/healthy", "Health"},
                   {"/-/ready", "Readiness"}};
    // A page view between scrapes shows the latest scrape rather than running every collector
    // (probes, TLS handshakes, engine calls) once more per view.
    const auto scrape = current->registry->Recent(current->config.web.status_max_age);
    model.families = scrape->families;
    model.collected_at =
        std::chrono::duration<double>(scrape->started_at.time_since_epoch()).count();
    model.collected_age_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - scrape->started).count();
    model.collectors = current->registry->Statuses();
    model.thresholds = current->config.thresholds;
    model.report =
        health::Evaluate(model.families, model.thresholds, NowSeconds(), model.collectors);
    if (webhook_) {
      try {
        auto& journal = webhook_->journal();
        const remediation::JournalUsage usage = journal.Usage();
        if (usage.full) {
          model.journal_full = "the journal is full (" + std::to_string(usage.used_bytes) +
                               " of journal.max_bytes " + std::to_string(usage.max_bytes) +
                               " bytes): new alerts are answered 503 and not healed until "
                               "queued or running jobs finish";
        }
        model.remediations = journal.History(20, 0);
        for (const auto& circuit : journal.OpenCircuits()) {
          Duration reset_after = 1h;
          for (const auto& remediation : current->config.remediations) {
            if (remediation.name == circuit.remediation)
              reset_after = remediation.circuit_reset_after;
          }
          model.open_circuits.push_back(
              {circuit.remediation, circuit.target, circuit.opened_at,
               circuit.opened_at + std::chrono::duration<double>(reset_after).count()});
        }
        for (const auto& target : current->config.targets) {
          model.medic_restarts_24h[target] = journal.RestartsSince(target, NowSeconds() - 86400);
        }
      } catch (const std::exception& error) {
        model.remediations_error = error.what();
      }
    }
    return model;
  });
  server_->Handle("GET", "/api/v1/offenders", [this](const net::Request&, net::Response& res) {
    const auto current = runtime();
    const nlohmann::json body =
        current->logs ? current->logs->OffendersJson() : nlohmann::json::object();
    res.SetContent(JsonText(body), "application/json");
  });
  web::RegisterDiagnosticsRoutes(*server_, [this] { return runtime()->config.data_dir; });
  web::RegisterMultiTargetRoutes(*server_, [this] {
    const auto current = runtime();
    return std::shared_ptr<const Config>(current, &current->config);
  });
  server_->Handle("GET", "/-/healthy",
                  [](const net::Request&, net::Response& res) {
                    res.SetContent("Healthy\n", "text/plain; charset=utf-8");
                  },
                  net::Access::kPublic, {.inline_handler = true});
  server_->Handle("GET", "/-/ready",
                  [this](const net::Request&, net::Response& res) {
                    if (ready_) {
                      res.SetContent("Ready\n", "text/plain; charset=utf-8");
                    } else {
                      res.status = 503;
                      res.SetContent("Not ready: first collection still running\n",
                                     "text/plain; charset=utf-8");
                    }
                  },
                  net::Access::kPublic, {.inline_handler = true});
  if (webhook_) {
    const std::string webhook_path = runtime()->config.webhook->path;
    // The webhook checks its own credentials (bearer/basic from the webhook section).
    server_->Handle(
        "POST", webhook_path,
        [this](const net::Request& req, net::Response& res) { webhook_->HandleWebhook(req, res); },
        net::Access::kPublic,
        {.max_body_bytes = runtime()->config.webhook->max_body_bytes, .priority = true});
    server_->Handle(
        "GET", "/api/v1/remediations",
        [this](const net::Request& req, net::Response& res) { webhook_->HandleHistory(req, res); });
    // Authenticated like the webhook: whoever may trigger healing may turn it back on.
    server_->Handle(
        "POST", "/api/v1/circuits/reset",
        [this](const net::Request& req, net::Response& res) {
          webhook_->HandleCircuitReset(req, res);
        },
        net::Access::kPublic);
  }
  server_->Handle("POST", "/-/reload", [this](const net::Request&, net::Response& res) {
    const ReloadOutcome outcome = Reload();
    if (!outcome.error.empty()) {
      res.status = 500;
      res.SetContent("failed to reload config: " + outcome.error + "\n",
                     "text/plain; charset=utf-8");
      return;
    }
    if (outcome.needs_restart.empty()) {
      res.SetContent("configuration reloaded\n", "text/plain; charset=utf-8");
      return;
    }
    std::string text =
        "configuration reloaded, except these settings, which take effect only after a "
        "restart:\n";
    for (const auto& setting : outcome.needs_restart) text += "  " + setting + "\n";
    res.SetContent(text, "text/plain; charset=utf-8");
  });
}

void App::WaitForSignals() {
  const sigset_t signals = HandledSignals();
  while (true) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      spdlog::info("received SIGHUP, reloading configuration");
      Reload();
      continue;
    }
    spdlog::info("received {}, shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    const Duration bound = runtime()->config.web.shutdown_timeout;
    // In-flight requests get `bound` to finish; past that, exit anyway rather than hang a deploy.
    std::thread([bound] {
      std::this_thread::sleep_for(bound);
      spdlog::error("shutdown did not finish within {}, exiting", FormatDuration(bound));
      std::_Exit(1);
    }).detach();
    server_->Stop();
    return;
  }
}

int App::Run() {
  // Block the handled signals in every thread; one thread takes them with sigwait.
  const sigset_t signals = HandledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer that hangs up mid-write (scraper, Redis, TLS endpoint) must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);

  Config loaded = LoadConfig();
  started_config_ = loaded;
  web::LoginThrottle::Options throttle;
  throttle.failures_per_minute = loaded.web.max_auth_failures_per_minute;
  for (const auto& network : loaded.web.auth_throttle_exempt) {
    if (auto parsed = web::IpNetwork::Parse(network)) throttle.exempt.push_back(*parsed);
  }
  login_throttle_ = std::make_shared<web::LoginThrottle>(std::move(throttle));
  if (loaded.webhook) {
    // Opening the journal checks its integrity: a damaged journal stops start-up here.
    webhook::WebhookService::Options webhook_options;
    webhook_options.container_engine = MakeRemediationContainerEngine(loaded.docker);
    webhook_options.metrics_text = [this] { return RenderMetrics(); };
    webhook_options.login_throttle = login_throttle_;
    webhook_ = std::make_unique<webhook::WebhookService>(loaded, std::move(webhook_options));
  }
  auto initial = BuildRuntime(std::move(loaded));
  runtime_ = initial;
  last_reload_success_seconds_ = NowSeconds();
  const Config& config = initial->config;

  net::ServerOptions options;
  options.listen_address = config.web.listen_address;
  options.limits = ServerLimitsFrom(config.web);
  options.login_throttle = login_throttle_;
  if (!config.web.config_file.empty()) {
    options.web_config = LoadWebConfigFile(config.web.config_file);
  }
  server_ = std::make_unique<net::HttpServer>(std::move(options));
  RegisterRoutes();
  server_->Bind();
  spdlog::info("medic {} (revision {}) listening on {}://{}; metrics at {}, config {}", kVersion,
               kRevision, server_->tls() ? "https" : "http", config.web.listen_address,
               config.web.telemetry_path, config.source_name);

  std::thread first_collection([this] {
    runtime()->registry->Collect();
    ready_ = true;
  });
  if (webhook_) webhook_->Start();  // resumes journaled work before new work arrives
  std::thread signal_waiter([this] { WaitForSignals(); });
  server_->Serve();
  signal_waiter.join();
  if (webhook_) webhook_->Stop();
  first_collection.join();
  spdlog::info("medic stopped");
  return 0;
}

}  // namespace medic
