#include "medic/collectors/backup.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <utime.h>

namespace {

void SetMtime(const std::string& path, time_t seconds) {
  utimbuf times{seconds, seconds};
  REQUIRE(::utime(path.c_str(), &times) == 0);
}

double Sample(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
              const std::string& target) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      if (metric.label.at(0).value == target) return metric.gauge.value;
    }
  }
  FAIL("missing " << name << " for " << target);
  return -1;
}

}  // namespace

TEST_CASE("the newest matching backup wins; other files are ignored") {
  medic::test::TempDir dir;
  dir.Write("a.tar.gz", "aaaa");
  dir.Write("b.tar.gz", "bbbbbbbb");
  dir.Write("c.log", "not a backup, and newest");
  dir.Write(".hidden.tar.gz", "dotfiles need an explicit glob");
  REQUIRE(::mkdir(dir.Join("d.tar.gz").c_str(), 0755) == 0);  // a directory is not a backup
  SetMtime(dir.Join("a.tar.gz"), 1700000000);
  SetMtime(dir.Join("b.tar.gz"), 1700000500);
  SetMtime(dir.Join("c.log"), 1800000000);

  const auto scan = medic::ScanBackups(dir.path(), "*.tar.gz");
  CHECK(scan.files == 2);
  CHECK(scan.newest_mtime_seconds == doctest::Approx(1700000500));
  CHECK(scan.newest_size_bytes == 8);
  CHECK(scan.newest_path == dir.Join("b.tar.gz"));
}

TEST_CASE("backup collector exports age, size and count, and 0 for a missing directory") {
  medic::test::TempDir dir;
  dir.Write("x.tar.gz", "12345");
  SetMtime(dir.Join("x.tar.gz"), 1750000000);
  medic::BackupCollector collector({{"bot", dir.path(), "*.tar.gz"},
                                    {"empty", dir.path(), "*.none"},
                                    {"missing", dir.Join("nope"), "*"}});
  const auto families = collector.Collect();
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "bot") == 1750000000);
  CHECK(Sample(families, "medic_backup_size_bytes", "bot") == 5);
  CHECK(Sample(families, "medic_backup_files", "bot") == 1);
  CHECK(Sample(families, "medic_backup_check_success", "bot") == 1);
  CHECK(Sample(families, "medic_backup_files", "empty") == 0);
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "empty") == 0);
  CHECK(Sample(families, "medic_backup_check_success", "missing") == 0);
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "missing") == 0);
}
