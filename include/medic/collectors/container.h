#pragma once

#include "medic/collector.h"
#include "medic/config.h"
#include "medic/docker/client.h"

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace medic {

// Container metrics from the Docker Engine API (replaces cAdvisor for the metrics the shipped
// rules use, and the seed's `docker ps | grep` / `docker stats --no-stream` checks).
//
// cAdvisor names and labels ({id, image, name}) for running containers' resource usage;
// medic_container_* for every matched container (stopped ones too); medic_docker_* for the
// engine. Which containers: `names` (exact, without the leading slash; empty: all) and
// `labels` (all must match).
//
// Failure policy: an unreachable or failing engine is reported as `medic_docker_up 0` and the
// collector returns normally (so the scrape keeps the other metrics and medic_docker_up is
// visible); the reason is logged when it changes and available from LastError(). Per-container
// failures (e.g. a container removed mid-scrape, a stats call that timed out) drop that
// container's stats only. The whole collection is bounded by settings.timeout: no Docker call
// is started with more time than is left of it.
class ContainerCollector : public Collector {
 public:
  explicit ContainerCollector(ContainerSettings settings);
  std::string_view Name() const override { return "container"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  // Why the last scrape saw the engine as down; empty when it was up.
  std::string LastError() const;

 private:
  std::optional<docker::DiskUsage> DiskUsage(std::chrono::steady_clock::time_point deadline);

  ContainerSettings settings_;
  docker::DockerClient client_;
  mutable std::mutex mutex_;
  std::string last_error_;
  std::optional<docker::VersionInfo> version_;
  std::optional<docker::DiskUsage> disk_usage_;
  std::chrono::steady_clock::time_point disk_usage_time_{};
};

}  // namespace medic
