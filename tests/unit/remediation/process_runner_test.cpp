#include "medic/remediation/process_runner.h"
#include "medic/remediation/step_runner.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

using namespace medic::remediation;
using namespace std::chrono_literals;

TEST_CASE("argv runs without a shell and with a clean environment") {
  auto result = RunProcess({"/usr/bin/env"}, {{"ONLY", "this"}}, 10s, 4096);
  CHECK(result.exit_code == 0);
  CHECK(result.output.find("ONLY=this") != std::string::npos);
  CHECK(result.output.find("HOME=") == std::string::npos);
  CHECK(result.output.find("PATH=") != std::string::npos);
}

TEST_CASE("shell metacharacters in alert labels stay inert data") {
  medic::test::TempDir dir;
  const std::string marker = dir.Join("pwned");
  nlohmann::json alert = {{"status", "firing"},
                          {"fingerprint", "f"},
                          {"startsAt", "2026-11-29T03:00:00Z"},
                          {"labels",
                           {{"alertname", "ServiceDown"},
                            {"cmd", "$(touch " + marker + ")"},
                            {"tick", "`touch " + marker + "`"},
                            {"semi", "x; touch " + marker},
                            {"weird-name!", "v"}}},
                          {"annotations", {{"summary", "$(touch " + marker + ")"}}}};
  auto env = AlertEnvironment(alert, "r", "review-bot");
  CHECK(env["MEDIC_ALERT_LABEL_CMD"] == "$(touch " + marker + ")");
  CHECK(env.count("MEDIC_ALERT_LABEL_WEIRD_NAME_") == 1);
  // A program that echoes its environment (and would expand it, were a shell involved).
  auto result = RunProcess({"/usr/bin/printenv", "MEDIC_ALERT_LABEL_CMD"}, env, 10s, 4096);
  CHECK(result.exit_code == 0);
  CHECK(result.output == "$(touch " + marker + ")\n");
  result = RunProcess({"/usr/bin/env"}, env, 10s, 1 << 20);
  CHECK(result.output.find("MEDIC_ALERT_LABEL_SEMI=x; touch") != std::string::npos);
  CHECK(result.output.find("MEDIC_ALERT_LABELS={") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("a process past its timeout is killed with its whole group") {
  const auto start = std::chrono::steady_clock::now();
  auto result = RunProcess({"/bin/sh", "-c", "sleep 30 & sleep 30"}, {}, 500ms, 4096);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(result.timed_out);
  CHECK(result.exit_code == 128 + 9);
  CHECK(took < 10s);
}

TEST_CASE("captured output is bounded") {
  auto result = RunProcess({"/usr/bin/yes"}, {}, 300ms, 1000);
  CHECK(result.output.size() == 1000);
  CHECK(result.truncated);
  result = RunProcess({"/bin/sh", "-c", "head -c 100000 /dev/zero; exit 3"}, {}, 10s, 64);
  CHECK(result.output.size() == 64);
  CHECK(result.truncated);
  CHECK(result.exit_code == 3);
  CHECK_FALSE(result.timed_out);
}

TEST_CASE("a missing program is a clear error") {
  auto result = RunProcess({"/nonexistent/tool"}, {}, 1s, 100);
  CHECK(result.error.find("cannot start") != std::string::npos);
  result = RunProcess({"no-such-program-anywhere"}, {}, 1s, 100);
  CHECK(result.error.find("program not found") != std::string::npos);
  result = RunProcess({}, {}, 1s, 100);
  CHECK(!result.error.empty());
}
