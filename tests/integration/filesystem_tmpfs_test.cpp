// The filesystem collector on a real tmpfs of known size (mounted here when we are root).
#include "medic/collectors/filesystem.h"

#include "support/test_support.h"
#include "support/tmpfs_mount.h"

#include <doctest/doctest.h>

#include <fstream>

namespace {

double Sample(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
              const std::string& mountpoint) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      if (metric.label.at(2).value == mountpoint)
        return metric.gauge.value;  // device, fstype, mountpoint
    }
  }
  FAIL("missing " << name);
  return -1;
}

}  // namespace

TEST_CASE("a 16 MiB tmpfs reports its exact size, type and device, and usage moves with writes") {
  medic::test::TempDir dir;
  medic::test::TmpfsMount mount(dir.path(), "size=16m,mode=0755");
  if (!mount.mounted()) {
    MESSAGE("cannot mount tmpfs here (not root?); the root filesystem checks in unit tests apply");
    return;
  }
  medic::FilesystemCollector collector(medic::FilesystemSettings{{dir.path()}});
  auto families = collector.Collect();
  CHECK(Sample(families, "node_filesystem_size_bytes", dir.path()) == 16.0 * 1024 * 1024);
  const double avail_before = Sample(families, "node_filesystem_avail_bytes", dir.path());
  CHECK(avail_before == doctest::Approx(16.0 * 1024 * 1024).epsilon(0.01));
  CHECK(Sample(families, "node_filesystem_readonly", dir.path()) == 0);
  const auto& labels = families.front().metric.front().label;
  CHECK(labels.at(0).value == "medic-test");
  CHECK(labels.at(1).value == "tmpfs");

  {
    std::ofstream out(dir.Join("fill"), std::ios::binary);
    out << std::string(4 * 1024 * 1024, 'x');
  }
  families = collector.Collect();
  CHECK(Sample(families, "node_filesystem_avail_bytes", dir.path()) ==
        doctest::Approx(avail_before - 4.0 * 1024 * 1024).epsilon(0.01));
  CHECK(Sample(families, "node_filesystem_files_free", dir.path()) <
        Sample(families, "node_filesystem_files", dir.path()));
}
