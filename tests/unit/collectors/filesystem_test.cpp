#include "medic/collectors/filesystem.h"
#include "medic/collectors/mountinfo.h"

#include <doctest/doctest.h>

#include <sys/statvfs.h>

#include <cstdio>
#include <fstream>

namespace {

const prometheus::ClientMetric* FindMetric(const std::vector<prometheus::MetricFamily>& families,
                                           const std::string& name, const std::string& mountpoint) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "mountpoint" && label.value == mountpoint) return &metric;
      }
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("mountinfo lines are parsed with escapes and optional fields") {
  const std::string text =
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      "40 22 0:35 / /mnt/my\\040disk rw,nosuid master:2 unbindable - tmpfs tmp\\040fs rw\n"
      "garbage line\n"
      "41 22 0:36 / /mnt/my\\040disk rw - xfs /dev/sdb1 rw\n";
  const auto mounts = medic::ParseMountInfo(text);
  REQUIRE(mounts.size() == 3);
  CHECK(mounts[0].mount_point == "/");
  CHECK(mounts[0].fstype == "ext4");
  CHECK(mounts[0].device == "/dev/sda1");
  CHECK(mounts[1].mount_point == "/mnt/my disk");
  CHECK(mounts[1].device == "tmp fs");
  // The later mount on the same point shadows the earlier one.
  CHECK(medic::FindMountFor(mounts, "/mnt/my disk/sub")->fstype == "xfs");
  CHECK(medic::FindMountFor(mounts, "/mnt/my diskette")->mount_point == "/");
  CHECK(medic::FindMountFor(mounts, "/var/lib")->device == "/dev/sda1");
}

TEST_CASE("filesystem collector agrees with statvfs on the root filesystem") {
  medic::FilesystemCollector collector(medic::FilesystemSettings{{"/"}});
  const auto families = collector.Collect();
  struct statvfs expected {};
  REQUIRE(::statvfs("/", &expected) == 0);
  const auto* size = FindMetric(families, "node_filesystem_size_bytes", "/");
  const auto* avail = FindMetric(families, "node_filesystem_avail_bytes", "/");
  const auto* free = FindMetric(families, "node_filesystem_free_bytes", "/");
  REQUIRE(size != nullptr);
  REQUIRE(avail != nullptr);
  REQUIRE(free != nullptr);
  CHECK(size->gauge.value == static_cast<double>(expected.f_blocks) * expected.f_frsize);
  CHECK(avail->gauge.value <= free->gauge.value);
  CHECK(free->gauge.value <= size->gauge.value);
  CHECK(FindMetric(families, "node_filesystem_files", "/")->gauge.value ==
        static_cast<double>(expected.f_files));
  bool has_fstype = false;
  for (const auto& label : size->label)
    has_fstype |= label.name == "fstype" && !label.value.empty();
  CHECK(has_fstype);
}

TEST_CASE("an unreadable mount point reports device_error 1 and the others still report") {
  medic::FilesystemCollector collector(
      medic::FilesystemSettings{{"/", "/nonexistent/medic/mount"}});
  const auto families = collector.Collect();
  CHECK(FindMetric(families, "node_filesystem_device_error", "/nonexistent/medic/mount")
            ->gauge.value == 1);
  CHECK(FindMetric(families, "node_filesystem_size_bytes", "/nonexistent/medic/mount") == nullptr);
  CHECK(FindMetric(families, "node_filesystem_device_error", "/")->gauge.value == 0);
}

TEST_CASE("a missing mountinfo file fails the collector") {
  medic::FilesystemCollector collector(medic::FilesystemSettings{{"/"}}, "/nonexistent/mountinfo");
  CHECK_THROWS_AS(collector.Collect(), medic::CollectorError);
}

TEST_CASE("all_mounts reports every mount node_exporter would, minus its default exclusions") {
  const std::string mountinfo_path = "/tmp/medic-filesystem-test-mountinfo";
  {
    std::ofstream out(mountinfo_path);
    out << "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
           "23 22 0:5 / /proc rw - proc proc rw\n"
           "24 22 0:6 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
           "25 22 0:7 / /var/lib/docker/overlay2/abc/merged rw - overlay overlay rw\n"
           "26 22 0:8 / /tmp ro,nosuid - tmpfs tmpfs rw\n";
  }
  medic::FilesystemSettings settings;
  settings.mountpoints.clear();
  settings.all_mounts = true;
  medic::FilesystemCollector collector(settings, mountinfo_path);
  const auto families = collector.Collect();
  CHECK(FindMetric(families, "node_filesystem_device_error", "/") != nullptr);
  CHECK(FindMetric(families, "node_filesystem_device_error", "/tmp") != nullptr);
  CHECK(FindMetric(families, "node_filesystem_device_error", "/proc") == nullptr);
  CHECK(FindMetric(families, "node_filesystem_device_error", "/sys/fs/cgroup") == nullptr);
  CHECK(FindMetric(families, "node_filesystem_device_error",
                   "/var/lib/docker/overlay2/abc/merged") == nullptr);
  // Read-only from the mount options, as node_exporter reads it, whatever statvfs says.
  CHECK(FindMetric(families, "node_filesystem_readonly", "/tmp")->gauge.value == 1);
  std::remove(mountinfo_path.c_str());
}

TEST_CASE("a configured path is reported under its own name beside the discovered mounts") {
  medic::FilesystemSettings settings;
  settings.mountpoints = {"/usr/lib"};
  settings.all_mounts = true;
  settings.fs_types_exclude = "^$";
  settings.mount_points_exclude = "^$";
  medic::FilesystemCollector collector(settings);
  const auto families = collector.Collect();
  CHECK(FindMetric(families, "node_filesystem_size_bytes", "/usr/lib") != nullptr);
  CHECK(FindMetric(families, "node_filesystem_size_bytes", "/") != nullptr);
}
