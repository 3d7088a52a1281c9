#pragma once

// A real Prometheus server (Debian's `prometheus`) for end-to-end tests: its own config, rule
// files and TSDB under a TempDir, listening on a free loopback port, stopped by PID.

#include "support/test_support.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace medic::test {

class PrometheusServer {
 public:
  struct Options {
    // OpenMetrics text (timestamps in unix seconds, "# EOF" last) loaded into the TSDB with
    // `promtool tsdb create-blocks-from openmetrics` before Prometheus starts: history that is
    // the same on every run, without waiting for scrapes.
    std::string openmetrics_history;
    std::vector<std::string> extra_args;  // e.g. "--query.max-samples=10"
  };

  // `config_yaml` is prometheus.yml; files in `rule_files` (name -> content) are written next to
  // it, so the config can reference them by bare name.
  PrometheusServer(const std::string& config_yaml,
                   const std::map<std::string, std::string>& rule_files = {});
  PrometheusServer(const std::string& config_yaml,
                   const std::map<std::string, std::string>& rule_files, const Options& options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  int port() const { return port_; }
  // GET /api/v1/query?query=…; returns the parsed JSON answer (status, data or error).
  nlohmann::json Query(const std::string& promql) const;
  // Alerts from /api/v1/alerts with the given alertname and state ("pending"/"firing").
  nlohmann::json Alerts(const std::string& alertname) const;
  std::string Log() const;

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& value);

}  // namespace medic::test
