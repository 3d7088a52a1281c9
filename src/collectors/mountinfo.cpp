#include "medic/collectors/mountinfo.h"

#include <sstream>

namespace medic {
namespace {

std::string DecodeOctalEscapes(const std::string& field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string digits = field.substr(i + 1, 3);
      if (digits.size() == 3 && digits.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

bool HasOption(const std::string& options, const std::string& wanted) {
  std::istringstream list(options);
  std::string option;
  while (std::getline(list, option, ',')) {
    if (option == wanted) return true;
  }
  return false;
}

bool IsUnder(const std::string& path, const std::string& mount_point) {
  if (mount_point == "/") return !path.empty() && path.front() == '/';
  if (path.compare(0, mount_point.size(), mount_point) != 0) return false;
  return path.size() == mount_point.size() || path[mount_point.size()] == '/';
}

}  // namespace

std::vector<MountInfo> ParseMountInfo(const std::string& text) {
  std::vector<MountInfo> mounts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> parts;
    std::string part;
    while (fields >> part) parts.push_back(part);
    // id parent major:minor root mount_point options [optional...] - fstype source super_options
    std::size_t separator = 0;
    for (std::size_t i = 6; i < parts.size(); ++i) {
      if (parts[i] == "-") {
        separator = i;
        break;
      }
    }
    if (parts.size() < 7 || separator == 0 || separator + 2 >= parts.size()) continue;
    const std::string super_options = separator + 3 < parts.size() ? parts[separator + 3] : "";
    mounts.push_back({DecodeOctalEscapes(parts[4]), parts[separator + 1],
                      DecodeOctalEscapes(parts[separator + 2]),
                      HasOption(parts[5], "ro") || HasOption(super_options, "ro")});
  }
  return mounts;
}

std::optional<MountInfo> FindMountFor(const std::vector<MountInfo>& mounts,
                                      const std::string& path) {
  std::optional<MountInfo> best;
  for (const MountInfo& mount : mounts) {
    if (!IsUnder(path, mount.mount_point)) continue;
    if (!best || mount.mount_point.size() >= best->mount_point.size()) best = mount;
  }
  return best;
}

}  // namespace medic
