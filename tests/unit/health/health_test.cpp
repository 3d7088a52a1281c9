#include "medic/health/health.h"

#include "medic/config_loader.h"
#include "medic/metric_family_builder.h"
#include "sample_families.h"

#include <doctest/doctest.h>

namespace {

using medic::health::Check;
using medic::health::State;

const Check& Find(const medic::health::Report& report, const std::string& subject) {
  for (const auto& check : report.checks) {
    if (check.subject == subject) return check;
  }
  FAIL("no check " << subject);
  static Check none;
  return none;
}

}  // namespace

TEST_CASE("each area decides OK/WARN/FAIL with the threshold text that decided it") {
  const auto report = medic::health::Evaluate(medic::test::SampleFamilies(),
                                              medic::ThresholdSettings{}, medic::test::kSampleNow);
  CHECK(Find(report, "container review-bot").state == State::kOk);
  CHECK(Find(report, "container redis").state == State::kFail);
  CHECK(Find(report, "health review-bot").state == State::kOk);
  CHECK(Find(report, "memory review-bot").state == State::kWarn);  // 93.75% > 90%
  CHECK(Find(report, "memory review-bot").threshold == "WARN > 90% of limit");
  CHECK(Find(report, "probe health").state == State::kOk);
  CHECK(Find(report, "probe health").value_text == "up (HTTP 200)");
  CHECK(Find(report, "auth failures").state == State::kWarn);  // 60 > 50 summed over sources
  CHECK(Find(report, "auth failures").value == 60);
  CHECK(Find(report, "errors").state == State::kOk);
  CHECK(Find(report, "certificate api").state == State::kOk);
  CHECK(Find(report, "certificate www").state == State::kWarn);
  CHECK(Find(report, "certificate www").value_text == "12.5 days left");
  CHECK(Find(report, "disk /").state == State::kOk);
  CHECK(Find(report, "disk /var/lib/docker").state == State::kFail);  // 97% used
  CHECK(Find(report, "backup db").state == State::kOk);
  CHECK(Find(report, "backup uploads").state == State::kFail);
  CHECK(Find(report, "backup uploads").value_text == "no backup found");
  CHECK(Find(report, "redis hit ratio").state == State::kWarn);  // 70% < 80%
  CHECK(Find(report, "redis memory").state == State::kOk);       // 50%
  CHECK(Find(report, "collector cert").state == State::kWarn);
  CHECK(report.overall == State::kFail);
  CHECK(report.reason.rfind("3 failing, 5 warning: container redis not running", 0) == 0);
  REQUIRE(report.offenders.size() == 2);
  CHECK(report.offenders[0].ip == "203.0.113.7");
  CHECK(medic::health::ExitCode(report.overall) == 2);
}

TEST_CASE("expired and unverified certificates fail; thresholds from the config move the line") {
  std::vector<prometheus::MetricFamily> f;
  medic::MetricFamilyBuilder::Gauge("medic_cert_earliest_expiry_timestamp_seconds", "")
      .Add(medic::test::kSampleNow - 86400, {{"target", "old"}})
      .Add(medic::test::kSampleNow + 40 * 86400.0, {{"target", "bad"}})
      .MoveInto(f);
  medic::MetricFamilyBuilder::Gauge("medic_cert_verify_ok", "")
      .Add(1, {{"target", "old"}})
      .Add(0, {{"target", "bad"}})
      .MoveInto(f);
  medic::MetricFamilyBuilder::Gauge("medic_cert_verify_error_info", "")
      .Add(1, {{"target", "bad"}, {"reason", "self-signed certificate"}})
      .MoveInto(f);
  auto report = medic::health::Evaluate(f, {}, medic::test::kSampleNow);
  CHECK(Find(report, "certificate old").state == State::kFail);
  CHECK(Find(report, "certificate old").value_text == "expired 1.0 days ago");
  CHECK(Find(report, "certificate bad").state == State::kFail);
  CHECK(Find(report, "certificate bad").value_text ==
        "40.0 days left, not verified: self-signed certificate");

  const auto config = medic::LoadConfigText("thresholds: {cert_expiry_warning: 45d}\n", "t.yml");
  medic::MetricFamilyBuilder::Gauge("medic_cert_probe_success", "")
      .Add(1, {{"target", "old"}})
      .MoveInto(f);
  std::vector<prometheus::MetricFamily> only_expiry;
  medic::MetricFamilyBuilder::Gauge("medic_cert_earliest_expiry_timestamp_seconds", "")
      .Add(medic::test::kSampleNow + 40 * 86400.0, {{"target", "soon"}})
      .MoveInto(only_expiry);
  CHECK(Find(medic::health::Evaluate(only_expiry, {}, medic::test::kSampleNow), "certificate soon")
            .state == State::kOk);
  report = medic::health::Evaluate(only_expiry, config.thresholds, medic::test::kSampleNow);
  CHECK(Find(report, "certificate soon").state == State::kWarn);
  CHECK(Find(report, "certificate soon").threshold ==
        "WARN < 45 days, FAIL if expired or unverified");
}

