// Golden output of `medic check` for a fixed set of families (tests/fixtures/check/*).
// Regenerate after an intended change with MEDIC_UPDATE_GOLDEN=1.
#include "medic/commands/check.h"

#include "../health/sample_families.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

namespace {

void CompareGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(MEDIC_FIXTURES_DIR) + "/check/" + name;
  if (const char* update = std::getenv("MEDIC_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << actual;
  }
  CHECK(actual == medic::test::ReadFile(path));
}

medic::health::Report SampleReport() {
  return medic::health::Evaluate(medic::test::SampleFamilies(), medic::ThresholdSettings{},
                                 medic::test::kSampleNow);
}

}  // namespace

TEST_CASE("check text output matches the golden file and has no colour when asked for none") {
  const std::string text =
      medic::commands::RenderCheckText(SampleReport(), "/etc/medic.yml", false);
  CompareGolden("sample.txt", text);
  CHECK(text.find('\033') == std::string::npos);
}

TEST_CASE("check text output on a terminal colours the state and adds symbols") {
  const std::string text = medic::commands::RenderCheckText(SampleReport(), "/etc/medic.yml", true);
  CHECK(text.find("\033[1;31m✖ FAIL\033[0m") != std::string::npos);
  CHECK(text.find("\033[33m⚠ WARN\033[0m") != std::string::npos);
  CHECK(text.find("\033[32m✔ OK  \033[0m") != std::string::npos);
}

TEST_CASE("check JSON output matches the golden file and parses") {
  const std::string json = medic::commands::RenderCheckJson(SampleReport(), "/etc/medic.yml");
  CompareGolden("sample.json", json);
  const auto parsed = nlohmann::json::parse(json);
  CHECK(parsed["overall"]["state"] == "FAIL");
  CHECK(parsed["checks"].size() == SampleReport().checks.size());
}
