#include "medic/collectors/filesystem.h"

#include "medic/collectors/mountinfo.h"
#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace medic {

FilesystemCollector::FilesystemCollector(FilesystemSettings settings, std::string mountinfo_path)
    : settings_(std::move(settings)), mountinfo_path_(std::move(mountinfo_path)) {}

std::vector<prometheus::MetricFamily> FilesystemCollector::Collect() {
  std::ifstream in(mountinfo_path_);
  if (!in) throw CollectorError("cannot read " + mountinfo_path_);
  std::stringstream text;
  text << in.rdbuf();
  const std::vector<MountInfo> mounts = ParseMountInfo(text.str());

  auto size =
      MetricFamilyBuilder::Gauge("medic_filesystem_size_bytes", "Filesystem size in bytes.");
  auto avail = MetricFamilyBuilder::Gauge("medic_filesystem_avail_bytes",
                                          "Filesystem space available to non-root users in bytes.");
  auto free =
      MetricFamilyBuilder::Gauge("medic_filesystem_free_bytes", "Filesystem free space in bytes.");
  auto files = MetricFamilyBuilder::Gauge("medic_filesystem_files", "Filesystem total file nodes.");
  auto files_free =
      MetricFamilyBuilder::Gauge("medic_filesystem_files_free", "Filesystem free file nodes.");
  auto readonly = MetricFamilyBuilder::Gauge("medic_filesystem_readonly",
                                             "Filesystem read-only status (1 read-only).");
  auto device_error = MetricFamilyBuilder::Gauge(
      "medic_filesystem_device_error", "Whether statvfs failed for the mount point (1 failed).");

  for (const std::string& mount_point : settings_.mountpoints) {
    const auto mount = FindMountFor(mounts, mount_point);
    LabelPairs labels{{"mountpoint", mount_point},
                      {"device", mount ? mount->device : ""},
                      {"fstype", mount ? mount->fstype : ""}};
    struct statvfs stat {};
    if (::statvfs(mount_point.c_str(), &stat) != 0) {
      spdlog::warn("filesystem: statvfs({}) failed: {}", mount_point, std::strerror(errno));
      device_error.Add(1, labels);
      continue;
    }
    const double fragment = static_cast<double>(stat.f_frsize);
    device_error.Add(0, labels);
    size.Add(static_cast<double>(stat.f_blocks) * fragment, labels);
    avail.Add(static_cast<double>(stat.f_bavail) * fragment, labels);
    free.Add(static_cast<double>(stat.f_bfree) * fragment, labels);
    files.Add(static_cast<double>(stat.f_files), labels);
    files_free.Add(static_cast<double>(stat.f_ffree), labels);
    readonly.Add((stat.f_flag & ST_RDONLY) != 0 ? 1 : 0, labels);
  }
  std::vector<prometheus::MetricFamily> families;
  for (auto* family : {&size, &avail, &free, &files, &files_free, &readonly, &device_error}) {
    family->MoveInto(families);
  }
  return families;
}

}  // namespace medic
