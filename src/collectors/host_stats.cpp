#include "medic/collectors/host_stats.h"

#include "medic/text_file.h"

#include <unistd.h>

#include <algorithm>
#include <sstream>

namespace medic {
namespace {

bool IsContainerLinkOrLoopback(const std::string& name) {
  if (name == "lo") return true;
  for (const char* prefix : {"veth", "docker", "cni", "podman", "br-"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// MemTotal − MemFree, as the root memory cgroup counts usage (page cache included).
void FillMemoryFromMeminfo(const std::string& proc_root, CgroupStats& stats) {
  const auto text = ReadTextFile(proc_root + "/meminfo");
  if (!text) return;
  std::map<std::string, std::uint64_t> kib;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t value = 0;
    if (fields >> key >> value && !key.empty() && key.back() == ':') {
      key.pop_back();
      kib[key] = value;
    }
  }
  auto bytes = [&](const char* key) -> std::optional<std::uint64_t> {
    auto found = kib.find(key);
    if (found == kib.end()) return std::nullopt;
    return found->second * 1024;
  };
  const auto total = bytes("MemTotal");
  const auto free = bytes("MemFree");
  if (!stats.memory_usage && total && free && *total >= *free) stats.memory_usage = *total - *free;
  if (!stats.memory_cache) stats.memory_cache = bytes("Cached");
  if (!stats.memory_inactive_file) stats.memory_inactive_file = bytes("Inactive(file)");
  if (!stats.memory_rss) stats.memory_rss = bytes("AnonPages");
  if (!stats.memory_mapped_file) stats.memory_mapped_file = bytes("Mapped");
}

// The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal, in ticks.
void FillCpuFromProcStat(const std::string& proc_root, CgroupStats& stats) {
  const auto text = ReadTextFile(proc_root + "/stat");
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (!text || ticks <= 0) return;
  std::istringstream first_line(text->substr(0, text->find('\n')));
  std::string label;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;
  if (!(first_line >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq) ||
      label != "cpu") {
    return;
  }
  first_line >> steal;
  stats.cpu_user_seconds = static_cast<double>(user + nice) / ticks;
  stats.cpu_system_seconds = static_cast<double>(system + irq + softirq) / ticks;
  stats.cpu_seconds = static_cast<double>(user + nice + system + irq + softirq + steal) / ticks;
}

}  // namespace

std::vector<docker::NetworkStats> ParseProcNetDev(std::string_view text) {
  std::vector<docker::NetworkStats> interfaces;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name.empty() || IsContainerLinkOrLoopback(name)) continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t value[16] = {};
    bool complete = true;
    for (std::uint64_t& field : value) complete = complete && static_cast<bool>(fields >> field);
    if (!complete) continue;
    docker::NetworkStats network;
    network.interface = name;
    network.rx_bytes = value[0];
    network.rx_packets = value[1];
    network.rx_errors = value[2];
    network.rx_dropped = value[3];
    network.tx_bytes = value[8];
    network.tx_packets = value[9];
    network.tx_errors = value[10];
    network.tx_dropped = value[11];
    interfaces.push_back(std::move(network));
  }
  std::sort(interfaces.begin(), interfaces.end(),
            [](const auto& a, const auto& b) { return a.interface < b.interface; });
  return interfaces;
}

HostStats ReadHostStats(const std::string& proc_root, const std::string& cgroup_root,
                        const std::string& sys_root) {
  HostStats host;
  host.cgroup = ReadCgroupStats(RootCgroup(), cgroup_root, sys_root);
  FillMemoryFromMeminfo(proc_root, host.cgroup);
  if (!host.cgroup.cpu_seconds || !host.cgroup.cpu_user_seconds) {
    FillCpuFromProcStat(proc_root, host.cgroup);
  }
  if (auto text = ReadTextFile(proc_root + "/net/dev")) host.networks = ParseProcNetDev(*text);
  return host;
}

}  // namespace medic
