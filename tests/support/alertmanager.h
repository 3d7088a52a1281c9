#pragma once

// Real Alertmanager (Debian's prometheus-alertmanager) and a local Slack-compatible receiver for
// tests; both on free loopback ports, stopped on destruction (Alertmanager by PID).

#include "support/test_support.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace medic::test {

// A local Slack-compatible incoming webhook that records the bodies it gets.
class NotificationReceiver {
 public:
  NotificationReceiver();
  ~NotificationReceiver();
  NotificationReceiver(const NotificationReceiver&) = delete;
  NotificationReceiver& operator=(const NotificationReceiver&) = delete;
  std::string url() const;
  std::vector<std::string> bodies();
  // Whether any body received so far contains `needle`.
  bool Received(const std::string& needle);

 private:
  int port_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> bodies_;
};

// prometheus-alertmanager with its own storage; clustering off unless cluster flags are given.
class Alertmanager {
 public:
  // The usual test route: everything to medic's /webhook with a bearer credentials_file,
  // group_wait 1s, send_resolved.
  Alertmanager(int medic_port, const std::string& token_file);
  // Any alertmanager.yml.
  explicit Alertmanager(const std::string& config_yaml);
  // A member of a cluster: `cluster_flags` are --cluster.* flags (listen address, peers,
  // timings) on 127.0.0.1 ports.
  Alertmanager(const std::string& config_yaml, std::vector<std::string> cluster_flags);
  ~Alertmanager();
  Alertmanager(const Alertmanager&) = delete;
  Alertmanager& operator=(const Alertmanager&) = delete;

  int port() const { return port_; }
  void Fire(const nlohmann::json& labels,
            const nlohmann::json& annotations = nlohmann::json::object());
  void Resolve(const nlohmann::json& labels);
  // Active alerts named `alertname` (GET /api/v2/alerts).
  nlohmann::json Alerts(const std::string& alertname) const;
  std::string Log() const;
  // SIGKILL, as a crashed member: no goodbye to its peers.
  void Kill();
  // alertmanager_notifications_total{integration} from its own /metrics (0 when absent).
  double Notifications(const std::string& integration) const;

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace medic::test
