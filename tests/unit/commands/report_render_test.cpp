// Golden output of `medic report` (tests/fixtures/report/*): snapshot reports built from the
// shared sample families, and a hand-made history report. Regenerate after an intended change
// with MEDIC_UPDATE_GOLDEN=1.
#include "medic/commands/report_render.h"

#include "../health/sample_families.h"
#include "medic/commands/report_builder.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

namespace {

using namespace medic::commands;

void CompareGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(MEDIC_FIXTURES_DIR) + "/report/" + name;
  if (const char* update = std::getenv("MEDIC_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
  }
  CHECK(actual == medic::test::ReadFile(path));
}

Report Snapshot(ReportKind kind) {
  const SnapshotReportSource source(medic::test::SampleFamilies());
  const ReportRequest request{kind, "7d", 7 * 86400.0, medic::test::kSampleNow,
                              "one collector run with config /etc/medic.yml"};
  return BuildReport(request, source, medic::ThresholdSettings{});
}

Report History() {
  Report report;
  report.kind = ReportKind::kCapacity;
  report.range = "30d";
  report.history = true;
  report.generated_at = medic::test::kSampleNow;
  report.source = "http://127.0.0.1:9090";
  report.recommendations.push_back({medic::health::State::kFail, "container review-bot",
                                    "memory reached 92.0% of the 512.0 MiB limit",
                                    "raise the memory limit", "memory above 90% of limit"});
  report.sections.push_back({"Disk",
                             {{"mountpoint", "mountpoint"}, {"days_to_full", "days to full"}},
                             {{{"/srv|data", std::nullopt}, {"12.5", 12.5}}},
                             "No filesystem metrics."});
  report.sections.push_back({"Remediations", {{"remediation", "remediation"}}, {}, "None ran."});
  return report;
}

}  // namespace

TEST_CASE("snapshot reports match their golden Markdown and say history needs Prometheus") {
  for (const auto kind : {ReportKind::kCapacity, ReportKind::kSecurity, ReportKind::kPerformance}) {
    const std::string name(ReportKindName(kind));
    CAPTURE(name);
    const std::string markdown = RenderReportMarkdown(Snapshot(kind));
    CompareGolden(name + "_snapshot.md", markdown);
    CHECK(markdown.find("need a Prometheus that scrapes medic") != std::string::npos);
    CHECK(markdown.find("(no history)") != std::string::npos);
  }
}

TEST_CASE("the snapshot capacity report recommends raising the limit of a container at 94%") {
  const Report report = Snapshot(ReportKind::kCapacity);
  REQUIRE_FALSE(report.recommendations.empty());
  CHECK(report.recommendations.front().subject == "container review-bot");
  CHECK(report.recommendations.front().threshold == "memory above 90% of limit");
}

TEST_CASE("snapshot capacity JSON matches the golden file and keeps numbers as numbers") {
  const std::string json = RenderReportJson(Snapshot(ReportKind::kCapacity));
  CompareGolden("capacity_snapshot.json", json);
  const auto parsed = nlohmann::json::parse(json);
  CHECK(parsed["report"] == "capacity");
  CHECK(parsed["history"] == false);
  const auto& memory = parsed["sections"][0];
  CHECK(memory["title"] == "Container memory");
  CHECK(memory["rows"][0]["limit"] == 512 * 1048576.0);
  CHECK(memory["rows"][0]["peak_of_limit"] == doctest::Approx(480.0 / 512));
}

TEST_CASE("a history report matches its golden Markdown and JSON; pipes in cells are escaped") {
  const std::string markdown = RenderReportMarkdown(History());
  CompareGolden("history.md", markdown);
  CHECK(markdown.find("| /srv\\|data | 12.5 |") != std::string::npos);
  CHECK(markdown.find("_None ran._") != std::string::npos);
  const std::string json = RenderReportJson(History());
  CompareGolden("history.json", json);
  const auto parsed = nlohmann::json::parse(json);
  CHECK(parsed["sections"][0]["rows"][0]["days_to_full"] == 12.5);
  CHECK(parsed["sections"][1]["empty"] == "None ran.");
  CHECK(parsed["recommendations"][0]["severity"] == "FAIL");
}
