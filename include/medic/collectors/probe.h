#pragma once

#include "medic/collector.h"
#include "medic/config.h"

#include <string>

namespace medic {

struct ProbeResult {
  bool success = false;
  int http_status = 0;  // 0 when no response arrived
  double duration_seconds = 0;
  std::string error;  // why it failed, for the log and the landing page
};

// Runs every target's HTTP(S) request concurrently (net::PerformAll), each bounded by its
// own timeout. Results are in the order of `targets`.
std::vector<ProbeResult> RunProbes(const std::vector<ProbeTarget>& targets);

// The module a configured probe target runs: blackbox's http_2xx with the target's method,
// expected status, timeout and TLS settings.
ProbeModule ProbeModuleFor(const ProbeTarget& target);

// The HTTP health probes of medic's config, with blackbox_exporter's names (RunBlackboxProbe)
// and the labels {target="<name>", module="http_2xx"} on every series: on /metrics Prometheus
// cannot set `instance` per target as a blackbox job's relabelling does. Replaces `curl -f
// https://…/health` and blackbox's http module for these targets.
class ProbeCollector : public Collector {
 public:
  explicit ProbeCollector(std::vector<ProbeTarget> targets);
  std::string_view Name() const override { return "probe"; }
  std::vector<prometheus::MetricFamily> Collect() override;

 private:
  std::vector<ProbeTarget> targets_;
};

}  // namespace medic
