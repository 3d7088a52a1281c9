#include "support/alertmanager.h"

#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <stdexcept>

namespace medic::test {

using namespace std::chrono_literals;
using nlohmann::json;

NotificationReceiver::NotificationReceiver() : port_(FreePort()) {
  server_.Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex_);
    bodies_.push_back(request.body);
    response.set_content("ok", "text/plain");
  });
  // Bound on this thread, so the listening socket is created and (by stop()) closed by the same
  // thread: httplib hands it between threads through an atomic TSan cannot see (uninstrumented).
  if (!server_.bind_to_port("127.0.0.1", port_)) {
    throw std::runtime_error("notification receiver: cannot bind 127.0.0.1:" +
                             std::to_string(port_));
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  WaitFor([this] { return server_.is_running(); }, 10s);
}

NotificationReceiver::~NotificationReceiver() {
  server_.stop();
  thread_.join();
}

std::string NotificationReceiver::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/services/T000/B000/XXXX";
}

std::vector<std::string> NotificationReceiver::bodies() {
  std::lock_guard lock(mutex_);
  return bodies_;
}

bool NotificationReceiver::Received(const std::string& needle) {
  for (const auto& body : bodies()) {
    if (body.find(needle) != std::string::npos) return true;
  }
  return false;
}

Alertmanager::Alertmanager(int medic_port, const std::string& token_file)
    : Alertmanager(
          "route:\n"
          "  receiver: medic\n"
          "  group_by: [alertname]\n"
          "  group_wait: 1s\n"
          "  group_interval: 1s\n"
          "  repeat_interval: 1h\n"
          "receivers:\n"
          "  - name: medic\n"
          "    webhook_configs:\n"
          "      - url: http://127.0.0.1:" +
          std::to_string(medic_port) + "/webhook\n" +
          "        send_resolved: true\n"
          "        http_config:\n"
          "          authorization:\n"
          "            credentials_file: " +
          token_file + "\n") {}

Alertmanager::Alertmanager(const std::string& config_yaml)
    : Alertmanager(config_yaml, {"--cluster.listen-address="}) {}

Alertmanager::Alertmanager(const std::string& config_yaml, std::vector<std::string> cluster_flags)
    : port_(FreePort()) {
  dir_.Write("alertmanager.yml", config_yaml);
  std::filesystem::create_directories(dir_.Join("data"));
  std::vector<std::string> argv{"/usr/bin/prometheus-alertmanager",
                                "--config.file=" + dir_.Join("alertmanager.yml"),
                                "--storage.path=" + dir_.Join("data"),
                                "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
  for (auto& flag : cluster_flags) argv.push_back(std::move(flag));
  process_ = std::make_unique<Subprocess>(
      argv,
      Subprocess::Options{.stdout_path = dir_.Join("am.log"), .stderr_path = dir_.Join("am.log")});
  const bool ready = WaitFor([&] { return HttpGet(port_, "/-/ready").status == 200; }, 60s);
  if (!ready) throw std::runtime_error("alertmanager not ready:\n" + Log());
}

Alertmanager::~Alertmanager() = default;

void Alertmanager::Fire(const json& labels, const json& annotations) {
  json alerts = json::array({{{"labels", labels}, {"annotations", annotations}}});
  const auto result = HttpPost(port_, "/api/v2/alerts", alerts.dump(), "application/json");
  REQUIRE(result.status == 200);
}

void Alertmanager::Resolve(const json& labels) {
  json alerts = json::array({{{"labels", labels}, {"endsAt", "2000-01-01T00:00:00Z"}}});
  REQUIRE(HttpPost(port_, "/api/v2/alerts", alerts.dump(), "application/json").status == 200);
}

json Alertmanager::Alerts(const std::string& alertname) const {
  json matching = json::array();
  const auto result = HttpGet(port_, "/api/v2/alerts");
  if (result.status != 200) return matching;
  const auto alerts = json::parse(result.body, nullptr, false);
  if (!alerts.is_array()) return matching;
  for (const auto& alert : alerts) {
    if (alert.contains("labels") && alert["labels"].value("alertname", "") == alertname) {
      matching.push_back(alert);
    }
  }
  return matching;
}

std::string Alertmanager::Log() const { return ReadFile(dir_.Join("am.log")); }

void Alertmanager::Kill() { process_->Stop(SIGKILL, 10s); }

double Alertmanager::Notifications(const std::string& integration) const {
  const auto metrics = HttpGet(port_, "/metrics");
  return FindSample(metrics.body, "alertmanager_notifications_total",
                    "integration=\"" + integration + "\"")
      .value_or(0);
}

}  // namespace medic::test
