#include "medic/collectors/container.h"

#include "medic/collectors/cadvisor_labels.h"
#include "medic/collectors/host_stats.h"
#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A ping slower than this means the engine is too sick to call up, whatever the call timeout.
constexpr milliseconds kPingTimeout{2000};

// The first figure that is known: the engine's (divided into the cgroup's unit), else the one
// read from the cgroup.
template <typename EngineFigure, typename CgroupFigure>
std::optional<double> Either(const std::optional<EngineFigure>& from_engine,
                             const std::optional<CgroupFigure>& from_cgroup, double divisor = 1) {
  if (from_engine) return static_cast<double>(*from_engine) / divisor;
  if (from_cgroup) return static_cast<double>(*from_cgroup);
  return std::nullopt;
}

void AddIfKnown(MetricFamilyBuilder& family, std::optional<double> value,
                const LabelPairs& labels) {
  if (value) family.Add(*value, labels);
}

std::optional<double> AsDouble(std::optional<std::uint64_t> value) {
  if (!value) return std::nullopt;
  return static_cast<double>(*value);
}

// cAdvisor's families (and medic's own for what cAdvisor has not) for one scrape.
struct ContainerFamilies {
  MetricFamilyBuilder running = MetricFamilyBuilder::Gauge(
      "medic_container_running", "1 if the container is running, 0 if it exists but is not.");
  MetricFamilyBuilder state_info =
      MetricFamilyBuilder::Gauge("medic_container_state_info", "The container's state (value 1).");
  // A gauge: the engine's count starts again when the container is recreated.
  MetricFamilyBuilder restarts = MetricFamilyBuilder::Gauge(
      "medic_container_restarts", "Restarts of the container counted by the engine.");
  MetricFamilyBuilder oom_killed = MetricFamilyBuilder::Gauge(
      "medic_container_oom_killed", "1 if the container's last exit was an OOM kill.");
  MetricFamilyBuilder health = MetricFamilyBuilder::Gauge(
      "medic_container_health_status",
      "Docker HEALTHCHECK status (1 for the current status), for containers that have one.");
  MetricFamilyBuilder memory_usage = MetricFamilyBuilder::Gauge(
      "container_memory_usage_bytes",
      "Current memory usage in bytes, including all memory regardless of when it was accessed");
  MetricFamilyBuilder working_set = MetricFamilyBuilder::Gauge("container_memory_working_set_bytes",
                                                               "Current working set in bytes.");
  MetricFamilyBuilder rss =
      MetricFamilyBuilder::Gauge("container_memory_rss", "Size of RSS in bytes.");
  MetricFamilyBuilder cache =
      MetricFamilyBuilder::Gauge("container_memory_cache", "Number of bytes of page cache memory.");
  MetricFamilyBuilder swap =
      MetricFamilyBuilder::Gauge("container_memory_swap", "Container swap usage in bytes.");
  MetricFamilyBuilder mapped_file = MetricFamilyBuilder::Gauge(
      "container_memory_mapped_file", "Size of memory mapped files in bytes.");
  MetricFamilyBuilder max_usage = MetricFamilyBuilder::Gauge(
      "container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes");
  MetricFamilyBuilder memory_limit = MetricFamilyBuilder::Gauge("container_spec_memory_limit_bytes",
                                                                "Memory limit for the container.");
  MetricFamilyBuilder memory_reservation =
      MetricFamilyBuilder::Gauge("container_spec_memory_reservation_limit_bytes",
                                 "Memory reservation limit for the container.");
  MetricFamilyBuilder memory_swap_limit = MetricFamilyBuilder::Gauge(
      "container_spec_memory_swap_limit_bytes", "Memory swap limit for the container.");
  MetricFamilyBuilder cpu_quota =
      MetricFamilyBuilder::Gauge("container_spec_cpu_quota", "CPU quota of the container.");
  MetricFamilyBuilder cpu_period =
      MetricFamilyBuilder::Gauge("container_spec_cpu_period", "CPU period of the container.");
  MetricFamilyBuilder cpu_shares =
      MetricFamilyBuilder::Gauge("container_spec_cpu_shares", "CPU share of the container.");
  MetricFamilyBuilder cpu = MetricFamilyBuilder::Counter(
      "container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.");
  MetricFamilyBuilder cpu_user = MetricFamilyBuilder::Counter(
      "container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.");
  MetricFamilyBuilder cpu_system = MetricFamilyBuilder::Counter(
      "container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.");
  MetricFamilyBuilder cfs_periods = MetricFamilyBuilder::Counter(
      "container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.");
  MetricFamilyBuilder cfs_throttled_periods = MetricFamilyBuilder::Counter(
      "container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.");
  MetricFamilyBuilder cfs_throttled_seconds =
      MetricFamilyBuilder::Counter("container_cpu_cfs_throttled_seconds_total",
                                   "Total time duration the container has been throttled.");
  MetricFamilyBuilder start_time = MetricFamilyBuilder::Gauge(
      "container_start_time_seconds", "Start time of the container since unix epoch in seconds.");
  MetricFamilyBuilder last_seen = MetricFamilyBuilder::Gauge(
      "container_last_seen", "Last time a container was seen by the exporter");
  MetricFamilyBuilder fs_reads = MetricFamilyBuilder::Counter("container_fs_reads_bytes_total",
                                                              "Cumulative count of bytes read");
  MetricFamilyBuilder fs_writes = MetricFamilyBuilder::Counter("container_fs_writes_bytes_total",
                                                               "Cumulative count of bytes written");
  MetricFamilyBuilder fs_usage = MetricFamilyBuilder::Gauge(
      "container_fs_usage_bytes",
      "Number of bytes that are consumed by the container on this filesystem.");
  MetricFamilyBuilder rx_bytes = MetricFamilyBuilder::Counter(
      "container_network_receive_bytes_total", "Cumulative count of bytes received");
  MetricFamilyBuilder rx_packets = MetricFamilyBuilder::Counter(
      "container_network_receive_packets_total", "Cumulative count of packets received");
  MetricFamilyBuilder rx_errors =
      MetricFamilyBuilder::Counter("container_network_receive_errors_total",
                                   "Cumulative count of errors encountered while receiving");
  MetricFamilyBuilder rx_dropped =
      MetricFamilyBuilder::Counter("container_network_receive_packets_dropped_total",
                                   "Cumulative count of packets dropped while receiving");
  MetricFamilyBuilder tx_bytes = MetricFamilyBuilder::Counter(
      "container_network_transmit_bytes_total", "Cumulative count of bytes transmitted");
  MetricFamilyBuilder tx_packets = MetricFamilyBuilder::Counter(
      "container_network_transmit_packets_total", "Cumulative count of packets transmitted");
  MetricFamilyBuilder tx_errors =
      MetricFamilyBuilder::Counter("container_network_transmit_errors_total",
                                   "Cumulative count of errors encountered while transmitting");
  MetricFamilyBuilder tx_dropped =
      MetricFamilyBuilder::Counter("container_network_transmit_packets_dropped_total",
                                   "Cumulative count of packets dropped while transmitting");
  MetricFamilyBuilder machine_cores =
      MetricFamilyBuilder::Gauge("machine_cpu_cores", "Number of logical CPU cores.");
  MetricFamilyBuilder machine_memory = MetricFamilyBuilder::Gauge(
      "machine_memory_bytes", "Amount of memory installed on the machine.");

