#pragma once

#include "medic/collector.h"
#include "medic/duration.h"

#include <prometheus/collectable.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace medic {

// What the landing page and /api show about one collector's latest run.
struct CollectorStatus {
  std::string name;
  bool ran = false;
  bool success = false;
  double duration_seconds = 0;
  std::string last_error;
  std::chrono::system_clock::time_point last_run{};
  // Scrapes that joined a run already in flight instead of starting another.
  std::uint64_t shared_runs = 0;
};

// Runs every registered collector concurrently on each Collect(), each bounded by the timeout,
// and adds medic_scrape_collector_duration_seconds / medic_scrape_collector_success.
// A collector that throws or overruns reports success 0; the others still answer.
// Concurrent scrapes share one in-flight run per collector instead of starting another, so a
// hung collector costs one thread, not one per scrape.
class CollectorRegistry : public prometheus::Collectable {
 public:
  explicit CollectorRegistry(Duration timeout);
  ~CollectorRegistry() override;
  CollectorRegistry(const CollectorRegistry&) = delete;
  CollectorRegistry& operator=(const CollectorRegistry&) = delete;

  void Add(std::shared_ptr<Collector> collector);
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::vector<CollectorStatus> Statuses() const;
  std::vector<std::string> Names() const;
  Duration timeout() const { return timeout_; }

 private:
  struct Entry;
  Duration timeout_;
  std::vector<std::shared_ptr<Entry>> entries_;
};

}  // namespace medic
