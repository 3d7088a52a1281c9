#include "medic/collectors/backup.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

namespace {

void SetMtime(const std::string& path, time_t seconds) {
  utimbuf times{seconds, seconds};
  REQUIRE(::utime(path.c_str(), &times) == 0);
}

// Writes `relative` (creating its directories) under `dir` with the given mtime.
void WriteFile(const medic::test::TempDir& dir, const std::string& relative,
               const std::string& content, time_t mtime) {
  const std::filesystem::path path(dir.Join(relative));
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
  SetMtime(path.string(), mtime);
}

// The seed's layout: $BACKUP_DIR/$DATE/{config,data}-$DATE.tar.gz and db-$DATE.sql, one dated
// directory per night, written at 02:00 (1764468000 is 2025-11-30 02:00 UTC).
constexpr time_t kNight = 1764468000;
constexpr time_t kDay = 86400;
void WriteSeedBackup(const medic::test::TempDir& dir, const std::string& date, time_t when,
                     const std::vector<std::string>& parts = {"config", "data", "db"}) {
  for (const std::string& part : parts) {
    const std::string suffix = part == "db" ? ".sql" : ".tar.gz";
    WriteFile(dir, date + "/" + part + "-" + date + suffix, part + date, when);
  }
}

double Sample(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have == labels) return metric.gauge.value;
    }
  }
  FAIL("missing " << name);
  return -1;
}

double Sample(const std::vector<prometheus::MetricFamily>& families, const std::string& name,
              const std::string& target) {
  return Sample(families, name, {{"name", target}});
}

bool HasFamily(const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  for (const auto& family : families) {
    if (family.name == name) return true;
  }
  return false;
}

medic::BackupTarget Target(std::string name, std::string path, std::string glob,
                           std::vector<std::string> set = {}) {
  medic::BackupTarget target;
  target.name = std::move(name);
  target.path = std::move(path);
  target.glob = std::move(glob);
  target.set = std::move(set);
  return target;
}

std::string GlobError(const std::string& glob) {
  try {
    [[maybe_unused]] const medic::BackupGlob parsed(glob);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
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
  medic::BackupCollector collector({Target("bot", dir.path(), "*.tar.gz"),
                                    Target("empty", dir.path(), "*.none"),
                                    Target("missing", dir.Join("nope"), "*")});
  const auto families = collector.Collect();
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "bot") == 1750000000);
  CHECK(Sample(families, "medic_backup_size_bytes", "bot") == 5);
  CHECK(Sample(families, "medic_backup_files", "bot") == 1);
  CHECK(Sample(families, "medic_backup_check_success", "bot") == 1);
  CHECK(Sample(families, "medic_backup_files", "empty") == 0);
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "empty") == 0);
  CHECK(Sample(families, "medic_backup_check_success", "missing") == 0);
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "missing") == 0);
  // No target has a set, so there is nothing to say about sets.
  CHECK_FALSE(HasFamily(families, "medic_backup_set_complete"));
  CHECK(collector.LastError().find("missing: cannot open") != std::string::npos);
  CHECK(collector.LastError().find("bot:") == std::string::npos);
}

TEST_CASE("the seed's dated directories: the newest file of the newest night decides") {
  medic::test::TempDir dir;
  WriteSeedBackup(dir, "20251128", kNight - 2 * kDay);
  WriteSeedBackup(dir, "20251129", kNight - kDay);
  WriteSeedBackup(dir, "20251130", kNight);
  WriteFile(dir, "20251130/db-20251130.sql", "the biggest part, written last", kNight + 60);

  const auto all = medic::ScanBackups(dir.path(), "*/*", {"config", "data", "db"});
  CHECK(all.files == 9);
  CHECK(all.newest_mtime_seconds == doctest::Approx(kNight + 60));
  CHECK(all.newest_size_bytes == 30);
  CHECK(all.newest_path == dir.Join("20251130/db-20251130.sql"));
  CHECK(all.newest_set_directory == "20251130");
  CHECK(all.missing_parts.empty());

  const auto configs = medic::ScanBackups(dir.path(), "*/config-*.tar.gz");
  CHECK(configs.files == 3);
  CHECK(configs.newest_path == dir.Join("20251130/config-20251130.tar.gz"));
  CHECK(configs.newest_mtime_seconds == doctest::Approx(kNight));

  // The old one-directory glob sees no file here: "no backup found" is what it used to say.
  CHECK(medic::ScanBackups(dir.path(), "*.tar.gz").files == 0);
}

