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

// HTTP health probes; replaces `curl -f https://…/health` and blackbox_exporter's http module
// for these targets.
class ProbeCollector : public Collector {
 public:
  explicit ProbeCollector(std::vector<ProbeTarget> targets);
  std::string_view Name() const override { return "probe"; }
  std::vector<prometheus::MetricFamily> Collect() override;

 private:
  std::vector<ProbeTarget> targets_;
};

}  // namespace medic
