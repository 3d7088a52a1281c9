#include "support/prometheus_server.h"

#include "medic/prometheus/query_client.h"

#include <filesystem>
#include <stdexcept>

namespace medic::test {

std::string UrlEncode(const std::string& value) { return prom::UrlEncode(value); }

PrometheusServer::PrometheusServer(const std::string& config_yaml,
                                   const std::map<std::string, std::string>& rule_files)
    : PrometheusServer(config_yaml, rule_files, Options{}) {}

PrometheusServer::PrometheusServer(const std::string& config_yaml,
                                   const std::map<std::string, std::string>& rule_files,
                                   const Options& options)
    : port_(FreePort()) {
  dir_.Write("prometheus.yml", config_yaml);
  for (const auto& [name, content] : rule_files) dir_.Write(name, content);
  std::filesystem::create_directories(dir_.Join("data"));
  if (!options.openmetrics_history.empty()) {
    dir_.Write("history.om", options.openmetrics_history);
    const auto loaded =
        RunCommand({"/usr/bin/promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                    dir_.Join("history.om"), dir_.Join("data")});
    if (loaded.exit_code != 0) {
      throw std::runtime_error("promtool could not load the history:\n" + loaded.output);
    }
  }
  std::vector<std::string> argv{
      "/usr/bin/prometheus", "--config.file=" + dir_.Join("prometheus.yml"),
      "--storage.tsdb.path=" + dir_.Join("data"),
      "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--web.enable-lifecycle"};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  process_ = std::make_unique<Subprocess>(
      argv, Subprocess::Options{.stdout_path = dir_.Join("prometheus.log"),
                                .stderr_path = dir_.Join("prometheus.log"),
                                .working_dir = dir_.path()});
  const bool ready =
      WaitFor([&] { return !process_->Running() || HttpGet(port_, "/-/ready").status == 200; },
              std::chrono::seconds(60));
  if (!ready || !process_->Running()) {
    throw std::runtime_error("prometheus did not become ready:\n" + Log());
  }
}

PrometheusServer::~PrometheusServer() = default;

nlohmann::json PrometheusServer::Query(const std::string& promql) const {
  const auto result = HttpGet(port_, "/api/v1/query?query=" + UrlEncode(promql));
  if (result.status == 0) return {{"status", "error"}, {"error", result.error}};
  return nlohmann::json::parse(result.body, nullptr, false);
}

nlohmann::json PrometheusServer::Alerts(const std::string& alertname) const {
  const auto result = HttpGet(port_, "/api/v1/alerts");
  nlohmann::json matching = nlohmann::json::array();
  if (result.status != 200) return matching;
  const auto body = nlohmann::json::parse(result.body, nullptr, false);
  if (body.is_discarded()) return matching;
  for (const auto& alert : body["data"]["alerts"]) {
    if (alert["labels"].value("alertname", "") == alertname) matching.push_back(alert);
  }
  return matching;
}

std::string PrometheusServer::Log() const { return ReadFile(dir_.Join("prometheus.log")); }

}  // namespace medic::test
