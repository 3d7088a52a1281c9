#include "support/prometheus_server.h"

#include <filesystem>
#include <stdexcept>

namespace medic::test {

std::string UrlEncode(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

PrometheusServer::PrometheusServer(const std::string& config_yaml,
                                   const std::map<std::string, std::string>& rule_files)
    : port_(FreePort()) {
  dir_.Write("prometheus.yml", config_yaml);
  for (const auto& [name, content] : rule_files) dir_.Write(name, content);
  std::filesystem::create_directories(dir_.Join("data"));
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{
          "/usr/bin/prometheus", "--config.file=" + dir_.Join("prometheus.yml"),
          "--storage.tsdb.path=" + dir_.Join("data"),
          "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--web.enable-lifecycle"},
      Subprocess::Options{.stdout_path = dir_.Join("prometheus.log"),
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
