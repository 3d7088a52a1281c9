#pragma once

#include <prometheus/metric_family.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

// A source of metrics run by the CollectorRegistry on every scrape.
// Collect() may be called concurrently with other collectors, but never concurrently with
// itself: the registry does not start a second run while one is still going.
// Throwing marks the collector failed for this scrape (medic_scrape_collector_success 0);
// per-target failures that are themselves metrics (e.g. probe_success 0) should not throw.
class Collector {
 public:
  virtual ~Collector() = default;
  virtual std::string_view Name() const = 0;
  virtual std::vector<prometheus::MetricFamily> Collect() = 0;
  // Why the last collection was degraded without failing (e.g. "engine unreachable" behind
  // medic_docker_up 0); "" when all is well. Shown on the landing page next to the status.
  virtual std::string LastError() const { return {}; }
};

// Thrown by a collector whose whole collection failed; the message becomes its last error.
class CollectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace medic
