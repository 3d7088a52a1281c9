#pragma once

#include "medic/collectors/cgroup_stats.h"
#include "medic/config.h"
#include "medic/docker/client.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace medic {

// One matched container as of the latest refresh.
struct ContainerObservation {
  docker::ContainerSummary summary;
  std::optional<docker::ContainerDetails> details;
  std::optional<docker::ContainerStats> stats;
  // Read from cgroupfs beside `stats` while the container runs (see ContainerSettings).
  std::optional<CgroupStats> cgroup;
  std::string cgroup_path;  // cAdvisor's id for it; "" when unknown
  double seen_at = 0;       // unix seconds when `stats` (else `details`) were taken
};

// What the engine looked like at the end of one refresh.
struct ContainerSnapshot {
  bool up = false;    // the container list answered
  std::string error;  // why not, when !up
  std::optional<docker::VersionInfo> version;
  std::optional<docker::EngineInfo> info;  // fetched with the version, once per engine start
  std::vector<ContainerObservation> containers;
};

// Keeps the container collector's figures fresh off the scrape path, so a scrape costs one
// engine ping and the rendering of cached figures instead of 2 × N engine calls.
//
// A refresher thread lists the matched containers every `refresh_interval` and fetches their
// stats concurrently (at most `max_parallel_stats` calls at once, each bounded by `timeout`).
// Inspect answers are large and rarely change, so they are cached per container and fetched
// again only when the list shows a new container, a changed state or status (a restart, a
// health change: "Up 2 seconds (healthy)"; the age in the text does not count, see
// StatusWithoutAge), or after kInspectMaxAge (catches `docker update`:
// 5 minutes, because re-inspecting 50 containers every minute was 18% of medic's idle CPU with
// every collector on; a recreated container has a new id and is inspected at once).
// A container whose stats call fails keeps its previous figures and their older seen_at.
// system/df runs on its own thread every `disk_usage_interval`: it can take seconds on Docker.
// The parts of an engine's status text that say something about the container, without the
// age that changes by itself: "Up 2 minutes (healthy)" -> "Up (healthy)", "Exited (137) 5
// minutes ago" -> "Exited (137)". Comparing full texts re-inspected every container about once
// a minute ("Up 2 minutes" -> "Up 3 minutes"), which was a fifth of medic's idle CPU with 50
// containers.
std::string StatusWithoutAge(std::string_view status);

// How long a container has been up, as bounds read from its status text ("Up 3 minutes": at
// least 180 s, less than 240 s), in seconds; nullopt when the text says no age (not up, or a
// wording it does not know). A restart between two refreshes leaves state and status words
// unchanged ("Up 2 seconds" after "Up 5 minutes"); an age shorter than the last one plus the
// time since shows it, whatever the engine's clock says.
struct UpTime {
  double at_least = 0;
  double less_than = 0;
};
std::optional<UpTime> UpTimeFromStatus(std::string_view status);

class ContainerCache {
 public:
  static constexpr std::chrono::seconds kInspectMaxAge{300};

  // Starts both threads; the first refresh begins at once.
  ContainerCache(const ContainerSettings& settings, std::shared_ptr<docker::DockerClient> client);
  // Stops the threads and cancels the client's calls, so shutdown does not wait for a slow
  // system/df: the client is shared with the owner, which is going away too.
  ~ContainerCache();
  ContainerCache(const ContainerCache&) = delete;
  ContainerCache& operator=(const ContainerCache&) = delete;

  // The latest refresh; null until the first one finished.
  std::shared_ptr<const ContainerSnapshot> Latest() const;
  // Starts a refresh now and waits for it (or for `deadline`); returns the latest snapshot.
  std::shared_ptr<const ContainerSnapshot> RefreshNow(
      std::chrono::steady_clock::time_point deadline);
  std::optional<docker::DiskUsage> DiskUsage() const;

 private:
  void RefreshLoop(const std::stop_token& stop);
  void DiskUsageLoop(const std::stop_token& stop);
  std::shared_ptr<const ContainerSnapshot> Refresh(const ContainerSnapshot* previous);

  ContainerSettings settings_;
  std::shared_ptr<docker::DockerClient> client_;
  std::optional<docker::VersionInfo> version_;  // refresher thread only
  std::optional<docker::EngineInfo> info_;      // refresher thread only
  // Per container id: when its cached inspect answer was taken (refresher thread only).
  std::map<std::string, std::chrono::steady_clock::time_point> inspected_at_;

  mutable std::mutex mutex_;
  std::condition_variable_any changed_;
  std::shared_ptr<const ContainerSnapshot> latest_;
  std::optional<docker::DiskUsage> disk_usage_;
  std::uint64_t started_ = 0;   // refreshes begun
  std::uint64_t finished_ = 0;  // refreshes done
  bool wake_ = false;

  std::jthread refresher_;  // last: stopped and joined before the members it uses go away
  std::jthread disk_usage_refresher_;
};

}  // namespace medic
