#pragma once

#include "medic/collector.h"
#include "medic/duration.h"
#include "medic/worker_pool.h"

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

// One Collect()'s output (the collectors' families and the per-collector scrape metrics), kept
// for readers that may show it instead of collecting again.
struct CollectedScrape {
  std::vector<prometheus::MetricFamily> families;
  // When the scrape started: its figures are at most this old.
  std::chrono::system_clock::time_point started_at{};
  std::chrono::steady_clock::time_point started{};  // for its age; immune to clock steps
};

// Runs every registered collector concurrently on each Collect(), each bounded by the timeout,
// and adds medic_scrape_collector_duration_seconds / medic_scrape_collector_success.
// A collector that throws or overruns reports success 0; the others still answer.
// The runs go to a pool of at most kMaxThreads threads created once per registry (not one
// thread per collector per scrape). Concurrent scrapes share one in-flight run per collector
// instead of starting another, so a hung collector holds one thread, never more: with up to
// kMaxThreads collectors the others always have a thread; with more, each hung one leaves one
// thread fewer for the rest, and a run still waiting for a thread at the deadline is reported
// as timed out like a slow one.
class CollectorRegistry : public prometheus::Collectable {
 public:
  static constexpr std::size_t kMaxThreads = 4;

  explicit CollectorRegistry(Duration timeout);
  ~CollectorRegistry() override;
  CollectorRegistry(const CollectorRegistry&) = delete;
  CollectorRegistry& operator=(const CollectorRegistry&) = delete;

  void Add(std::shared_ptr<Collector> collector);
  std::vector<prometheus::MetricFamily> Collect() const override;
  // The latest Collect()'s output if it started at most `max_age` ago; else collects now. For
  // the status page: a page view between scrapes shows the last scrape instead of running
  // every collector (and their network calls) again.
  std::shared_ptr<const CollectedScrape> Recent(Duration max_age) const;
  std::vector<CollectorStatus> Statuses() const;
  std::vector<std::string> Names() const;
  Duration timeout() const { return timeout_; }

 private:
  struct Entry;
  std::shared_ptr<const CollectedScrape> Scrape() const;

  Duration timeout_;
  std::vector<std::shared_ptr<Entry>> entries_;
  mutable std::mutex latest_mutex_;
  mutable std::shared_ptr<const CollectedScrape> latest_;  // guarded by latest_mutex_
  // Runs the collectors. A thread still inside a hung collector when the registry goes (a
  // reload) is left to finish; its task shares the entry it runs, so nothing it uses is freed.
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace medic
