#include "medic/collectors/cgroup_stats.h"

#include "medic/text_file.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <sstream>

namespace medic {
namespace {

std::optional<std::uint64_t> ParseUnsigned(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> ReadUnsigned(const std::string& path) {
  const auto text = ReadTextFile(path, 256);
  if (!text) return std::nullopt;
  return ParseUnsigned(*text);
}

// "key value" lines (memory.stat, cpu.stat, cpuacct.stat).
std::map<std::string, std::uint64_t> ReadKeyValues(const std::string& path) {
  std::map<std::string, std::uint64_t> values;
  const auto text = ReadTextFile(path);
  if (!text) return values;
  std::istringstream lines(*text);
  std::string key;
  std::string value;
  while (lines >> key >> value) {
    if (auto number = ParseUnsigned(value)) values[key] = *number;
  }
  return values;
}

std::optional<std::uint64_t> Lookup(const std::map<std::string, std::uint64_t>& values,
                                    std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (auto found = values.find(key); found != values.end()) return found->second;
  }
  return std::nullopt;
}

std::optional<double> Scaled(std::optional<std::uint64_t> value, double per_second) {
  if (!value) return std::nullopt;
  return static_cast<double>(*value) / per_second;
}

// "8:0" -> "/dev/sda" through sysfs, as cAdvisor labels devices.
std::string DeviceName(const std::string& major_minor, const std::string& sys_root) {
  const auto uevent = ReadTextFile(sys_root + "/dev/block/" + major_minor + "/uevent", 4096);
  if (uevent) {
    std::istringstream lines(*uevent);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("DEVNAME=", 0) == 0) return "/dev/" + line.substr(8);
    }
  }
  return major_minor;
}

// v1 blkio: "8:0 Read 4096" lines and a closing "Total N".
std::optional<std::vector<BlockDeviceIo>> ReadBlkioV1(const std::string& path,
                                                      const std::string& sys_root) {
  const auto text = ReadTextFile(path);
  if (!text) return std::nullopt;
  std::map<std::string, BlockDeviceIo> devices;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string device;
    std::string operation;
    std::string value;
    if (!(fields >> device >> operation >> value)) continue;
    const auto bytes = ParseUnsigned(value);
    if (!bytes || device.find(':') == std::string::npos) continue;
    if (operation == "Read") devices[device].read_bytes += *bytes;
    if (operation == "Write") devices[device].write_bytes += *bytes;
  }
  std::vector<BlockDeviceIo> out;
  for (auto& [major_minor, io] : devices) {
    io.device = DeviceName(major_minor, sys_root);
    out.push_back(io);
  }
  return out;
}

// v2 io.stat: "8:0 rbytes=4096 wbytes=0 rios=1 …".
std::optional<std::vector<BlockDeviceIo>> ReadIoStatV2(const std::string& path,
                                                       const std::string& sys_root) {
  const auto text = ReadTextFile(path);
  if (!text) return std::nullopt;
  std::vector<BlockDeviceIo> out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string major_minor;
    if (!(fields >> major_minor)) continue;
    BlockDeviceIo io{DeviceName(major_minor, sys_root), 0, 0};
    std::string pair;
    while (fields >> pair) {
      const auto equals = pair.find('=');
      if (equals == std::string::npos) continue;
      const auto value = ParseUnsigned(std::string_view(pair).substr(equals + 1));
      if (!value) continue;
      if (pair.compare(0, equals, "rbytes") == 0) io.read_bytes = *value;
      if (pair.compare(0, equals, "wbytes") == 0) io.write_bytes = *value;
    }
    out.push_back(std::move(io));
  }
  return out;
}

void ReadV1(const CgroupMembership& membership, const std::string& root,
            const std::string& sys_root, CgroupStats& stats) {
  // A controller's directory: <root>/<controller>, or <root>/<hierarchy> ("cpu,cpuacct").
  auto directory = [&](const std::string& controller) -> std::optional<std::string> {
    const auto path = membership.v1.find(controller);
    if (path == membership.v1.end()) return std::nullopt;
    std::string candidate = root + "/" + controller + path->second;
    if (std::filesystem::is_directory(candidate)) return candidate;
    if (auto hierarchy = membership.v1_hierarchy.find(controller);
        hierarchy != membership.v1_hierarchy.end()) {
      candidate = root + "/" + hierarchy->second + path->second;
      if (std::filesystem::is_directory(candidate)) return candidate;
    }
    return std::nullopt;
  };
  if (auto memory = directory("memory")) {
    stats.memory_usage = ReadUnsigned(*memory + "/memory.usage_in_bytes");
    stats.memory_max_usage = ReadUnsigned(*memory + "/memory.max_usage_in_bytes");
    // cAdvisor takes the hierarchical total_* figures (the container and its children).
    const auto values = ReadKeyValues(*memory + "/memory.stat");
    stats.memory_rss = Lookup(values, {"total_rss", "rss"});
    stats.memory_cache = Lookup(values, {"total_cache", "cache"});
    stats.memory_swap = Lookup(values, {"total_swap", "swap"});
    stats.memory_mapped_file = Lookup(values, {"total_mapped_file", "mapped_file"});
    stats.memory_inactive_file = Lookup(values, {"total_inactive_file", "inactive_file"});
  }
  if (auto cpuacct = directory("cpuacct")) {
    stats.cpu_seconds = Scaled(ReadUnsigned(*cpuacct + "/cpuacct.usage"), 1e9);
    const auto values = ReadKeyValues(*cpuacct + "/cpuacct.stat");
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    if (ticks > 0) {
      stats.cpu_user_seconds = Scaled(Lookup(values, {"user"}), ticks);
      stats.cpu_system_seconds = Scaled(Lookup(values, {"system"}), ticks);
    }
  }
  if (auto cpu = directory("cpu")) {
    const auto values = ReadKeyValues(*cpu + "/cpu.stat");
    stats.cfs_periods = Lookup(values, {"nr_periods"});
    stats.cfs_throttled_periods = Lookup(values, {"nr_throttled"});
    stats.cfs_throttled_seconds = Scaled(Lookup(values, {"throttled_time"}), 1e9);
  }
  if (auto blkio = directory("blkio")) {
    stats.block_io = ReadBlkioV1(*blkio + "/blkio.throttle.io_service_bytes_recursive", sys_root);
    if (!stats.block_io || stats.block_io->empty()) {
      if (auto plain = ReadBlkioV1(*blkio + "/blkio.io_service_bytes_recursive", sys_root);
          plain && !plain->empty()) {
        stats.block_io = std::move(plain);
      }
    }
  }
}