TEST_CASE("nothing to check is OK with a reason; all OK says so") {
  auto report = medic::health::Evaluate({}, {}, 0);
  CHECK(report.overall == State::kOk);
  CHECK(report.reason == "nothing to check: no collector produced health metrics");
  std::vector<prometheus::MetricFamily> f;
  medic::MetricFamilyBuilder::Gauge("redis_up", "").Add(0).MoveInto(f);
  report = medic::health::Evaluate(f, {}, 0);
  CHECK(report.overall == State::kFail);
  CHECK(report.reason == "1 failing: redis down");
  f.clear();
  medic::MetricFamilyBuilder::Gauge("probe_success", "")
      .Add(1, {{"target", "x"}, {"module", "http_2xx"}})
      .MoveInto(f);
  report = medic::health::Evaluate(f, {}, 0);
  CHECK(report.reason == "all 1 checks OK");
}

TEST_CASE("a thresholds section parses, and bad values name the key path") {
  const auto config = medic::LoadConfigText(R"(thresholds:
  cert_expiry_warning: 14d
  disk_used_warning_ratio: 0.8
  disk_used_critical_ratio: 0.9
  backup_max_age: 30h
  auth_failures_warning: 10
  cache_hit_ratio_warning: 0.5
  container_memory_warning_ratio: 0.75
)",
                                            "t.yml");
  CHECK(config.thresholds.cert_expiry_warning == std::chrono::hours(24 * 14));
  CHECK(config.thresholds.disk_used_warning_ratio == doctest::Approx(0.8));
  CHECK(config.thresholds.backup_max_age == std::chrono::hours(30));
  CHECK(config.thresholds.auth_failures_warning == 10);
  CHECK(config.thresholds.cache_hit_ratio_warning == doctest::Approx(0.5));
  CHECK(config.thresholds.container_memory_warning_ratio == doctest::Approx(0.75));

  auto error_of = [](const std::string& yaml) -> std::string {
    try {
      medic::LoadConfigText(yaml, "t.yml");
    } catch (const std::exception& error) {
      return error.what();
    }
    return "";
  };
  CHECK(error_of("thresholds: {disk_used_warning_ratio: 90}\n")
            .find("thresholds.disk_used_warning_ratio") != std::string::npos);
  CHECK(error_of("thresholds: {disk_used_warning_ratio: lots}\n").find("expected a ratio") !=
        std::string::npos);
  CHECK(error_of("thresholds: {backup_max_age: soon}\n").find("thresholds.backup_max_age") !=
        std::string::npos);
  CHECK(error_of("thresholds: {unknown_knob: 1}\n").find("unknown_knob") != std::string::npos);
  CHECK(error_of("thresholds: {disk_used_warning_ratio: 0.9, disk_used_critical_ratio: 0.5}\n")
            .find("must not be below") != std::string::npos);
}

TEST_CASE("a fresh but partial backup set fails and names the missing part") {
  auto families = medic::test::SampleFamilies("");
  medic::MetricFamilyBuilder::Gauge("medic_backup_set_missing", "")
      .Add(0, {{"name", "db"}, {"part", "config"}})
      .Add(1, {{"name", "db"}, {"part", "db"}})
      .MoveInto(families);
  const auto report = medic::health::Evaluate(families, {}, medic::test::kSampleNow);
  const Check& backup = Find(report, "backup db");
  CHECK(backup.state == State::kFail);
  CHECK(backup.value_text == "newest 3.0 h old, 7 files; newest backup is partial: missing db");
  CHECK(backup.threshold.find("or partial") != std::string::npos);
  // Complete again: OK.
  auto complete = medic::test::SampleFamilies("");
  medic::MetricFamilyBuilder::Gauge("medic_backup_set_missing", "")
      .Add(0, {{"name", "db"}, {"part", "db"}})
      .MoveInto(complete);
  CHECK(Find(medic::health::Evaluate(complete, {}, medic::test::kSampleNow), "backup db").state ==
        State::kOk);
}
