#pragma once

#include "medic/collector_registry.h"
#include "medic/collectors/logs.h"
#include "medic/config.h"
#include "medic/flags.h"
#include "medic/net/server.h"
#include "medic/webhook/service.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace medic {

// Everything that a configuration (re)load produces; swapped whole on reload.
struct Runtime {
  Config config;
  std::shared_ptr<CollectorRegistry> registry;
  std::shared_ptr<LogsCollector> logs;  // for /api/v1/offenders; null when logs are off
};

// The medic daemon: loads the configuration, serves /metrics, /, /-/healthy, /-/ready and
// /-/reload, reloads on SIGHUP, and stops gracefully on SIGTERM/SIGINT.
class App {
 public:
  explicit App(Flags flags);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Runs until a stop signal; returns the process exit code.
  int Run();

 private:
  Config LoadConfig() const;
  std::shared_ptr<Runtime> BuildRuntime(Config config) const;
  std::shared_ptr<const Runtime> runtime() const;
  struct ReloadOutcome {
    std::string error;                       // why the new configuration was rejected, or ""
    std::vector<std::string> needs_restart;  // settings that changed but wait for a restart
  };
  // Applies everything a running medic can change (collectors, thresholds, the web config
  // file's users, TLS material and headers, webhook credentials) at once, or nothing if any of
  // it is invalid.
  ReloadOutcome Reload();
  void RegisterRoutes();
  void WaitForSignals();
  std::string RenderMetrics() const;

  Flags flags_;
  mutable std::mutex runtime_mutex_;
  std::shared_ptr<const Runtime> runtime_;
  std::unique_ptr<net::HttpServer> server_;
  std::shared_ptr<web::LoginThrottle> login_throttle_;
  // What the process started with: the reference for settings only a restart changes.
  Config started_config_;
  std::vector<std::string> pending_restart_;  // guarded by runtime_mutex_
  // Built once (journal, remediation engine); survives reloads. Null without a webhook section.
  std::unique_ptr<webhook::WebhookService> webhook_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> last_reload_ok_{true};
  std::atomic<double> last_reload_success_seconds_{0};
  std::mutex reload_mutex_;
};

}  // namespace medic
