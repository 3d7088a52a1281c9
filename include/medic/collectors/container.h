#pragma once

#include "medic/collector.h"
#include "medic/collectors/container_cache.h"
#include "medic/config.h"
#include "medic/docker/client.h"

#include <chrono>
#include <memory>
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
// Cost: the figures come from a ContainerCache refreshed in the background every
// `refresh_interval`; a scrape pings the engine once and renders the latest refresh, so its
// latency and CPU do not grow with the number of containers' engine calls.
// container_last_seen is when each container's figures were fetched (their age).
//
// Failure policy: an engine that does not answer the scrape's ping (or whose container list
// fails) is reported as `medic_docker_up 0` with no container figures, and the collector
// returns normally (so the scrape keeps the other metrics and medic_docker_up is visible); the
// reason is logged when it changes and available from LastError(). When the engine answers
// again, the scrape waits (within settings.timeout) for a fresh refresh instead of serving
// figures from before the outage. Per-container failures (a container removed mid-refresh, a
// stats call that timed out) keep that container's previous figures and their older last_seen.
class ContainerCollector : public Collector {
 public:
  explicit ContainerCollector(ContainerSettings settings);
  std::string_view Name() const override { return "container"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  // Why the last scrape saw the engine as down; empty when it was up.
  std::string LastError() const override;

 private:
  void NoteError(const std::string& error);  // "" when up; logs changes

  ContainerSettings settings_;
  std::shared_ptr<docker::DockerClient> client_;
  mutable std::mutex mutex_;
  std::string last_error_;
  ContainerCache cache_;  // last: its threads stop before the members above go away
};

}  // namespace medic
