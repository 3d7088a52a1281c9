// The shipped monitoring files (alert rules and their promtool tests, prometheus.yml,
// alertmanager.yml and who receives each alert, Grafana dashboards) pass monitoring/check.sh, and
// the script really fails when a file is broken. The first rule group is the seed's four rules
// verbatim (tests/fixtures/seed/alert-thresholds.yml is the maintenance guide's "Alert
// Thresholds" block, byte for byte). Debian's docker-compose accepts deploy/docker-compose.yml.
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

using namespace std::chrono_literals;

namespace {

const std::string kMonitoringDir = std::string(MEDIC_SOURCE_DIR) + "/monitoring";
const std::string kComposeFile = std::string(MEDIC_SOURCE_DIR) + "/deploy/docker-compose.yml";

medic::test::CommandResult RunCheck(const std::string& monitoring_dir) {
  // promtool test rules evaluates weeks of series; give a loaded machine plenty of time.
  return medic::test::RunCommand({"/bin/bash", kMonitoringDir + "/check.sh", monitoring_dir}, 180s);
}

void ReplaceInFile(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = medic::test::ReadFile(path);
  const auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "\"" << from << "\" not found in " << path);
  text.replace(at, from.size(), to);
  std::ofstream(path, std::ios::trunc) << text;
}

// Runs of whitespace become one space; no leading or trailing space ("expr: |" blocks end in a
// newline, and line breaks inside an expression do not change it).
std::string NormalizeSpace(const std::string& text) {
  std::istringstream words(text);
  std::string out;
  std::string word;
  while (words >> word) out += (out.empty() ? "" : " ") + word;
  return out;
}

std::map<std::string, std::string> StringMap(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  for (const auto& entry : node)
    out[entry.first.as<std::string>()] = entry.second.as<std::string>();
  return out;
}

}  // namespace

TEST_CASE("the first rule group of alert-rules.yml is the seed's four rules verbatim") {
  const YAML::Node seed =
      YAML::LoadFile(std::string(MEDIC_FIXTURES_DIR) + "/seed/alert-thresholds.yml")["groups"][0];
  const YAML::Node shipped = YAML::LoadFile(kMonitoringDir + "/alert-rules.yml")["groups"][0];
  CHECK(shipped["name"].as<std::string>() == seed["name"].as<std::string>());
  REQUIRE(seed["rules"].size() == 4);
  REQUIRE(shipped["rules"].size() == seed["rules"].size());
  for (std::size_t i = 0; i < seed["rules"].size(); ++i) {
    const YAML::Node want = seed["rules"][i];
    const YAML::Node got = shipped["rules"][i];
    const std::string name = want["alert"].as<std::string>();
    CAPTURE(name);
    CHECK(got["alert"].as<std::string>() == name);
    CHECK(NormalizeSpace(got["expr"].as<std::string>()) ==
          NormalizeSpace(want["expr"].as<std::string>()));
    REQUIRE(got["for"]);
    CHECK(got["for"].as<std::string>() == want["for"].as<std::string>());
    // Labels exactly the seed's (severity); annotations the seed's plus runbook_url only.
    CHECK(StringMap(got["labels"]) == StringMap(want["labels"]));
    auto annotations = StringMap(got["annotations"]);
    CHECK(annotations.erase("runbook_url") == 1);
    CHECK(annotations == StringMap(want["annotations"]));
    CHECK(annotations["summary"] == want["annotations"]["summary"].as<std::string>());
    CHECK(annotations["description"] == want["annotations"]["description"].as<std::string>());
  }
}

TEST_CASE("the shipped monitoring files pass check.sh") {
  const auto result = RunCheck(kMonitoringDir);
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("all monitoring checks passed") != std::string::npos);
}

TEST_CASE("check.sh fails on a broken copy of the monitoring files and names each problem") {
  medic::test::TempDir dir;
  const std::string copy = dir.Join("monitoring");
  std::filesystem::copy(kMonitoringDir, copy, std::filesystem::copy_options::recursive);
  // Three independent breakages in one copy (each check runs regardless of the others), so one
  // run of the script covers them all.
  // A rule threshold that no longer matches its tests:
  ReplaceInFile(copy + "/alert-rules.yml", "node_filesystem_size_bytes > 0.90",
                "node_filesystem_size_bytes > 0.99");
  // A dashboard naming a metric medic does not export:
  ReplaceInFile(copy + "/grafana/dashboards/medic-overview.json", "redis_up{", "redis_upp{");
  // An invalid Alertmanager setting:
  ReplaceInFile(copy + "/alertmanager.yml", "group_wait: 10s", "group_wait: soon");

  const auto result = RunCheck(copy);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("FAIL promtool test rules") != std::string::npos);
  CHECK(result.output.find("FAIL amtool check-config") != std::string::npos);
  CHECK(result.output.find("unknown metric: redis_upp") != std::string::npos);
  CHECK(result.output.find("ok   promtool check config prometheus.yml") != std::string::npos);
  CHECK(result.output.find("all monitoring checks passed") == std::string::npos);
}

