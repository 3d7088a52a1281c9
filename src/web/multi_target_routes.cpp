#include "medic/web/multi_target_routes.h"

#include "medic/collectors/blackbox_probe.h"
#include "medic/collectors/redis_scrape.h"
#include "medic/prometheus/text_exposition.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace medic::web {
namespace {

constexpr auto kContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr auto kPlainText = "text/plain; charset=utf-8";
constexpr Duration kDefaultTimeout = std::chrono::seconds(10);
// blackbox's --timeout-offset default: time left for medic to answer after the probe.
constexpr double kTimeoutOffsetSeconds = 0.5;

void Refuse(net::Response& res, int status, const std::string& message) {
  res.status = status;
  res.SetContent(message + "\n", kPlainText);
}

}  // namespace

Duration ProbeTimeout(Duration configured, const net::Request& request) {
  Duration timeout = configured.count() > 0 ? configured : Duration(0);
  const std::string header = request.Header("X-Prometheus-Scrape-Timeout-Seconds");
  double seconds = 0;
  const auto [end, error] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (!header.empty() && error == std::errc() && end == header.data() + header.size() &&
      std::isfinite(seconds) && seconds > 0) {
    const Duration from_header = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(std::max(seconds - kTimeoutOffsetSeconds, 0.1)));
    timeout = timeout.count() > 0 ? std::min(timeout, from_header) : from_header;
  }
  return timeout.count() > 0 ? timeout : kDefaultTimeout;
}

void RegisterMultiTargetRoutes(net::HttpServer& server,
                               const std::function<std::shared_ptr<const Config>()>& config) {
  const net::RouteOptions on_probe_workers{.probe = true};
  server.Handle(
      "GET", "/probe",
      [config](const net::Request& req, net::Response& res) {
        const auto current = config();
        const std::string module_name = req.HasParam("module") ? req.Param("module") : "http_2xx";
        const auto module = current->modules.find(module_name);
        if (module == current->modules.end()) {
          Refuse(res, 400, "Unknown module \"" + module_name + "\"");
          return;
        }
        const std::string target = req.Param("target");
        if (target.empty()) {
          Refuse(res, 400, "Target parameter is missing");
          return;
        }
        const BlackboxProbeOutcome outcome =
            RunBlackboxProbe(module->second, target, ProbeTimeout(module->second.timeout, req), {});
        if (!outcome.success) {
          spdlog::debug("probe {} with module {} failed: {}", target, module_name, outcome.error);
        }
        res.SetContent(SerializeTextExposition(outcome.families), kContentType);
      },
      net::Access::kProtected, on_probe_workers);
  server.Handle(
      "GET", "/scrape",
      [config](const net::Request& req, net::Response& res) {
        const auto current = config();
        const std::string target = req.Param("target");
        if (target.empty()) {
          Refuse(res, 400, "'target' parameter must be specified");
          return;
        }
        const RedisSettings* configured =
            current->collectors.redis ? &*current->collectors.redis : nullptr;
        RedisSettings settings;
        try {
          settings = RedisSettingsForTarget(target, configured);
        } catch (const std::invalid_argument& error) {
          // The message never holds the password; the target itself may, so it is not echoed.
          Refuse(res, 400, std::string("Invalid 'target' parameter: ") + error.what());
          return;
        }
        RedisConnection connection(settings);
        RedisScrapeOutcome outcome = ScrapeRedis(connection, ProbeTimeout(settings.timeout, req));
        if (!outcome.up) spdlog::debug("scrape of {} failed: {}", settings.address, outcome.error);
        res.SetContent(SerializeTextExposition(outcome.families), kContentType);
      },
      net::Access::kProtected, on_probe_workers);
}

}  // namespace medic::web
