#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace medic::docker {

// Small value types for the Docker Engine API answers medic uses. Optional fields stay empty
// when the engine did not send them (podman omits several that Docker sends); nothing is
// zero-filled.

struct VersionInfo {
  std::string server_version;   // "Version"
  std::string api_version;      // "ApiVersion" (or the _ping Api-Version header)
  std::string min_api_version;  // "MinAPIVersion", may be empty
};

// An entry of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::string name;  // first of Names, without the leading slash
  std::string image;
  std::string state;   // "running", "exited", … ("stopped" from podman is reported as "exited")
  std::string status;  // human text, e.g. "Up 3 minutes"
  std::map<std::string, std::string> labels;
  std::optional<std::int64_t> created;  // unix seconds
};

// GET /containers/{id}/json, the parts medic needs.
struct ContainerDetails {
  std::string id;
  std::string name;   // without the leading slash
  std::string image;  // Config.Image (what the user asked for), else Image
  std::string state;  // State.Status, "stopped" normalised to "exited"
  bool running = false;
  bool oom_killed = false;
  std::optional<int> exit_code;
  std::optional<int> pid;
  int restart_count = 0;
  std::optional<double> started_at;   // unix seconds; absent for never-started containers
  std::optional<double> finished_at;  // unix seconds; absent while it never finished
  std::optional<std::string>
      health_status;  // "starting|healthy|unhealthy"; absent without HEALTHCHECK
  bool tty = false;
  std::int64_t memory_limit = 0;        // HostConfig.Memory; 0 means unlimited
  std::int64_t memory_reservation = 0;  // HostConfig.MemoryReservation; 0: none
  std::int64_t memory_swap = 0;         // HostConfig.MemorySwap (memory + swap); 0/-1: none
  // CPU: HostConfig.CpuQuota/CpuPeriod (µs), else NanoCpus (`--cpus`) as a quota per the
  // kernel's default period; CpuShares 0 is the kernel's 1024.
  std::int64_t cpu_quota_us = 0;   // 0: no quota
  std::int64_t cpu_period_us = 0;  // 0: the kernel's default, 100000
  std::int64_t cpu_shares = 0;
  std::map<std::string, std::string> labels;
};

// GET /info, the parts medic needs (the engine host's size, for cAdvisor's machine_*).
struct EngineInfo {
  std::optional<std::uint64_t> cpus;          // NCPU
  std::optional<std::uint64_t> memory_bytes;  // MemTotal
};

struct NetworkStats {
  std::string interface;
  std::uint64_t rx_bytes = 0, rx_packets = 0, rx_errors = 0, rx_dropped = 0;
  std::uint64_t tx_bytes = 0, tx_packets = 0, tx_errors = 0, tx_dropped = 0;
};

// GET /containers/{id}/stats?stream=false&one-shot=true.
struct ContainerStats {
  bool empty = false;  // podman answers 200 with an empty body for a stopped container
  std::optional<std::uint64_t> cpu_total_ns;           // cpu_stats.cpu_usage.total_usage
  std::optional<std::uint64_t> cpu_user_ns;            // … usage_in_usermode
  std::optional<std::uint64_t> cpu_system_ns;          // … usage_in_kernelmode
  std::optional<std::uint64_t> cfs_periods;            // cpu_stats.throttling_data.periods
  std::optional<std::uint64_t> cfs_throttled_periods;  // … throttled_periods
  std::optional<std::uint64_t> cfs_throttled_ns;       // … throttled_time
  std::optional<std::uint64_t> memory_max_usage;       // memory_stats.max_usage (cgroup v1 Docker)
  std::optional<std::uint64_t> memory_rss;          // memory_stats.stats total_rss (v1) / anon (v2)
  std::optional<std::uint64_t> memory_cache;        // … total_cache (v1) / file (v2)
  std::optional<std::uint64_t> memory_swap;         // … total_swap (v1)
  std::optional<std::uint64_t> memory_mapped_file;  // … total_mapped_file (v1) / file_mapped
  std::optional<std::uint64_t> memory_usage;        // memory_stats.usage
  std::optional<std::uint64_t> memory_limit;        // memory_stats.limit (host RAM if unlimited)
  std::optional<std::uint64_t> inactive_file;       // memory_stats.stats.inactive_file (cgroup v2)
  std::optional<std::uint64_t> total_inactive_file;  // memory_stats.stats.total_inactive_file (v1)
  std::optional<std::uint64_t> pids;
  std::optional<std::uint64_t> fs_read_bytes;   // blkio io_service_bytes_recursive, op Read
  std::optional<std::uint64_t> fs_write_bytes;  // … op Write
  std::vector<NetworkStats> networks;           // sorted by interface
};

// cAdvisor's container_cpu_usage_seconds_total.
std::optional<double> CpuSeconds(const ContainerStats& stats);
// cAdvisor's / docker CLI's working set: usage − inactive_file (v2) or − total_inactive_file
// (v1), floored at 0; usage itself when the engine sends neither (podman), like the CLI.
std::optional<std::uint64_t> WorkingSetBytes(const ContainerStats& stats);

enum class LogStream { kStdin = 0, kStdout = 1, kStderr = 2 };

struct LogFrame {
  LogStream stream = LogStream::kStdout;
  std::string data;  // may hold several lines, or part of one
};

struct Logs {
  std::vector<LogFrame> frames;
  std::string Stdout() const;
  std::string Stderr() const;
  std::string All() const;  // every frame in order
};

// 204/304/404 of restart/stop/start.
enum class ActionOutcome {
  kDone,      // 204
  kNoChange,  // 304: already stopped / already started
  kNotFound,  // 404: no such container
};
const char* ToString(ActionOutcome outcome);

struct PruneResult {
  std::vector<std::string> deleted;  // ids (or names for networks)
  std::uint64_t space_reclaimed = 0;
  bool supported = true;  // false when the engine has no such endpoint (podman: build cache)
};

struct PruneReport {
  PruneResult containers, images, networks, build_cache;
  std::uint64_t TotalReclaimed() const {
    return containers.space_reclaimed + images.space_reclaimed + networks.space_reclaimed +
           build_cache.space_reclaimed;
  }
};

// GET /system/df summed per kind, in bytes.
struct DiskUsage {
  std::map<std::string, std::uint64_t> container_rw_bytes;  // per container id: SizeRw
  std::optional<std::uint64_t> images;
  std::optional<std::uint64_t> containers;
  std::optional<std::uint64_t> volumes;
  std::optional<std::uint64_t> build_cache;
};

struct Event {
  std::string type;    // "container", "image", …
  std::string action;  // "start", "die" ("died" on podman), …
  std::string actor_id;
  std::map<std::string, std::string> attributes;  // includes "name" for containers
  std::int64_t time = 0;                          // unix seconds
  std::int64_t time_nano = 0;                     // unix nanoseconds (0 when absent)
};

}  // namespace medic::docker
