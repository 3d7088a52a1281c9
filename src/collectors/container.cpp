#include "medic/collectors/container.h"

#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A ping slower than this means the engine is too sick to call up, whatever the call timeout.
constexpr milliseconds kPingTimeout{2000};

LabelPairs CadvisorLabels(const docker::ContainerDetails& details) {
  return {{"id", details.id}, {"image", details.image}, {"name", details.name}};
}

}  // namespace

ContainerCollector::ContainerCollector(ContainerSettings settings)
    : settings_(std::move(settings)),
      client_(std::make_shared<docker::DockerClient>(
          settings_.docker.host,
          std::chrono::duration_cast<milliseconds>(settings_.docker.timeout))),
      cache_(settings_, client_) {}

std::string ContainerCollector::LastError() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void ContainerCollector::NoteError(const std::string& error) {
  std::lock_guard lock(mutex_);
  if (error.empty() && !last_error_.empty()) {
    spdlog::info("container collector: Docker engine reachable again");
  } else if (!error.empty() && error != last_error_) {
    spdlog::warn("container collector: {}", error);
  }
  last_error_ = error;
}

std::vector<prometheus::MetricFamily> ContainerCollector::Collect() {
  const Clock::time_point deadline = Clock::now() + settings_.docker.timeout;
  std::vector<prometheus::MetricFamily> families;
  auto up = MetricFamilyBuilder::Gauge(
      "medic_docker_up", "1 if the Docker Engine API answered this scrape's ping, else 0.");

  // The figures come from the background refresher; the ping keeps medic_docker_up about this
  // scrape, and drops figures an engine that is gone can no longer vouch for.
  std::shared_ptr<const ContainerSnapshot> snapshot;
  std::string error;
  try {
    client_->Ping(
        std::min(std::chrono::duration_cast<milliseconds>(settings_.docker.timeout), kPingTimeout));
    snapshot = cache_.Latest();
    // Starting up, or the engine just came back: get figures now rather than a refresh later.
    if (!snapshot || !snapshot->up) snapshot = cache_.RefreshNow(deadline);
    if (!snapshot) {
      error = "the first container refresh did not finish within the collector timeout";
    } else if (!snapshot->up) {
      error = snapshot->error;
    }
  } catch (const docker::DockerError& ping_error) {
    error = ping_error.what();
  }
  NoteError(error);
  if (!error.empty()) {
    up.Add(0).MoveInto(families);
    return families;
  }
  up.Add(1).MoveInto(families);

  if (snapshot->version) {
    MetricFamilyBuilder::Gauge("medic_docker_info", "Docker engine version (value 1).")
        .Add(1, {{"api_version", snapshot->version->api_version},
                 {"server_version", snapshot->version->server_version}})
        .MoveInto(families);
  }

  auto running = MetricFamilyBuilder::Gauge(
      "medic_container_running", "1 if the container is running, 0 if it exists but is not.");
  auto state_info =
      MetricFamilyBuilder::Gauge("medic_container_state_info", "The container's state (value 1).");
  auto restart_count = MetricFamilyBuilder::Gauge(
      "medic_container_restart_count", "Restarts of the container counted by the engine.");
  auto oom_killed = MetricFamilyBuilder::Gauge("medic_container_oom_killed",
                                               "1 if the container's last exit was an OOM kill.");
  auto health = MetricFamilyBuilder::Gauge(
      "medic_container_health_status",
      "Docker HEALTHCHECK status (1 for the current status), for containers that have one.");
  auto memory_usage =
      MetricFamilyBuilder::Gauge("container_memory_usage_bytes", "Current memory usage in bytes.");
  auto working_set =
      MetricFamilyBuilder::Gauge("container_memory_working_set_bytes",
                                 "Current working set in bytes (usage minus inactive file cache).");
  auto memory_limit = MetricFamilyBuilder::Gauge("container_spec_memory_limit_bytes",
                                                 "Memory limit in bytes (0: unlimited).");
  auto cpu = MetricFamilyBuilder::Counter("container_cpu_usage_seconds_total",
                                          "Cumulative CPU time consumed in seconds.");
  auto start_time = MetricFamilyBuilder::Gauge("container_start_time_seconds",
                                               "Start time of the container since unix epoch.");
  auto last_seen = MetricFamilyBuilder::Gauge(
      "container_last_seen", "When medic last fetched the container's figures (unix seconds).");
  auto fs_reads = MetricFamilyBuilder::Counter("container_fs_reads_bytes_total",
                                               "Cumulative bytes read from block devices.");
  auto fs_writes = MetricFamilyBuilder::Counter("container_fs_writes_bytes_total",
                                                "Cumulative bytes written to block devices.");
  auto rx_bytes = MetricFamilyBuilder::Counter("container_network_receive_bytes_total",
                                               "Cumulative bytes received.");
  auto rx_packets = MetricFamilyBuilder::Counter("container_network_receive_packets_total",
                                                 "Cumulative packets received.");
  auto rx_errors = MetricFamilyBuilder::Counter("container_network_receive_errors_total",
                                                "Cumulative errors while receiving.");
  auto rx_dropped = MetricFamilyBuilder::Counter("container_network_receive_packets_dropped_total",
                                                 "Cumulative packets dropped on receive.");
  auto tx_bytes = MetricFamilyBuilder::Counter("container_network_transmit_bytes_total",
                                               "Cumulative bytes transmitted.");
  auto tx_packets = MetricFamilyBuilder::Counter("container_network_transmit_packets_total",
                                                 "Cumulative packets transmitted.");
  auto tx_errors = MetricFamilyBuilder::Counter("container_network_transmit_errors_total",
                                                "Cumulative errors while transmitting.");
  auto tx_dropped = MetricFamilyBuilder::Counter("container_network_transmit_packets_dropped_total",
                                                 "Cumulative packets dropped on transmit.");

  for (const ContainerObservation& observation : snapshot->containers) {
    const std::string& name = observation.summary.name;
    const bool is_running =
        observation.details ? observation.details->running : observation.summary.state == "running";
    const std::string state =
        observation.details ? observation.details->state : observation.summary.state;
    running.Add(is_running ? 1 : 0, {{"name", name}});
    state_info.Add(1, {{"name", name}, {"state", state}});
    if (!observation.details) continue;
    const docker::ContainerDetails& details = *observation.details;
    restart_count.Add(details.restart_count, {{"name", name}});
    oom_killed.Add(details.oom_killed ? 1 : 0, {{"name", name}});
    if (details.health_status) {
      for (const char* status : {"starting", "healthy", "unhealthy"}) {
        health.Add(*details.health_status == status ? 1 : 0, {{"name", name}, {"status", status}});
      }
    }
    const LabelPairs labels = CadvisorLabels(details);
    // The limit is configuration, known while the container is stopped too (the page shows it);
    // usage series exist only while it runs, so ratios over them stay cAdvisor's.
    memory_limit.Add(static_cast<double>(details.memory_limit), labels);
    if (!details.running) continue;
    if (details.started_at) start_time.Add(*details.started_at, labels);
    if (observation.seen_at > 0) last_seen.Add(observation.seen_at, labels);
    if (!observation.stats || observation.stats->empty) continue;
    const docker::ContainerStats& stats = *observation.stats;
    if (stats.memory_usage) memory_usage.Add(static_cast<double>(*stats.memory_usage), labels);
    if (auto bytes = docker::WorkingSetBytes(stats))
      working_set.Add(static_cast<double>(*bytes), labels);
    if (auto seconds = docker::CpuSeconds(stats)) cpu.Add(*seconds, labels);
    if (stats.fs_read_bytes) fs_reads.Add(static_cast<double>(*stats.fs_read_bytes), labels);
    if (stats.fs_write_bytes) fs_writes.Add(static_cast<double>(*stats.fs_write_bytes), labels);
    for (const docker::NetworkStats& network : stats.networks) {
      LabelPairs with_interface = labels;
      with_interface.push_back({"interface", network.interface});
      rx_bytes.Add(static_cast<double>(network.rx_bytes), with_interface);
      rx_packets.Add(static_cast<double>(network.rx_packets), with_interface);
      rx_errors.Add(static_cast<double>(network.rx_errors), with_interface);
      rx_dropped.Add(static_cast<double>(network.rx_dropped), with_interface);
      tx_bytes.Add(static_cast<double>(network.tx_bytes), with_interface);
      tx_packets.Add(static_cast<double>(network.tx_packets), with_interface);
      tx_errors.Add(static_cast<double>(network.tx_errors), with_interface);
      tx_dropped.Add(static_cast<double>(network.tx_dropped), with_interface);
    }
  }
  for (MetricFamilyBuilder* builder :
       {&running,     &state_info,   &restart_count, &oom_killed, &health,     &memory_usage,
        &working_set, &memory_limit, &cpu,           &start_time, &last_seen,  &fs_reads,
        &fs_writes,   &rx_bytes,     &rx_packets,    &rx_errors,  &rx_dropped, &tx_bytes,
        &tx_packets,  &tx_errors,    &tx_dropped}) {
    builder->MoveInto(families);
  }

  if (auto usage = cache_.DiskUsage()) {
    auto disk = MetricFamilyBuilder::Gauge(
        "medic_docker_disk_usage_bytes",
        "Disk space used by the engine per kind (from system/df, cached).");
    const std::pair<const char*, std::optional<std::uint64_t>> kinds[] = {
        {"images", usage->images},
        {"containers", usage->containers},
        {"volumes", usage->volumes},
        {"build_cache", usage->build_cache}};
    for (const auto& [type, bytes] : kinds) {
      if (bytes) disk.Add(static_cast<double>(*bytes), {{"type", type}});
    }
    disk.MoveInto(families);
  }
  return families;
}

}  // namespace medic