TEST_CASE("a partial newest set is reported even when an older one is complete") {
  medic::test::TempDir dir;
  WriteSeedBackup(dir, "20251129", kNight - kDay);
  WriteSeedBackup(dir, "20251130", kNight, {"config", "data"});  // the db dump failed

  medic::BackupCollector collector(
      {Target("review-bot", dir.path(), "*/*", {"config", "data", "db"})});
  const auto families = collector.Collect();
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "review-bot") == kNight);
  CHECK(Sample(families, "medic_backup_files", "review-bot") == 5);
  CHECK(Sample(families, "medic_backup_set_complete", "review-bot") == 0);
  CHECK(Sample(families, "medic_backup_set_missing", {{"name", "review-bot"}, {"part", "db"}}) ==
        1);
  CHECK(Sample(families, "medic_backup_set_missing",
               {{"name", "review-bot"}, {"part", "config"}}) == 0);
  CHECK(Sample(families, "medic_backup_set_missing", {{"name", "review-bot"}, {"part", "data"}}) ==
        0);
  CHECK(collector.LastError() == "review-bot: newest backup 20251130 is partial: missing db");

  // The next night's backup is whole again: the complaint goes away.
  WriteSeedBackup(dir, "20251201", kNight + kDay);
  const auto next = collector.Collect();
  CHECK(Sample(next, "medic_backup_set_complete", "review-bot") == 1);
  CHECK(Sample(next, "medic_backup_set_missing", {{"name", "review-bot"}, {"part", "db"}}) == 0);
  CHECK(collector.LastError().empty());
}

TEST_CASE("a set part is a file-name prefix followed by a dash") {
  medic::test::TempDir dir;
  WriteFile(dir, "20251130/config-20251130.tar.gz", "c", kNight);
  WriteFile(dir, "20251130/database.sql", "not db-*", kNight);
  WriteFile(dir, "20251130/dataset-x.tar.gz", "not data-*", kNight);
  const auto scan = medic::ScanBackups(dir.path(), "*/*", {"config", "data", "db"});
  CHECK(scan.files == 3);
  CHECK(scan.missing_parts == std::vector<std::string>{"data", "db"});
}

TEST_CASE("with a set and a flat directory, the directory itself is the set") {
  medic::test::TempDir dir;
  WriteFile(dir, "config-1.tar.gz", "c", kNight);
  medic::BackupCollector collector({Target("flat", dir.path(), "*.tar.gz", {"config", "data"})});
  collector.Collect();
  CHECK(collector.LastError() == "flat: newest backup " + dir.path() + " is partial: missing data");
}

