// Golden output of `medic check` for a fixed set of families and a fixed log review
// (tests/fixtures/check/*). Regenerate after an intended change with MEDIC_UPDATE_GOLDEN=1.
#include "medic/commands/check.h"

#include "../health/sample_families.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <map>

namespace {

using medic::commands::LogReview;
using medic::commands::RuleWindowCount;
using medic::commands::SourceWindow;

void CompareGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(MEDIC_FIXTURES_DIR) + "/check/" + name;
  if (const char* update = std::getenv("MEDIC_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
  }
  CHECK(actual == medic::test::ReadFile(path));
}

// What `medic check` read itself: a container with the seed's 161 errors and 33 auth failures,
// a rotated file without timestamps, and a file it could not read.
LogReview SampleReview() {
  using std::chrono::hours;
  LogReview review;
  review.window = hours(24);
  review.end_seconds = static_cast<std::int64_t>(medic::test::kSampleNow);
  review.start_seconds = review.end_seconds - 86400;
  SourceWindow bot;
  bot.name = "review-bot";
  bot.kind = "container";
  bot.target = "review-bot";
  bot.lines_in_window = 5000;
  bot.rules = {
      RuleWindowCount{"auth_failure",
                      hours(24 * 7),
                      33,
                      {"203.0.113.7 POST /api unauthorized", "198.51.100.2 authentication failed"}},
      RuleWindowCount{"error",
                      hours(24),
                      161,
                      {"ERROR payment 157", "ERROR payment 158", "ERROR payment 159",
                       "ERROR payment 160", "ERROR \\x1B[2J payment 161 \xEF\xBF\xBD"}},
      RuleWindowCount{"critical", hours(24), 0, {}},
      RuleWindowCount{"timeout", hours(24), 1, {"upstream timed out"}},
  };
  SourceWindow app;
  app.name = "app";
  app.kind = "file";
  app.target = "/var/log/review-bot/app.log";
  app.files_read = {"/var/log/review-bot/app.log.1", "/var/log/review-bot/app.log"};
  app.untimestamped_lines = 12;
  app.notes = {"/var/log/review-bot/app.log.2.gz is older than the window"};
  app.rules = {RuleWindowCount{"error", hours(24), 2, {"ERROR a", "ERROR b"}}};
  SourceWindow gone;
  gone.name = "nginx";
  gone.kind = "file";
  gone.target = "/var/log/nginx/access.log";
  gone.error = "/var/log/nginx/access.log: Permission denied";
  gone.rules = {RuleWindowCount{"auth_failure", hours(24 * 7), 0, {}}};
  review.sources = {bot, app, gone};
  return review;
}

// The report as `medic check` builds it: the collectors' checks without the logs collector's
// (check reads the logs itself), plus the log review's checks.
medic::health::Report SampleReport() {
  std::vector<prometheus::MetricFamily> families;
  for (auto& family : medic::test::SampleFamilies()) {
    if (family.name.rfind("medic_log_", 0) != 0) families.push_back(std::move(family));
  }
  auto report =
      medic::health::Evaluate(families, medic::ThresholdSettings{}, medic::test::kSampleNow);
  medic::commands::AddLogReviewChecks(SampleReview(), medic::ThresholdSettings{}, report);
  medic::remediation::HealingState healing;
  const double now = medic::test::kSampleNow;
  healing.open_circuits = {{"service-down", "review-bot", now - 600}};
  healing.unhealed = {{"high-memory", "review-bot", medic::remediation::JobState::kQueued, "failed",
                       "cannot reach the Docker engine", now - 120}};
  medic::commands::AddHealingChecks(healing, "", report);
  return report;
}

}  // namespace

TEST_CASE("check text output matches the golden file and has no colour when asked for none") {
  const LogReview review = SampleReview();
  const std::string text =
      medic::commands::RenderCheckText(SampleReport(), &review, "/etc/medic.yml", false);
  CompareGolden("sample.txt", text);
  CHECK(text.find('\033') == std::string::npos);
  CHECK(text.find("since medic started") == std::string::npos);
  CHECK(text.find("WARN  errors (24h) review-bot") != std::string::npos);
  CHECK(text.find("      errors (24h): 161, last 5:\n") != std::string::npos);
  CHECK(text.find("      auth failures (7d): 33, last 2:\n") != std::string::npos);
}