void ReadV2(const std::string& path, const std::string& root, const std::string& sys_root,
            CgroupStats& stats) {
  // Pure v2 mounts the hierarchy at the root; hybrid systems under "unified".
  const std::string base =
      std::filesystem::exists(root + "/cgroup.controllers") ? root : root + "/unified";
  const std::string directory = base + (path == "/" ? "" : path);
  if (!std::filesystem::is_directory(directory)) return;
  if (!stats.memory_usage) stats.memory_usage = ReadUnsigned(directory + "/memory.current");
  if (!stats.memory_max_usage) stats.memory_max_usage = ReadUnsigned(directory + "/memory.peak");
  if (!stats.memory_rss) {
    const auto values = ReadKeyValues(directory + "/memory.stat");
    stats.memory_rss = Lookup(values, {"anon"});
    stats.memory_cache = Lookup(values, {"file"});
    stats.memory_mapped_file = Lookup(values, {"file_mapped"});
    stats.memory_inactive_file = Lookup(values, {"inactive_file"});
  }
  if (!stats.memory_swap) stats.memory_swap = ReadUnsigned(directory + "/memory.swap.current");
  if (!stats.cpu_seconds) {
    const auto values = ReadKeyValues(directory + "/cpu.stat");
    stats.cpu_seconds = Scaled(Lookup(values, {"usage_usec"}), 1e6);
    stats.cpu_user_seconds = Scaled(Lookup(values, {"user_usec"}), 1e6);
    stats.cpu_system_seconds = Scaled(Lookup(values, {"system_usec"}), 1e6);
    stats.cfs_periods = Lookup(values, {"nr_periods"});
    stats.cfs_throttled_periods = Lookup(values, {"nr_throttled"});
    stats.cfs_throttled_seconds = Scaled(Lookup(values, {"throttled_usec"}), 1e6);
  }
  if (!stats.block_io) stats.block_io = ReadIoStatV2(directory + "/io.stat", sys_root);
}

}  // namespace

std::string CgroupMembership::Path() const {
  for (const char* controller : {"memory", "cpu", "cpuacct"}) {
    if (auto found = v1.find(controller); found != v1.end()) return found->second;
  }
  if (unified) return *unified;
  return v1.empty() ? std::string() : v1.begin()->second;
}

CgroupMembership ParseProcCgroup(std::string_view text) {
  CgroupMembership membership;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    // hierarchy-id:controller-list:path; the path may itself hold ':'.
    const auto first = line.find(':');
    if (first == std::string::npos) continue;
    const auto second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (path.empty() || path.front() != '/') continue;
    if (controllers.empty()) {
      membership.unified = path;
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (name.empty() || name.rfind("name=", 0) == 0) continue;
      membership.v1[name] = path;
      membership.v1_hierarchy[name] = controllers;
    }
  }
  return membership;
}

CgroupMembership RootCgroup() {
  // Built from std::string values: GCC 12 at -O2 misreads assigning "/" literals here
  // (-Wrestrict).
  const std::string root(1, '/');
  const std::string cpu_and_cpuacct = "cpu,cpuacct";
  CgroupMembership membership;
  for (const char* controller : {"memory", "cpu", "cpuacct", "blkio"}) {
    membership.v1.emplace(controller, root);
  }
  membership.v1_hierarchy.emplace("cpu", cpu_and_cpuacct);
  membership.v1_hierarchy.emplace("cpuacct", cpu_and_cpuacct);
  membership.unified.emplace(root);
  return membership;
}

CgroupStats ReadCgroupStats(const CgroupMembership& membership, const std::string& cgroup_root,
                            const std::string& sys_root) {
  CgroupStats stats;
  if (!membership.v1.empty()) ReadV1(membership, cgroup_root, sys_root, stats);
  // v2 fills what v1 did not (pure v2, or controllers a hybrid system moved to v2).
  if (membership.unified) ReadV2(*membership.unified, cgroup_root, sys_root, stats);
  return stats;
}

}  // namespace medic
