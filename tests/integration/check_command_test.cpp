// `medic check` on the built binary with real collectors in known states: exit codes for cron,
// and the log review it reads itself (files with a rotated .1, a real podman container).
#include "medic/config.h"
#include "support/podman_env.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <sys/time.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <fstream>
#include <thread>

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

std::string Stamp(std::int64_t unix_seconds) { return medic::test::Rfc3339Utc(unix_seconds); }

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::app) << text;
}

// The engine `medic check` reads container logs from: the top-level docker section.
std::string DockerSection(const std::string& host) { return "docker: {host: \"" + host + "\"}\n"; }

const nlohmann::json* ReviewRule(const nlohmann::json& body, const std::string& source,
                                 const std::string& rule) {
  for (const auto& entry : body["log_review"]["sources"]) {
    if (entry["name"] != source) continue;
    for (const auto& counted : entry["rules"]) {
      if (counted["rule"] == rule) return &counted;
    }
  }
  return nullptr;
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

TEST_CASE("the log review reads files over the window itself: rotated .1, exact counts, last 5") {
  TempDir dir;
  const std::int64_t now = std::time(nullptr);
  const std::int64_t hour = 3600;
  const std::string log = dir.Join("app.log");
  // Rotated 20 h ago: 3 errors older than 24 h, 7 inside; 2 auth failures 3 days ago (in 7 d).
  std::string rotated;
  for (int i = 1; i <= 3; ++i) {
    rotated += Stamp(now - 30 * hour + i) + " ERROR too old " + std::to_string(i) + "\n";
  }
  rotated += Stamp(now - 3 * 24 * hour) + " 203.0.113.7 POST /login unauthorized\n";
  rotated += Stamp(now - 3 * 24 * hour + 1) + " 203.0.113.7 authentication failed\n";
  for (int i = 1; i <= 7; ++i) {
    rotated += Stamp(now - 23 * hour + i) + " ERROR rotated " + std::to_string(i) + "\n";
  }
  dir.Write("app.log.1", rotated);
  SetAge(log + ".1", 20);
  // The current file: 6 errors, one auth failure, ordinary lines.
  std::string current;
  for (int i = 1; i <= 6; ++i) {
    current += Stamp(now - 2 * hour + i) + " INFO request ok\n";
    current += Stamp(now - 2 * hour + i) + " ERROR current " + std::to_string(i) + "\n";
  }
  current += Stamp(now - hour) + " 198.51.100.2 GET /admin Forbidden\n";
  dir.Write("app.log", current);

  const std::string yaml = "data_dir: " + dir.Join("data") +
                           "\ncollectors:\n  process: false\n  logs:\n    sources:\n"
                           "      - {name: app, path: " +
                           log + "}\n";
  // A daemon has been following the file and persisted its offsets at the end: the check does
  // not start there (it printed 0 errors like this before).
  std::filesystem::create_directories(dir.Join("data"));
  {
    medic::test::MedicProcess daemon(yaml);
    REQUIRE(medic::test::WaitFor(
        [&] { return std::filesystem::exists(dir.Join("data/log-offsets.json")); },
        std::chrono::seconds(20)));
    const auto beside = Check(dir, yaml);
    INFO(beside.output);
    CHECK(beside.output.find("      errors (24h): 13, last 5:\n") != std::string::npos);
  }

  const auto text = Check(dir, yaml);
  INFO(text.output);
  // 13 errors against the default WARN line; nothing else is checked here.
  CHECK(text.exit_code == (13 > medic::ThresholdSettings{}.log_errors_warning ? 1 : 0));
  const std::string expected_errors =
      "      errors (24h): 13, last 5:\n"
      "        " +
      Stamp(now - 2 * hour + 2) + " ERROR current 2\n" + "        " + Stamp(now - 2 * hour + 3) +
      " ERROR current 3\n" + "        " + Stamp(now - 2 * hour + 4) + " ERROR current 4\n" +
      "        " + Stamp(now - 2 * hour + 5) + " ERROR current 5\n" + "        " +
      Stamp(now - 2 * hour + 6) + " ERROR current 6\n";
  CHECK(text.output.find(expected_errors) != std::string::npos);
  const std::string expected_auth =
      "      auth failures (7d): 3, last 3:\n"
      "        " +
      Stamp(now - 3 * 24 * hour) + " 203.0.113.7 POST /login unauthorized\n" + "        " +
      Stamp(now - 3 * 24 * hour + 1) + " 203.0.113.7 authentication failed\n" + "        " +
      Stamp(now - hour) + " 198.51.100.2 GET /admin Forbidden\n";
  CHECK(text.output.find(expected_auth) != std::string::npos);
  CHECK(text.output.find("      read: " + log + ".1 " + log + "\n") != std::string::npos);
  CHECK(text.output.find("errors (24h) app") != std::string::npos);
  CHECK(text.output.find("since medic started") == std::string::npos);

  // The seed's threshold (> 10 errors in 24 h) turns it into a WARN, exit 1 as before.
  const auto seed = Check(dir, yaml + "thresholds: {log_errors_warning: 10}\n");
  INFO(seed.output);
  CHECK(seed.exit_code == 1);
  CHECK(seed.output.find("WARN  errors (24h) app") != std::string::npos);
  CHECK(seed.output.find("[WARN > 10]") != std::string::npos);

  // The next thing that happens: more lines, and the next run counts the new total (nothing is
  // carried over between runs). A line with terminal escapes and invalid UTF-8 stays harmless.
  Append(log, Stamp(now) + " ERROR after 1\n" + Stamp(now) +
                  " ERROR \x1b]0;pwned\x07\x1b[2J \xff\xfe end\n");
  const auto again = Check(dir, yaml, {"--output", "json"});
  INFO(again.output);
  CHECK(again.output.find('\x1b') == std::string::npos);
  const auto body = nlohmann::json::parse(again.output);
  const auto* errors = ReviewRule(body, "app", "error");
  REQUIRE(errors != nullptr);
  CHECK((*errors)["count"] == 15);
  CHECK((*errors)["window"] == "24h");
  REQUIRE((*errors)["last_lines"].size() == 5);
  CHECK((*errors)["last_lines"][3] == Stamp(now) + " ERROR after 1");
  CHECK((*errors)["last_lines"][4] ==
        Stamp(now) + " ERROR \\x1B]0;pwned\\x07\\x1B[2J \xEF\xBF\xBD\xEF\xBF\xBD end");
  CHECK((*ReviewRule(body, "app", "auth_failure"))["count"] == 3);
  CHECK(body["log_review"]["sources"][0]["files_read"].size() == 2);
  const auto plain = Check(dir, yaml);
  CHECK(plain.output.find('\x1b') == std::string::npos);
  CHECK(plain.output.find("ERROR \\x1B]0;pwned\\x07\\x1B[2J \xEF\xBF\xBD\xEF\xBF\xBD end\n") !=
        std::string::npos);
}

TEST_CASE("the log review reads a container's logs through the engine API's since") {
  using medic::test::ContainerOptions;
  using medic::test::TestContainer;
  TempDir dir;
  // 12 errors on stdout, 3 auth failures on stderr, then 4 more errors once /tmp/more appears.
  const std::string script =
      "i=1; while [ $i -le 12 ]; do echo \"ERROR job $i failed\"; i=$((i+1)); done; "
      "i=1; while [ $i -le 3 ]; do echo \"auth: unauthorized token $i\" >&2; i=$((i+1)); done; "
      "echo ready; "
      "while [ ! -f /tmp/more ]; do sleep 0.1; done; "
      "i=13; while [ $i -le 16 ]; do echo \"ERROR job $i failed\"; i=$((i+1)); done; "
      "printf 'ERROR \\033[31mred\\033[0m \\377 tail\\n'; echo done; "
      "trap 'exit 0' TERM; while true; do sleep 1; done";
  TestContainer bot(ContainerOptions{.command = {"sh", "-c", script}});
  auto logs_contain = [&](const std::string& marker) {
    return medic::test::WaitFor(
        [&] {
          return medic::test::Podman({"logs", bot.name()}).output.find(marker) != std::string::npos;
        },
        std::chrono::seconds(20));
  };
  REQUIRE(logs_contain("ready"));
  const std::string yaml = DockerSection(medic::test::DockerHost()) +
                           "collectors:\n  process: false\n  logs:\n    sources:\n"
                           "      - {name: bot, container: " +
                           bot.name() + "}\n";
  const auto first = Check(dir, yaml);
  INFO(first.output);
  CHECK(first.exit_code == (12 > medic::ThresholdSettings{}.log_errors_warning ? 1 : 0));
  CHECK(first.output.find("    bot (container " + bot.name() + ")\n") != std::string::npos);
  CHECK(first.output.find("      errors (24h): 12, last 5:\n"
                          "        ERROR job 8 failed\n"
                          "        ERROR job 9 failed\n"
                          "        ERROR job 10 failed\n"
                          "        ERROR job 11 failed\n"
                          "        ERROR job 12 failed\n") != std::string::npos);
  CHECK(first.output.find("      auth failures (7d): 3, last 3:\n"
                          "        auth: unauthorized token 1\n"
                          "        auth: unauthorized token 2\n"
                          "        auth: unauthorized token 3\n") != std::string::npos);

  // --since bounds the window: nothing was written in the last 2 s; auth failures keep 7 days.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const auto recent = Check(dir, yaml, {"--since=2s"});
  INFO(recent.output);
  CHECK(recent.output.find("      errors (2s): 0\n") != std::string::npos);
  CHECK(recent.output.find("      auth failures (7d): 3, last 3:\n") != std::string::npos);

  // More lines: the next run counts the new total, escapes made harmless.
  bot.Exec({"touch", "/tmp/more"});
  REQUIRE(logs_contain("done"));
  const auto again = Check(dir, yaml, {"--output=json"});
  INFO(again.output);
  CHECK(again.output.find('\x1b') == std::string::npos);
  const auto body = nlohmann::json::parse(again.output);
  const auto* errors = ReviewRule(body, "bot", "error");
  REQUIRE(errors != nullptr);
  CHECK((*errors)["count"] == 17);
  CHECK((*errors)["last_lines"] ==
        nlohmann::json::array({"ERROR job 13 failed", "ERROR job 14 failed", "ERROR job 15 failed",
                               "ERROR job 16 failed",
                               "ERROR \\x1B[31mred\\x1B[0m \xEF\xBF\xBD tail"}));
  CHECK((*ReviewRule(body, "bot", "auth_failure"))["count"] == 3);

  // A container that does not exist: WARN, and the reason is shown.
  const auto missing = Check(dir, DockerSection(medic::test::DockerHost()) +
                                      "collectors:\n  process: false\n  logs:\n    sources:\n"
                                      "      - {name: gone, container: medic-test-no-such}\n");
  INFO(missing.output);
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("WARN  errors (24h) gone") != std::string::npos);
  CHECK(missing.output.find("      error: ") != std::string::npos);
}

TEST_CASE("--since must be a duration") {
  TempDir dir;
  const auto bad = Check(dir, "collectors: {process: false}\n", {"--since", "yesterday"});
  CHECK(bad.exit_code == 3);
  CHECK(bad.output.find("--since must be a duration") != std::string::npos);
}