  void AddContainer(const ContainerSettings& settings, const ContainerObservation& observation,
                    const docker::DiskUsage* disk_usage) {
    const std::string& name = observation.summary.name;
    const bool is_running =
        observation.details ? observation.details->running : observation.summary.state == "running";
    const std::string& state =
        observation.details ? observation.details->state : observation.summary.state;
    running.Add(is_running ? 1 : 0, {{"name", name}});
    state_info.Add(1, {{"name", name}, {"state", state}});
    if (!observation.details) return;
    const docker::ContainerDetails& details = *observation.details;
    restarts.Add(details.restart_count, {{"name", name}});
    oom_killed.Add(details.oom_killed ? 1 : 0, {{"name", name}});
    if (details.health_status) {
      for (const char* status : {"starting", "healthy", "unhealthy"}) {
        health.Add(*details.health_status == status ? 1 : 0, {{"name", name}, {"status", status}});
      }
    }
    const LabelPairs labels = CadvisorLabels(settings, observation, details);
    // The limit is configuration, known while the container is stopped too (the page shows it);
    // usage series exist only while it runs, so ratios over them stay cAdvisor's.
    memory_limit.Add(static_cast<double>(details.memory_limit), labels);
    if (!details.running) return;
    AddSpec(details, labels);
    if (details.started_at) start_time.Add(*details.started_at, labels);
    if (observation.seen_at > 0) last_seen.Add(observation.seen_at, labels);
    if (disk_usage != nullptr) {
      if (auto size = disk_usage->container_rw_bytes.find(details.id);
          size != disk_usage->container_rw_bytes.end()) {
        fs_usage.Add(static_cast<double>(size->second), labels);
      }
    }
    const bool has_stats = observation.stats && !observation.stats->empty;
    static const docker::ContainerStats kNoStats;
    static const CgroupStats kNoCgroup;
    const docker::ContainerStats& stats = has_stats ? *observation.stats : kNoStats;
    const CgroupStats& cgroup = observation.cgroup ? *observation.cgroup : kNoCgroup;
    if (!has_stats && !observation.cgroup) return;

    AddIfKnown(memory_usage, Either(stats.memory_usage, cgroup.memory_usage), labels);
    std::optional<double> working = has_stats ? [&]() -> std::optional<double> {
      if (auto bytes = docker::WorkingSetBytes(stats)) return static_cast<double>(*bytes);
      return std::nullopt;
    }()
        : std::nullopt;
    if (!working && cgroup.memory_usage) {
      const std::uint64_t inactive = cgroup.memory_inactive_file.value_or(0);
      working = static_cast<double>(
          *cgroup.memory_usage > inactive ? *cgroup.memory_usage - inactive : 0);
    }
    AddIfKnown(working_set, working, labels);
    AddIfKnown(rss, Either(stats.memory_rss, cgroup.memory_rss), labels);
    AddIfKnown(cache, Either(stats.memory_cache, cgroup.memory_cache), labels);
    AddIfKnown(swap, Either(stats.memory_swap, cgroup.memory_swap), labels);
    AddIfKnown(mapped_file, Either(stats.memory_mapped_file, cgroup.memory_mapped_file), labels);
    AddIfKnown(max_usage, Either(stats.memory_max_usage, cgroup.memory_max_usage), labels);
    std::optional<double> cpu_seconds = has_stats ? docker::CpuSeconds(stats) : std::nullopt;
    AddIfKnown(cpu, cpu_seconds ? cpu_seconds : cgroup.cpu_seconds, labels);
    AddIfKnown(cpu_user, Either(stats.cpu_user_ns, cgroup.cpu_user_seconds, 1e9), labels);
    AddIfKnown(cpu_system, Either(stats.cpu_system_ns, cgroup.cpu_system_seconds, 1e9), labels);
    AddIfKnown(cfs_periods, Either(stats.cfs_periods, cgroup.cfs_periods), labels);
    AddIfKnown(cfs_throttled_periods,
               Either(stats.cfs_throttled_periods, cgroup.cfs_throttled_periods), labels);
    AddIfKnown(cfs_throttled_seconds,
               Either(stats.cfs_throttled_ns, cgroup.cfs_throttled_seconds, 1e9), labels);
    AddBlockIo(stats, cgroup, labels);
    AddNetworks(stats.networks, labels);
  }

