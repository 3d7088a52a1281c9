#include "medic/collectors/filesystem.h"
#include "medic/collectors/mountinfo.h"

#include <doctest/doctest.h>

#include <sys/statvfs.h>

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
  const auto* size = FindMetric(families, "medic_filesystem_size_bytes", "/");
  const auto* avail = FindMetric(families, "medic_filesystem_avail_bytes", "/");
  const auto* free = FindMetric(families, "medic_filesystem_free_bytes", "/");
  REQUIRE(size != nullptr);
  REQUIRE(avail != nullptr);
  REQUIRE(free != nullptr);
  CHECK(size->gauge.value == static_cast<double>(expected.f_blocks) * expected.f_frsize);
  CHECK(avail->gauge.value <= free->gauge.value);
  CHECK(free->gauge.value <= size->gauge.value);
  CHECK(FindMetric(families, "medic_filesystem_files", "/")->gauge.value ==
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
  CHECK(FindMetric(families, "medic_filesystem_device_error", "/nonexistent/medic/mount")
            ->gauge.value == 1);
  CHECK(FindMetric(families, "medic_filesystem_size_bytes", "/nonexistent/medic/mount") == nullptr);
  CHECK(FindMetric(families, "medic_filesystem_device_error", "/")->gauge.value == 0);
}

TEST_CASE("a missing mountinfo file fails the collector") {
  medic::FilesystemCollector collector(medic::FilesystemSettings{{"/"}}, "/nonexistent/mountinfo");
  CHECK_THROWS_AS(collector.Collect(), medic::CollectorError);
}