TEST_CASE("check.sh fails when an alert would not reach its receivers or has no routes case") {
  medic::test::TempDir dir;
  const std::string copy = dir.Join("monitoring");
  std::filesystem::copy(kMonitoringDir, copy, std::filesystem::copy_options::recursive);
  // Without `continue`, the remediable alerts stop at medic and no human hears of them:
  ReplaceInFile(copy + "/alertmanager.yml", "\n      continue: true\n",
                "\n      continue: false\n");
  // An alert with no line in the routes table:
  ReplaceInFile(copy + "/tests/routes.txt", "\nRedisDown ", "\n# RedisDown ");

  const auto result = RunCheck(copy);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("ok   amtool check-config alertmanager.yml") != std::string::npos);
  CHECK(result.output.find("FAIL amtool config routes test") != std::string::npos);
  CHECK(result.output.find("alertname=ServiceDown severity=critical job=review-bot "
                           "instance=127.0.0.1:8000: expected receivers medic,human, got medic") !=
        std::string::npos);
  CHECK(result.output.find("RedisDown: no routes test case in tests/routes.txt") !=
        std::string::npos);
  CHECK(result.output.find("alertname=CertificateExpiringSoon") == std::string::npos);
}

TEST_CASE("check.sh checks the fleet files: syntax, target labels, one medic URL per host") {
  medic::test::TempDir dir;
  const std::string copy = dir.Join("monitoring");
  std::filesystem::copy(kMonitoringDir, copy, std::filesystem::copy_options::recursive);
  // A fourth host scraped but missing from the medic receiver: its alerts would reach no medic.
  std::ofstream(copy + "/fleet/targets/medic.yml", std::ios::app)
      << "- targets: [\"host-4:9469\"]\n  labels: {instance: host-4}\n";
  // A bot target group without the host label: its alerts would name no medic's host.
  ReplaceInFile(copy + "/fleet/targets/review-bot.yml", "  labels: {instance: host-3}\n", "");
  // Remediable alerts that stop at the medics: no human hears of them.
  ReplaceInFile(copy + "/fleet/alertmanager.yml", "\n      continue: true\n",
                "\n      continue: false\n");

  const auto result = RunCheck(copy);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("FAIL promtool check config fleet/prometheus.yml") != std::string::npos);
  CHECK(result.output.find("review-bot.yml: every target group needs labels: {instance: HOST}") !=
        std::string::npos);
  CHECK(result.output.find("ok   amtool check-config fleet/alertmanager.yml") != std::string::npos);
  CHECK(result.output.find("ServiceDown: expected receivers medic,human, got medic") !=
        std::string::npos);
  CHECK(result.output.find("the medic receiver's URLs name hosts [host-1 host-2 host-3], "
                           "targets/medic.yml [host-1 host-2 host-3 host-4]") != std::string::npos);
  CHECK(result.output.find("ok   promtool check config prometheus.yml") != std::string::npos);
}

TEST_CASE("docker-compose accepts deploy/docker-compose.yml; Alertmanager gets its secrets") {
  medic::test::TempDir dir;
  const std::string normalized = dir.Join("compose.yml");
  // docker-compose (1.29 on Debian 12) validates against the Compose schema, resolves
  // variables and relative paths, and prints the result; it needs no Docker engine for this.
  const auto result = medic::test::RunCommand(
      {"/bin/bash", "-c",
       "command -v docker-compose >/dev/null || "
       "{ echo 'docker-compose not found (scripts/install-deps.sh test)'; exit 2; }; "
       "docker-compose -f \"$1\" config >\"$2\"",
       "_", kComposeFile, normalized},
      60s);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(result.output.find("WARNING") == std::string::npos);

  const YAML::Node config = YAML::LoadFile(normalized);
  REQUIRE(config["services"]["alertmanager"]);
  std::set<std::string> mounted;  // the secrets Alertmanager's container gets, at /run/secrets/NAME
  for (const auto& secret : config["services"]["alertmanager"]["secrets"]) {
    CHECK_FALSE(secret["target"]);  // the default target: /run/secrets/<source>
    mounted.insert(secret["source"].as<std::string>());
  }
  // Every /run/secrets/NAME that alertmanager.yml reads is mounted, and defined with a file.
  const std::string alertmanager = medic::test::ReadFile(kMonitoringDir + "/alertmanager.yml");
  const std::regex secret_path(R"(/run/secrets/([A-Za-z0-9_.-]+))");
  std::set<std::string> read;
  for (auto it = std::sregex_iterator(alertmanager.begin(), alertmanager.end(), secret_path);
       it != std::sregex_iterator(); ++it) {
    read.insert((*it)[1].str());
  }
  CHECK(read == std::set<std::string>{"medic-webhook-token", "slack-webhook-url"});
  for (const std::string& name : read) {
    CAPTURE(name);
    CHECK(mounted.count(name) == 1);
    CHECK(config["secrets"][name]["file"]);
  }
}