  void AddSpec(const docker::ContainerDetails& details, const LabelPairs& labels) {
    // As the kernel applies them: no quota without a period, shares 0 is the default 1024.
    constexpr double kDefaultShares = 1024;
    constexpr double kDefaultPeriodUs = 100000;
    if (details.cpu_quota_us > 0) {
      cpu_quota.Add(static_cast<double>(details.cpu_quota_us), labels);
      cpu_period.Add(
          details.cpu_period_us > 0 ? static_cast<double>(details.cpu_period_us) : kDefaultPeriodUs,
          labels);
    }
    cpu_shares.Add(
        details.cpu_shares > 0 ? static_cast<double>(details.cpu_shares) : kDefaultShares, labels);
    memory_reservation.Add(static_cast<double>(details.memory_reservation), labels);
    memory_swap_limit.Add(static_cast<double>(details.memory_swap), labels);
  }

  // Per device from the cgroup, as cAdvisor labels them; else the engine's sum without a
  // device; a cgroup that lists no device has read and written nothing.
  void AddBlockIo(const docker::ContainerStats& stats, const CgroupStats& cgroup,
                  const LabelPairs& labels) {
    if (cgroup.block_io && !cgroup.block_io->empty()) {
      for (const BlockDeviceIo& io : *cgroup.block_io) {
        LabelPairs with_device = labels;
        with_device.push_back({"device", io.device});
        fs_reads.Add(static_cast<double>(io.read_bytes), with_device);
        fs_writes.Add(static_cast<double>(io.write_bytes), with_device);
      }
      return;
    }
    if (stats.fs_read_bytes || stats.fs_write_bytes) {
      fs_reads.Add(static_cast<double>(stats.fs_read_bytes.value_or(0)), labels);
      fs_writes.Add(static_cast<double>(stats.fs_write_bytes.value_or(0)), labels);
      return;
    }
    if (cgroup.block_io) {
      fs_reads.Add(0, labels);
      fs_writes.Add(0, labels);
    }
  }

