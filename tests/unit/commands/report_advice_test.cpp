// Report recommendations fire exactly at the configured thresholds.
#include "medic/commands/report_advice.h"

#include <doctest/doctest.h>

using namespace medic::commands;
using medic::health::State;

TEST_CASE("container memory: nothing up to 80% of the limit, WARN above, FAIL above 90%") {
  const medic::ThresholdSettings t;
  const double limit = 512 * 1048576.0;
  CHECK_FALSE(AdviseContainerMemory("bot", 0.80, limit, t));
  CHECK_FALSE(AdviseContainerMemory("bot", 0.95, 0, t));  // no limit: nothing to raise
  const auto warn = AdviseContainerMemory("bot", 0.85, limit, t);
  REQUIRE(warn);
  CHECK(warn->severity == State::kWarn);
  CHECK(warn->action == "raise the limit");
  CHECK(warn->threshold == "memory above 80% of limit");
  CHECK(warn->finding == "memory reached 85.0% of the 512.0 MiB limit");
  const auto fail = AdviseContainerMemory("bot", 0.91, limit, t);
  REQUIRE(fail);
  CHECK(fail->severity == State::kFail);
  CHECK(fail->threshold == "memory above 90% of limit");
}

TEST_CASE("disk: used above the check's lines, and a trend that fills within the horizon") {
  medic::ThresholdSettings t;
  CHECK_FALSE(AdviseDiskUsed("/", 0.90, t));
  CHECK(AdviseDiskUsed("/", 0.91, t)->severity == State::kWarn);
  CHECK(AdviseDiskUsed("/", 0.96, t)->severity == State::kFail);
  CHECK_FALSE(AdviseDiskFill("/", 30, "7d", t));
  const auto fill = AdviseDiskFill("/", 12.25, "7d", t);
  REQUIRE(fill);
  CHECK(fill->finding == "at the growth of the last 7d, full in 12.2 days");
  CHECK(fill->threshold == "full within 30 days");
  CHECK(AdviseDiskFill("/", 0.5, "7d", t)->severity == State::kFail);
  t.disk_fill_horizon = std::chrono::hours(24 * 7);
  CHECK_FALSE(AdviseDiskFill("/", 12.25, "7d", t));
}

TEST_CASE("security: certificate expiry and log counts use the check's thresholds") {
  const medic::ThresholdSettings t;
  CHECK_FALSE(AdviseCertificate("api", 31, true, t));
  CHECK(AdviseCertificate("api", 29, true, t)->severity == State::kWarn);
  CHECK(AdviseCertificate("api", 90, false, t)->severity == State::kFail);
  CHECK(AdviseCertificate("api", -1, true, t)->finding == "expired 1.0 days ago");
  CHECK_FALSE(AdviseLogMatches("auth_failure", 50, "in 7 days", t));
  const auto auth = AdviseLogMatches("auth_failure", 51, "in 7 days", t);
  REQUIRE(auth);
  CHECK(auth->threshold == "more than 50 in 7 days");
  CHECK(AdviseLogMatches("critical", 1, "in 7 days", t));
  CHECK_FALSE(AdviseLogMatches("custom_rule", 1e6, "in 7 days", t));
  CHECK_FALSE(AdviseWebhookRejections(0));
  CHECK(AdviseWebhookRejections(3)->finding == "3 requests rejected as unauthorised");
}

TEST_CASE("performance: hit ratio only from enough lookups; any failure is reported") {
  const medic::ThresholdSettings t;
  CHECK_FALSE(AdviseCacheHitRatio(10, 80, t));  // 90 lookups: too few to judge
  CHECK_FALSE(AdviseCacheHitRatio(80, 20, t));  // exactly 80%
  CHECK(AdviseCacheHitRatio(79, 21, t)->threshold == "hit ratio below 80%");
  CHECK_FALSE(AdviseProbe("health", 1));
  CHECK(AdviseProbe("health", 0.5)->severity == State::kWarn);
  CHECK(AdviseProbe("health", 0)->severity == State::kFail);
  CHECK_FALSE(AdviseCollector("redis", 1));
  CHECK(AdviseCollector("redis", 0.25)->finding == "succeeded in 25.0% of scrapes");
  CHECK_FALSE(AdviseRemediationFailures("restart", 0));
  CHECK(AdviseRemediationFailures("restart", 2)->finding == "2 failed runs");
}