TEST_CASE("** matches any number of directories, none included") {
  medic::test::TempDir dir;
  WriteFile(dir, "top.tar.gz", "0", kNight);
  WriteFile(dir, "a/one.tar.gz", "1", kNight + 1);
  WriteFile(dir, "a/b/c/deep.tar.gz", "333", kNight + 3);
  WriteFile(dir, "a/b/note.txt", "not a backup", kNight + 9);
  WriteFile(dir, "host/db-1.sql", "d1", kNight + 4);
  WriteFile(dir, "host/x/y/db-2.sql", "d22", kNight + 5);
  WriteFile(dir, "host/x/y/other.sql", "no", kNight + 6);

  SUBCASE("at the start") {
    const auto scan = medic::ScanBackups(dir.path(), "**/*.tar.gz");
    CHECK(scan.files == 3);
    CHECK(scan.newest_path == dir.Join("a/b/c/deep.tar.gz"));
  }
  SUBCASE("in the middle, including zero directories") {
    const auto scan = medic::ScanBackups(dir.path(), "host/**/db-*.sql");
    CHECK(scan.files == 2);
    CHECK(scan.newest_path == dir.Join("host/x/y/db-2.sql"));
    CHECK(medic::ScanBackups(dir.path(), "a/**/one.tar.gz").files == 1);  // a/one.tar.gz
  }
  SUBCASE("at the end: every file below") {
    const auto scan = medic::ScanBackups(dir.path(), "a/**");
    CHECK(scan.files == 3);
    CHECK(scan.newest_path == dir.Join("a/b/note.txt"));
  }
  SUBCASE("alone, and doubled") {
    CHECK(medic::ScanBackups(dir.path(), "**").files == 7);
    CHECK(medic::ScanBackups(dir.path(), "**/**/*.sql").files == 3);
  }
}

TEST_CASE("dot names need an explicit dot, in every segment and under **") {
  medic::test::TempDir dir;
  WriteFile(dir, "20251130/config-20251130.tar.gz", "c", kNight);
  WriteFile(dir, "20251130/.config-20251130.tar.gz.partial", "in progress", kNight + 60);
  WriteFile(dir, ".snapshot/20251201/config-20251201.tar.gz", "snapshot copy", kNight + kDay);
  WriteFile(dir, "20251130/.tmp/config-x.tar.gz", "scratch", kNight + kDay);

  CHECK(medic::ScanBackups(dir.path(), "*/*").files == 1);
  const auto deep = medic::ScanBackups(dir.path(), "**/config-*");
  CHECK(deep.files == 1);
  CHECK(deep.newest_path == dir.Join("20251130/config-20251130.tar.gz"));
  CHECK(medic::ScanBackups(dir.path(), ".snapshot/*/*").files == 1);
  CHECK(medic::ScanBackups(dir.path(), "*/.*").files == 1);
}

TEST_CASE("directory symlinks are not followed, so a loop ends; file symlinks count") {
  medic::test::TempDir dir;
  WriteFile(dir, "20251130/config-20251130.tar.gz", "c", kNight);
  REQUIRE(::symlink(".", dir.Join("20251130/loop").c_str()) == 0);
  REQUIRE(::symlink("..", dir.Join("20251130/up").c_str()) == 0);
  REQUIRE(::symlink("20251130", dir.Join("latest").c_str()) == 0);
  REQUIRE(::symlink("20251130/config-20251130.tar.gz", dir.Join("config-latest.tar.gz").c_str()) ==
          0);
  REQUIRE(::symlink("nowhere", dir.Join("dangling.tar.gz").c_str()) == 0);

  const auto scan = medic::ScanBackups(dir.path(), "**/*.tar.gz");
  CHECK(scan.files == 2);  // the file and the symlink to it; the dangling link is nothing
  CHECK(scan.skipped_directory_symlinks == 3);  // loop, up, latest
  CHECK(scan.skipped_too_deep == 0);
  CHECK_FALSE(scan.entry_limit_reached);

  medic::BackupCollector collector({Target("bot", dir.path(), "**/*.tar.gz")});
  const auto families = collector.Collect();
  CHECK(Sample(families, "medic_backup_scan_skipped_entries",
               {{"name", "bot"}, {"reason", "directory_symlink"}}) == 3);
  CHECK(Sample(families, "medic_backup_scan_skipped_entries",
               {{"name", "bot"}, {"reason", "entry_limit"}}) == 0);
  CHECK(collector.LastError().empty());  // a "latest" link is normal, not a problem
}

