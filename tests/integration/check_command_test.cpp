// `medic check` on the built binary with real collectors in known states: exit codes for cron.
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <sys/time.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <fstream>

namespace {

using medic::test::RunCommand;
using medic::test::TempDir;

void SetAge(const std::string& path, double hours) {
  const double when = static_cast<double>(std::time(nullptr)) - hours * 3600;
  struct timeval times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(when);
  times[0].tv_usec = times[1].tv_usec = 0;
  REQUIRE(::utimes(path.c_str(), times) == 0);
}

medic::test::CommandResult Check(const TempDir& dir, const std::string& yaml,
                                 std::vector<std::string> extra = {}) {
  dir.Write("medic.yml", yaml);
  std::vector<std::string> argv{MEDIC_BINARY, "check", "--config.file=" + dir.Join("medic.yml")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunCommand(argv, std::chrono::seconds(60));
}

std::string BackupConfig(const TempDir& dir, const std::string& thresholds) {
  return "collectors:\n  process: false\n  filesystem: {mountpoints: [/]}\n  backup:\n"
         "    - {name: db, path: " +
         dir.Join("backups") + ", glob: \"*.tar.gz\"}\n" + thresholds;
}

}  // namespace

TEST_CASE("exit 0 when every check is OK, 1 on a WARN, 2 on a FAIL") {
  TempDir dir;
  std::filesystem::create_directories(dir.Join("backups"));
  dir.Write("backups/db-1.tar.gz", "x");
  SetAge(dir.Join("backups/db-1.tar.gz"), 2);

  const auto ok = Check(
      dir,
      BackupConfig(dir, "thresholds: {disk_used_warning_ratio: 1, disk_used_critical_ratio: 1}\n"));
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("OK    backup db") != std::string::npos);
  CHECK(ok.output.find("OVERALL: OK — all 4 checks OK") != std::string::npos);
  CHECK(ok.output.find('\033') == std::string::npos);  // not a terminal: no colour

  // Every used disk is above a 0% warning line: WARN, and the threshold says why.
  const auto warn = Check(
      dir,
      BackupConfig(dir, "thresholds: {disk_used_warning_ratio: 0, disk_used_critical_ratio: 1}\n"));
  INFO(warn.output);
  CHECK(warn.exit_code == 1);
  CHECK(warn.output.find("WARN  disk /") != std::string::npos);
  CHECK(warn.output.find("[WARN > 0%, FAIL > 100%]") != std::string::npos);

  // A 30 h old backup (> 26h) and a probe to a closed port: FAIL.
  SetAge(dir.Join("backups/db-1.tar.gz"), 30);
  const int closed = medic::test::FreePort();
  const auto fail = Check(
      dir,
      BackupConfig(dir, "thresholds: {disk_used_warning_ratio: 1, disk_used_critical_ratio: 1}\n") +
          "",
      {});
  INFO(fail.output);
  CHECK(fail.exit_code == 2);
  CHECK(fail.output.find("FAIL  backup db") != std::string::npos);
  CHECK(fail.output.find("[FAIL if older than 26h or missing]") != std::string::npos);

  const std::string probe_yaml =
      "collectors:\n  process: false\n  probe:\n    - {name: api, url: \"http://127.0.0.1:" +
      std::to_string(closed) + "/health\", timeout: 2s}\n";
  const auto probe = Check(dir, probe_yaml, {"--output", "json"});
  INFO(probe.output);
  CHECK(probe.exit_code == 2);
  const auto json = nlohmann::json::parse(probe.output);
  CHECK(json["overall"]["state"] == "FAIL");
  CHECK(json["overall"]["reason"] == "1 failing: probe api down");
  bool found = false;
  for (const auto& check : json["checks"]) {
    if (check["subject"] == "probe api") {
      found = true;
      CHECK(check["state"] == "FAIL");
      CHECK(check["group"] == "service");
    }
  }
  CHECK(found);
}

TEST_CASE("exit 3 when the check cannot run") {
  TempDir dir;
  CHECK(RunCommand({MEDIC_BINARY, "check", "--config.file=" + dir.Join("missing.yml")}).exit_code ==
        3);
  const auto bad = Check(dir, "thresholds: {disk_used_warning_ratio: 7}\n");
  CHECK(bad.exit_code == 3);
  CHECK(bad.output.find("thresholds.disk_used_warning_ratio") != std::string::npos);
  CHECK(Check(dir, "collectors: {}\n", {"--output", "yaml"}).exit_code == 3);
  CHECK(RunCommand({MEDIC_BINARY, "check", "--no-such-flag"}).exit_code == 3);
  CHECK(RunCommand({MEDIC_BINARY, "frobnicate"}).exit_code == 3);
}
