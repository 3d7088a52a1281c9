#include "medic/remediation/router.h"

#include <doctest/doctest.h>

using namespace medic;
using namespace medic::remediation;

namespace {

Alert FiringAlert(LabelSet labels) {
  Alert alert;
  alert.status = "firing";
  alert.labels = std::move(labels);
  alert.starts_at = "2026-11-29T03:00:00Z";
  alert.fingerprint = "fp-1";
  return alert;
}

RemediationSettings Rule(std::string name, std::vector<LabelMatcher> match) {
  RemediationSettings rule;
  rule.name = std::move(name);
  rule.match = std::move(match);
  rule.target = "review-bot";
  return rule;
}

}  // namespace

TEST_CASE("exact, negative and regex matchers on each alert's labels") {
  std::vector<RemediationSettings> rules{
      Rule("exact", {{"alertname", LabelMatcher::Kind::kEqual, "ServiceDown"},
                     {"severity", LabelMatcher::Kind::kEqual, "critical"}}),
      Rule("negative", {{"alertname", LabelMatcher::Kind::kEqual, "ServiceDown"},
                        {"env", LabelMatcher::Kind::kNotEqual, "staging"}}),
      Rule("regex", {{"alertname", LabelMatcher::Kind::kRegex, "High(Memory|Error).*"}}),
      Rule("not-regex", {{"alertname", LabelMatcher::Kind::kRegex, ".+"},
                         {"team", LabelMatcher::Kind::kNotRegex, "db|storage"}}),
  };
  Router router(rules, {"review-bot"}, false);
  auto names = [&](LabelSet labels) {
    std::vector<std::string> out;
    for (const auto& plan : router.Plan(FiringAlert(std::move(labels))))
      out.push_back(plan.remediation);
    return out;
  };
  CHECK(names({{"alertname", "ServiceDown"}, {"severity", "critical"}}) ==
        std::vector<std::string>{"exact", "negative", "not-regex"});
  CHECK(names({{"alertname", "ServiceDown"}, {"severity", "warning"}, {"env", "staging"}}) ==
        std::vector<std::string>{"not-regex"});
  CHECK(names({{"alertname", "HighMemoryUsage"}, {"team", "db"}}) ==
        std::vector<std::string>{"regex"});
  // Regexes are anchored: a substring is not a match.
  CHECK(names({{"alertname", "VeryHighMemoryUsage"}, {"team", "storage"}}).empty());
}

TEST_CASE("resolved alerts plan nothing") {
  std::vector<RemediationSettings> rules{
      Rule("r", {{"alertname", LabelMatcher::Kind::kEqual, "A"}})};
  Router router(rules, {"review-bot"}, false);
  auto alert = FiringAlert({{"alertname", "A"}});
  CHECK(router.Plan(alert).size() == 1);
  alert.status = "resolved";
  CHECK(router.Plan(alert).empty());
}

TEST_CASE("target from a label must be in the allowlist") {
  auto rule = Rule("by-label", {{"alertname", LabelMatcher::Kind::kEqual, "ServiceDown"}});
  rule.target.clear();
  rule.target_label = "name";
  std::vector<RemediationSettings> rules{rule};
  Router router(rules, {"review-bot", "redis"}, false);
  auto plans = router.Plan(FiringAlert({{"alertname", "ServiceDown"}, {"name", "redis"}}));
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].target == "redis");
  CHECK(plans[0].refused_reason.empty());
  plans = router.Plan(FiringAlert({{"alertname", "ServiceDown"}, {"name", "postgres; rm -rf /"}}));
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].refused_reason.find("not in the targets allowlist") != std::string::npos);
  plans = router.Plan(FiringAlert({{"alertname", "ServiceDown"}}));
  CHECK(plans[0].refused_reason.find("no label") != std::string::npos);
}

TEST_CASE("dry run globally or per rule") {
  auto dry = Rule("dry", {{"alertname", LabelMatcher::Kind::kEqual, "A"}});
  dry.dry_run = true;
  auto wet = Rule("wet", {{"alertname", LabelMatcher::Kind::kEqual, "A"}});
  std::vector<RemediationSettings> rules{dry, wet};
  auto plans = Router(rules, {"review-bot"}, false).Plan(FiringAlert({{"alertname", "A"}}));
  CHECK(plans[0].dry_run);
  CHECK_FALSE(plans[1].dry_run);
  plans = Router(rules, {"review-bot"}, true).Plan(FiringAlert({{"alertname", "A"}}));
  CHECK(plans[1].dry_run);
}

TEST_CASE("an invalid regex names the remediation") {
  std::vector<RemediationSettings> rules{
      Rule("bad", {{"alertname", LabelMatcher::Kind::kRegex, "(("}})};
  CHECK_THROWS_WITH_AS(Router(rules, {}, false), doctest::Contains("remediation bad"),
                       std::invalid_argument);
}
