#include "medic/collector_registry.h"

#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>

#include <future>

namespace medic {
namespace {

struct Outcome {
  std::vector<prometheus::MetricFamily> families;
  bool success = false;
  std::string error;
  double duration_seconds = 0;
};

}  // namespace

struct CollectorRegistry::Entry {
  std::shared_ptr<Collector> collector;
  std::string name;
  std::mutex mutex;
  std::shared_future<Outcome> in_flight;  // guarded by mutex
  std::chrono::steady_clock::time_point in_flight_started;
  bool running = false;    // the in-flight run has a thread (else it waits for one); guarded
  CollectorStatus status;  // guarded by mutex
};

CollectorRegistry::CollectorRegistry(Duration timeout)
    : timeout_(timeout), pool_(std::make_unique<WorkerPool>(kMaxThreads)) {}

CollectorRegistry::~CollectorRegistry() = default;

void CollectorRegistry::Add(std::shared_ptr<Collector> collector) {
  auto entry = std::make_shared<Entry>();
  entry->name = std::string(collector->Name());
  entry->status.name = entry->name;
  entry->collector = std::move(collector);
  entries_.push_back(std::move(entry));
}

std::vector<std::string> CollectorRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& entry : entries_) names.push_back(entry->name);
  return names;
}

std::vector<CollectorStatus> CollectorRegistry::Statuses() const {
  std::vector<CollectorStatus> statuses;
  for (const auto& entry : entries_) {
    std::lock_guard lock(entry->mutex);
    statuses.push_back(entry->status);
  }
  return statuses;
}

std::vector<prometheus::MetricFamily> CollectorRegistry::Collect() const {
  return Scrape()->families;
}

std::shared_ptr<const CollectedScrape> CollectorRegistry::Recent(Duration max_age) const {
  {
    std::lock_guard lock(latest_mutex_);
    if (latest_ && std::chrono::steady_clock::now() - latest_->started <= max_age) return latest_;
  }
  return Scrape();
}

std::shared_ptr<const CollectedScrape> CollectorRegistry::Scrape() const {
  auto scrape = std::make_shared<CollectedScrape>();
  scrape->started_at = std::chrono::system_clock::now();
  const auto started = std::chrono::steady_clock::now();
  scrape->started = started;
  const auto deadline = started + timeout_;

  std::vector<std::shared_future<Outcome>> runs;
  runs.reserve(entries_.size());
  for (const auto& entry : entries_) {
    std::lock_guard lock(entry->mutex);
    const bool reusable =
        entry->in_flight.valid() &&
        entry->in_flight.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
    if (reusable) {
      ++entry->status.shared_runs;
    } else {
      // Shared: std::function (the pool's task type) must be copyable, a promise is not.
      auto promise = std::make_shared<std::promise<Outcome>>();
      entry->in_flight = promise->get_future().share();
      entry->in_flight_started = started;
      entry->running = false;
      // The task shares the entry: a run that outlives the registry still has its collector.
      pool_->Submit([entry, promise] {
        {
          std::lock_guard running_lock(entry->mutex);
          entry->running = true;
        }
        Outcome outcome;
        const auto begin = std::chrono::steady_clock::now();
        try {
          outcome.families = entry->collector->Collect();
          outcome.success = true;
          outcome.error = entry->collector->LastError();
        } catch (const std::exception& error) {
          outcome.error = error.what();
        } catch (...) {
          outcome.error = "unknown exception";
        }
        outcome.duration_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        promise->set_value(std::move(outcome));
      });
    }
    runs.push_back(entry->in_flight);
  }

  std::vector<prometheus::MetricFamily> families;
  auto durations = MetricFamilyBuilder::Gauge("medic_scrape_collector_duration_seconds",
                                              "Duration of a collector's last run.");
  auto successes = MetricFamilyBuilder::Gauge("medic_scrape_collector_success",
                                              "Whether a collector succeeded (1) or failed (0).");
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& entry = *entries_[i];
    Outcome outcome;
    const bool finished = runs[i].wait_until(deadline) == std::future_status::ready;
    if (finished) {
      outcome = runs[i].get();
    } else {
      std::lock_guard lock(entry.mutex);
      outcome.error = "timed out after " + FormatDuration(timeout_) +
                      (entry.running ? " (still running)"
                                     : " (waiting for a thread: other collectors still running)");
      outcome.duration_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - entry.in_flight_started)
              .count();
    }
    {
      std::lock_guard lock(entry.mutex);
      if (!outcome.success && (entry.status.success || entry.status.last_error != outcome.error)) {
        spdlog::warn("collector {} failed: {}", entry.name, outcome.error);
      }
      entry.status.ran = true;
      entry.status.success = outcome.success;
      entry.status.duration_seconds = outcome.duration_seconds;
      entry.status.last_run = std::chrono::system_clock::now();
      // A degraded-but-successful collector replaces the last error with its current reason;
      // a healthy one keeps the last failure's message for the landing page.
      if (!outcome.success || !outcome.error.empty()) entry.status.last_error = outcome.error;
    }
    durations.Add(outcome.duration_seconds, {{"collector", entry.name}});
    successes.Add(outcome.success ? 1 : 0, {{"collector", entry.name}});
    if (outcome.success) {
      // Collectors may share a family (probe_success from the probe and cert collectors): one
      // family per name, or the exposition is invalid.
      MergeFamilies(families, std::move(outcome.families));
    }
  }
  durations.MoveInto(families);
  successes.MoveInto(families);
  scrape->families = std::move(families);
  {
    // Concurrent scrapes may finish out of order: keep the one that started last.
    std::lock_guard lock(latest_mutex_);
    if (!latest_ || latest_->started <= scrape->started) latest_ = scrape;
  }
  return scrape;
}

}  // namespace medic