TEST_CASE("the target's path itself may be a symlink") {
  medic::test::TempDir dir;
  WriteSeedBackup(dir, "real/20251130", kNight);
  REQUIRE(::symlink(dir.Join("real").c_str(), dir.Join("link").c_str()) == 0);
  CHECK(medic::ScanBackups(dir.Join("link"), "*/*/*").files == 3);
}

TEST_CASE("the walk is bounded in depth and entries, and says so") {
  medic::test::TempDir dir;
  WriteFile(dir, "1/2/3/4/deep.tar.gz", "deep", kNight);
  for (int i = 0; i < 20; ++i)
    WriteFile(dir, "many/f" + std::to_string(i) + ".tar.gz", "x", kNight);

  const auto shallow = medic::ScanBackups(dir.path(), "**/deep.tar.gz", {}, {.max_depth = 2});
  CHECK(shallow.files == 0);
  CHECK(shallow.skipped_too_deep == 1);  // 1/2/3 was not entered
  CHECK(medic::ScanBackups(dir.path(), "**/deep.tar.gz", {}, {.max_depth = 4}).files == 1);

  const auto capped = medic::ScanBackups(dir.path(), "**", {}, {.max_entries = 8});
  CHECK(capped.entry_limit_reached);
  CHECK(capped.skipped_past_limit >= 1);
  CHECK(capped.files < 20);

  medic::BackupCollector collector({Target("big", dir.path(), "**")}, {.max_entries = 8});
  const auto families = collector.Collect();
  CHECK(Sample(families, "medic_backup_scan_skipped_entries",
               {{"name", "big"}, {"reason", "entry_limit"}}) >= 1);
  CHECK(collector.LastError().find("big: scan stopped after 8 entries") == 0);
}

TEST_CASE("nothing matching: files 0, timestamp 0, and no talk of a partial set") {
  medic::test::TempDir dir;
  WriteFile(dir, "20251130/notes.txt", "no backups here", kNight);
  medic::BackupCollector collector(
      {Target("review-bot", dir.path(), "*/*.tar.gz", {"config", "data"})});
  const auto families = collector.Collect();
  CHECK(Sample(families, "medic_backup_files", "review-bot") == 0);
  CHECK(Sample(families, "medic_backup_last_modified_timestamp_seconds", "review-bot") == 0);
  CHECK(Sample(families, "medic_backup_check_success", "review-bot") == 1);
  CHECK(Sample(families, "medic_backup_set_complete", "review-bot") == 0);
  CHECK(Sample(families, "medic_backup_set_missing", {{"name", "review-bot"}, {"part", "data"}}) ==
        1);
  CHECK(collector.LastError().empty());  // the page's "no backup found" says it
}

TEST_CASE("bad globs are refused with the reason") {
  CHECK(GlobError("*.tar.gz").empty());
  CHECK(GlobError("*/config-*.tar.gz").empty());
  CHECK(GlobError("**").empty());
  CHECK(GlobError("a/**/b").empty());
  CHECK(GlobError("/opt/backups/*.tar.gz").find("must be relative to path") != std::string::npos);
  CHECK(GlobError("a//b").find("empty path segment") != std::string::npos);
  CHECK(GlobError("a/").find("empty path segment") != std::string::npos);
  CHECK(GlobError("a**b").find("\"**\" must be a whole path segment") != std::string::npos);
  CHECK(GlobError("**.tar.gz").find("\"**\" must be a whole path segment") != std::string::npos);
  CHECK(GlobError("../other/*").find("may not hold \"..\"") != std::string::npos);
  CHECK(GlobError("./*").find("may not hold \".\"") != std::string::npos);
  CHECK(medic::BackupSetPartProblem("db").empty());
  CHECK_FALSE(medic::BackupSetPartProblem("").empty());
  CHECK_FALSE(medic::BackupSetPartProblem("db*").empty());
  CHECK_FALSE(medic::BackupSetPartProblem("a/b").empty());
}