TEST_CASE("check text output on a terminal colours the state and adds symbols") {
  const LogReview review = SampleReview();
  const std::string text =
      medic::commands::RenderCheckText(SampleReport(), &review, "/etc/medic.yml", true);
  CHECK(text.find("\033[1;31m✖ FAIL\033[0m") != std::string::npos);
  CHECK(text.find("\033[33m⚠ WARN\033[0m") != std::string::npos);
  CHECK(text.find("\033[32m✔ OK  \033[0m") != std::string::npos);
}

TEST_CASE("check JSON output matches the golden file and parses") {
  const LogReview review = SampleReview();
  const std::string json =
      medic::commands::RenderCheckJson(SampleReport(), &review, "/etc/medic.yml");
  CompareGolden("sample.json", json);
  const auto parsed = nlohmann::json::parse(json);
  CHECK(parsed["overall"]["state"] == "FAIL");
  CHECK(parsed["checks"].size() == SampleReport().checks.size());
  const auto& bot = parsed["log_review"]["sources"][0];
  CHECK(bot["name"] == "review-bot");
  CHECK(bot["rules"][1]["label"] == "errors (24h)");
  CHECK(bot["rules"][1]["count"] == 161);
  CHECK(bot["rules"][1]["last_lines"].size() == 5);
  CHECK(parsed["log_review"]["sources"][2]["error"] ==
        "/var/log/nginx/access.log: Permission denied");
}

TEST_CASE("check names what the remediation journal holds for a person") {
  const auto text = medic::commands::RenderCheckText(SampleReport(), nullptr, "x", false);
  CHECK(text.find("FAIL  auto-healing review-bot") != std::string::npos);
  CHECK(text.find("WARN  healing review-bot (high-memory)") != std::string::npos);
  CHECK(text.find("waits for the Docker engine since") != std::string::npos);
  CHECK(text.find("WARN  collector logs (log review)") != std::string::npos);  // nginx unread

  medic::health::Report quiet;
  medic::commands::AddHealingChecks(medic::remediation::HealingState{}, "", quiet);
  REQUIRE(quiet.checks.size() == 1);
  CHECK(quiet.checks[0].state == medic::health::State::kOk);
  medic::health::Report gave_up;
  medic::commands::AddHealingChecks(
      medic::remediation::HealingState{{},
                                       {{"service-down", "review-bot",
                                         medic::remediation::JobState::kFailed, "gave_up", "", 0}}},
      "", gave_up);
  REQUIRE(gave_up.checks.size() == 1);
  CHECK(gave_up.checks[0].state == medic::health::State::kFail);
  CHECK(gave_up.checks[0].value_text.find("medic gave up") == 0);
  medic::health::Report unreadable;
  medic::commands::AddHealingChecks(std::nullopt, "disk I/O error", unreadable);
  REQUIRE(unreadable.checks.size() == 1);
  CHECK(unreadable.checks[0].state == medic::health::State::kWarn);
  medic::health::Report none;
  medic::commands::AddHealingChecks(std::nullopt, "", none);
  CHECK(none.checks.empty());
}

TEST_CASE("log review checks: thresholds per rule, an unreadable source is WARN") {
  const auto report = SampleReport();
  std::map<std::string, const medic::health::Check*> by_subject;
  for (const auto& check : report.checks) by_subject[check.subject] = &check;
  REQUIRE(by_subject.count("errors (24h) review-bot"));
  CHECK(by_subject["errors (24h) review-bot"]->state == medic::health::State::kWarn);
  CHECK(by_subject["auth failures (7d) review-bot"]->state == medic::health::State::kOk);
  CHECK(by_subject["auth failures (7d) review-bot"]->threshold == "WARN > 50");
  CHECK(by_subject["timeout (24h) review-bot"]->threshold == "informational");
  CHECK(by_subject["auth failures (7d) nginx"]->state == medic::health::State::kWarn);
  CHECK(by_subject["auth failures (7d) nginx"]->value_text ==
        "not read: /var/log/nginx/access.log: Permission denied");
}

TEST_CASE("window names read like the seed's --since") {
  using medic::commands::WindowName;
  CHECK(WindowName(std::chrono::hours(24)) == "24h");
  CHECK(WindowName(std::chrono::hours(24 * 7)) == "7d");
  CHECK(WindowName(std::chrono::minutes(90)) == "90m");
  CHECK(WindowName(std::chrono::hours(1)) == "1h");
  CHECK(WindowName(std::chrono::seconds(45)) == "45s");
}