  void AddNetworks(const std::vector<docker::NetworkStats>& networks, const LabelPairs& labels) {
    for (const docker::NetworkStats& network : networks) {
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

  // cAdvisor's root container: the whole host, labelled id="/" only.
  void AddHost(const HostStats& host) {
    const LabelPairs labels{{"id", "/"}};
    const CgroupStats& figures = host.cgroup;
    AddIfKnown(memory_usage, AsDouble(figures.memory_usage), labels);
    if (figures.memory_usage) {
      const std::uint64_t inactive = figures.memory_inactive_file.value_or(0);
      working_set.Add(static_cast<double>(
                          *figures.memory_usage > inactive ? *figures.memory_usage - inactive : 0),
                      labels);
    }
    AddIfKnown(rss, AsDouble(figures.memory_rss), labels);
    AddIfKnown(cache, AsDouble(figures.memory_cache), labels);
    AddIfKnown(swap, AsDouble(figures.memory_swap), labels);
    AddIfKnown(cpu, figures.cpu_seconds, labels);
    AddIfKnown(cpu_user, figures.cpu_user_seconds, labels);
    AddIfKnown(cpu_system, figures.cpu_system_seconds, labels);
    AddNetworks(host.networks, labels);
  }

  void AddMachine(const docker::EngineInfo& info) {
    if (info.cpus) machine_cores.Add(static_cast<double>(*info.cpus));
    if (info.memory_bytes) machine_memory.Add(static_cast<double>(*info.memory_bytes));
  }

  void MoveInto(std::vector<prometheus::MetricFamily>& families) && {
    for (MetricFamilyBuilder* builder : {&running,
                                         &state_info,
                                         &restarts,
                                         &oom_killed,
                                         &health,
                                         &memory_usage,
                                         &working_set,
                                         &rss,
                                         &cache,
                                         &swap,
                                         &mapped_file,
                                         &max_usage,
                                         &memory_limit,
                                         &memory_reservation,
                                         &memory_swap_limit,
                                         &cpu_quota,
                                         &cpu_period,
                                         &cpu_shares,
                                         &cpu,
                                         &cpu_user,
                                         &cpu_system,
                                         &cfs_periods,
                                         &cfs_throttled_periods,
                                         &cfs_throttled_seconds,
                                         &start_time,
                                         &last_seen,
                                         &fs_reads,
                                         &fs_writes,
                                         &fs_usage,
                                         &rx_bytes,
                                         &rx_packets,
                                         &rx_errors,
                                         &rx_dropped,
                                         &tx_bytes,
                                         &tx_packets,
                                         &tx_errors,
                                         &tx_dropped,
                                         &machine_cores,
                                         &machine_memory}) {
      builder->MoveInto(families);
    }
  }
};

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

  ContainerFamilies figures;
  const std::optional<docker::DiskUsage> disk_usage = cache_.DiskUsage();
  for (const ContainerObservation& observation : snapshot->containers) {
    figures.AddContainer(settings_, observation, disk_usage ? &*disk_usage : nullptr);
  }
  if (settings_.host_series) {
    figures.AddHost(ReadHostStats(settings_.proc_root, settings_.cgroup_root, settings_.sys_root));
  }
  if (snapshot->info) figures.AddMachine(*snapshot->info);
  std::move(figures).MoveInto(families);

  if (const auto& usage = disk_usage) {
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
