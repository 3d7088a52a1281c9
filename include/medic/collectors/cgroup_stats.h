#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medic {

// Which cgroups a process is in, from /proc/<pid>/cgroup: per controller on cgroup v1, one
// unified path on v2 (hybrid systems have both).
struct CgroupMembership {
  std::map<std::string, std::string> v1;  // "memory" -> "/docker/<id>"; "cpu,cpuacct" split
  // The hierarchy's own name per controller ("cpu,cpuacct"), for systems that mount it so.
  std::map<std::string, std::string> v1_hierarchy;
  std::optional<std::string> unified;  // the "0::<path>" line

  // The name cAdvisor gives the container (its `id` label): the v1 memory (else cpu)
  // controller's path, else the unified one; "" when neither is known.
  std::string Path() const;
};
CgroupMembership ParseProcCgroup(std::string_view text);

// The root cgroup ("/" everywhere), whose figures are the whole host's.
CgroupMembership RootCgroup();

struct BlockDeviceIo {
  std::string device;  // "/dev/sda" when sysfs names it, else "major:minor"
  std::uint64_t read_bytes = 0;
  std::uint64_t write_bytes = 0;
};

// The figures cAdvisor reads from a container's cgroup, from cgroupfs directly: what an engine
// leaves out of its stats (podman sends no memory breakdown and no block I/O) is read here.
// Empty fields: the file was absent or unreadable (no such controller, a remote engine, medic
// without the host's /proc or /sys/fs/cgroup).
struct CgroupStats {
  std::optional<std::uint64_t> memory_usage;
  std::optional<std::uint64_t> memory_max_usage;
  std::optional<std::uint64_t> memory_rss;
  std::optional<std::uint64_t> memory_cache;
  std::optional<std::uint64_t> memory_swap;
  std::optional<std::uint64_t> memory_mapped_file;
  std::optional<std::uint64_t> memory_inactive_file;
  std::optional<double> cpu_seconds;
  std::optional<double> cpu_user_seconds;
  std::optional<double> cpu_system_seconds;
  std::optional<std::uint64_t> cfs_periods;
  std::optional<std::uint64_t> cfs_throttled_periods;
  std::optional<double> cfs_throttled_seconds;
  // Per device; absent when the I/O controller's file is unreadable, empty when it lists no
  // device (nothing read or written yet).
  std::optional<std::vector<BlockDeviceIo>> block_io;
};

// Reads `membership`'s cgroups under `cgroup_root` (v1: <root>/<controller>/<path>; v2:
// <root>/<path> or <root>/unified/<path> on hybrid systems). `sys_root` names block devices.
CgroupStats ReadCgroupStats(const CgroupMembership& membership,
                            const std::string& cgroup_root = "/sys/fs/cgroup",
                            const std::string& sys_root = "/sys");

}  // namespace medic
