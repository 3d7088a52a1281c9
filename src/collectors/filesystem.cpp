#include "medic/collectors/filesystem.h"

#include "medic/collectors/mountinfo.h"
#include "medic/metric_family_builder.h"

#include <re2/re2.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

namespace medic {
namespace {

struct WatchedMount {
  std::string mountpoint;  // the label: the configured path, or the mount point found
  std::string device;
  std::string fstype;
  bool read_only = false;
};

// The configured paths first (labelled with the filesystem they live on), then, with
// all_mounts, every mount node_exporter would report. One entry per mountpoint label: the
// last mount on a point shadows earlier ones, as FindMountFor does.
std::vector<WatchedMount> MountsToWatch(const FilesystemSettings& settings,
                                        const std::vector<MountInfo>& mounts) {
  std::map<std::string, WatchedMount> by_point;
  if (settings.all_mounts) {
    const RE2 points_exclude(settings.mount_points_exclude, RE2::Quiet);
    const RE2 types_exclude(settings.fs_types_exclude, RE2::Quiet);
    for (const MountInfo& mount : mounts) {
      if (RE2::PartialMatch(mount.mount_point, points_exclude) ||
          RE2::PartialMatch(mount.fstype, types_exclude)) {
        continue;
      }
      by_point[mount.mount_point] = {mount.mount_point, mount.device, mount.fstype,
                                     mount.read_only};
    }
  }
  for (const std::string& path : settings.mountpoints) {
    const auto mount = FindMountFor(mounts, path);
    by_point[path] = mount ? WatchedMount{path, mount->device, mount->fstype, mount->read_only}
                           : WatchedMount{path, "", "", false};
  }
  std::vector<WatchedMount> watched;
  watched.reserve(by_point.size());
  for (auto& [point, mount] : by_point) watched.push_back(std::move(mount));
  return watched;
}

}  // namespace

FilesystemCollector::FilesystemCollector(FilesystemSettings settings, std::string mountinfo_path)
    : settings_(std::move(settings)), mountinfo_path_(std::move(mountinfo_path)) {}

std::optional<std::future<std::optional<struct statvfs>>> FilesystemCollector::StartStat(
    const std::string& path) {
  {
    std::lock_guard lock(stuck_->mutex);
    if (stuck_->paths.count(path) != 0) return std::nullopt;
  }
  // A hung NFS or FUSE mount blocks statfs in the kernel, uninterruptibly: each call runs on a
  // thread of its own that the scrape can stop waiting for, and all run at once.
  auto result = std::make_shared<std::promise<std::optional<struct statvfs>>>();
  auto answer = result->get_future();
  std::thread([result, path, stuck = stuck_] {
    struct statvfs stat {};
    const int rc = ::statvfs(path.c_str(), &stat);
    const int error = errno;
    if (rc != 0) spdlog::warn("filesystem: statvfs({}) failed: {}", path, std::strerror(error));
    // Under the lock: the waiter decides "stuck" under it by whether the answer is set.
    std::lock_guard lock(stuck->mutex);
    if (stuck->paths.erase(path) != 0) spdlog::info("filesystem: {} answers again", path);
    result->set_value(rc == 0 ? std::optional<struct statvfs>(stat) : std::nullopt);
  }).detach();
  return answer;
}

std::optional<struct statvfs> FilesystemCollector::AwaitStat(
    std::future<std::optional<struct statvfs>>& answer, const std::string& path,
    std::chrono::steady_clock::time_point deadline) {
  if (answer.wait_until(deadline) == std::future_status::ready) return answer.get();
  std::lock_guard lock(stuck_->mutex);
  if (answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready) return answer.get();
  stuck_->paths.insert(path);
  spdlog::warn(
      "filesystem: statvfs({}) has not answered within {} ms; skipping it until it does", path,
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.mount_timeout).count());
  return std::nullopt;
}

std::vector<prometheus::MetricFamily> FilesystemCollector::Collect() {
  std::ifstream in(mountinfo_path_);
  if (!in) throw CollectorError("cannot read " + mountinfo_path_);
  std::stringstream text;
  text << in.rdbuf();
  const std::vector<MountInfo> mounts = ParseMountInfo(text.str());

  // node_exporter's names, labels, help texts and semantics, so that its dashboards and rules
  // work unchanged.
  auto size = MetricFamilyBuilder::Gauge("node_filesystem_size_bytes", "Filesystem size in bytes.");
  auto avail = MetricFamilyBuilder::Gauge("node_filesystem_avail_bytes",
                                          "Filesystem space available to non-root users in bytes.");
  auto free =
      MetricFamilyBuilder::Gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.");
  auto files = MetricFamilyBuilder::Gauge("node_filesystem_files", "Filesystem total file nodes.");
  auto files_free =
      MetricFamilyBuilder::Gauge("node_filesystem_files_free", "Filesystem total free file nodes.");
  auto readonly =
      MetricFamilyBuilder::Gauge("node_filesystem_readonly", "Filesystem read-only status.");
  auto device_error = MetricFamilyBuilder::Gauge(
      "node_filesystem_device_error",
      "Whether an error occurred while getting statistics for the given device.");

  const std::vector<WatchedMount> watched = MountsToWatch(settings_, mounts);
  std::vector<std::optional<std::future<std::optional<struct statvfs>>>> answers;
  answers.reserve(watched.size());
  for (const WatchedMount& mount : watched) answers.push_back(StartStat(mount.mountpoint));
  const auto deadline = std::chrono::steady_clock::now() + settings_.mount_timeout;
  for (std::size_t i = 0; i < watched.size(); ++i) {
    const WatchedMount& mount = watched[i];
    const LabelPairs labels{
        {"device", mount.device}, {"fstype", mount.fstype}, {"mountpoint", mount.mountpoint}};
    const auto stat =
        answers[i] ? AwaitStat(*answers[i], mount.mountpoint, deadline) : std::nullopt;
    if (!stat) {
      device_error.Add(1, labels);
      continue;
    }
    const double fragment = static_cast<double>(stat->f_frsize);
    device_error.Add(0, labels);
    size.Add(static_cast<double>(stat->f_blocks) * fragment, labels);
    avail.Add(static_cast<double>(stat->f_bavail) * fragment, labels);
    free.Add(static_cast<double>(stat->f_bfree) * fragment, labels);
    files.Add(static_cast<double>(stat->f_files), labels);
    files_free.Add(static_cast<double>(stat->f_ffree), labels);
    const bool read_only = mount.read_only || (stat->f_flag & ST_RDONLY) != 0;
    readonly.Add(read_only ? 1 : 0, labels);
  }
  std::vector<prometheus::MetricFamily> families;
  for (auto* family : {&avail, &device_error, &files, &files_free, &free, &readonly, &size}) {
    family->MoveInto(families);
  }
  return families;
}

}  // namespace medic
