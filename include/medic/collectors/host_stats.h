#pragma once

#include "medic/collectors/cgroup_stats.h"
#include "medic/docker/types.h"

#include <string>
#include <string_view>
#include <vector>

namespace medic {

// The whole host as cAdvisor reports it under id="/": the root cgroup's figures, with
// /proc/meminfo and /proc/stat standing in where the root cgroup has none (cgroup v2 has no
// memory.current at the root), and the host's network interfaces from /proc/net/dev.
struct HostStats {
  CgroupStats cgroup;
  std::vector<docker::NetworkStats> networks;  // sorted by interface
};

HostStats ReadHostStats(const std::string& proc_root, const std::string& cgroup_root,
                        const std::string& sys_root);

// /proc/net/dev without loopback and the host ends of container links (veth*, docker*, cni*,
// podman*), which cAdvisor leaves out of the host's figures too.
std::vector<docker::NetworkStats> ParseProcNetDev(std::string_view text);

}  // namespace medic
