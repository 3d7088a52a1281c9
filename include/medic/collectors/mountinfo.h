#pragma once

#include <optional>
#include <string>
#include <vector>

namespace medic {

// One line of /proc/self/mountinfo, with octal escapes (\040 for space) decoded.
struct MountInfo {
  std::string mount_point;
  std::string fstype;
  std::string device;
  bool read_only = false;  // "ro" in the mount's or the superblock's options
};

std::vector<MountInfo> ParseMountInfo(const std::string& text);

// The mount that contains `path`: the longest mount point that is a prefix of it, the last
// such entry winning (later mounts shadow earlier ones on the same point).
std::optional<MountInfo> FindMountFor(const std::vector<MountInfo>& mounts,
                                      const std::string& path);

}  // namespace medic
