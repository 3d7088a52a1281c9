// The default thresholds are the numbers of the shipped alert rules (monitoring/alert-rules.yml).
#include "medic/config.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

namespace {

std::map<std::string, std::string> RuleExpressions() {
  std::map<std::string, std::string> out;
  const YAML::Node root =
      YAML::LoadFile(std::string(MEDIC_SOURCE_DIR) + "/monitoring/alert-rules.yml");
  for (const auto& group : root["groups"]) {
    for (const auto& rule : group["rules"]) {
      if (rule["alert"])
        out[rule["alert"].as<std::string>()] += rule["expr"].as<std::string>() + "\n";
    }
  }
  return out;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("default thresholds agree with the shipped alert rules") {
  const auto rules = RuleExpressions();
  const medic::ThresholdSettings t;
  REQUIRE(rules.count("CertificateExpiringSoon"));
  CHECK(t.cert_expiry_warning == std::chrono::hours(24 * 30));
  CHECK(Has(rules.at("CertificateExpiringSoon"), "< 30 * 86400"));
  CHECK(Has(rules.at("CertificateExpired"), "<= time()"));
  CHECK(t.disk_used_warning_ratio == 0.90);
  CHECK(Has(rules.at("DiskSpaceLow"),
            "1 - node_filesystem_avail_bytes / node_filesystem_size_bytes > 0.90"));
  CHECK(t.backup_max_age == std::chrono::hours(26));
  CHECK(Has(rules.at("BackupTooOld"), "> 26 * 3600"));
  CHECK(t.auth_failures_warning == 50);
  CHECK(Has(rules.at("HighAuthFailureRate"), "[7d])) > 50"));
  CHECK(t.cache_hit_ratio_warning == 0.8);
  CHECK(Has(rules.at("LowCacheHitRate"), "< 0.8"));
  CHECK(t.container_memory_warning_ratio == 0.9);
  CHECK(Has(rules.at("HighMemoryUsage"),
            "container_spec_memory_limit_bytes{name=\"review-bot\"} > 0.9"));
  CHECK(Has(rules.at("ContainerNotRunning"), "medic_container_running == 0"));
  CHECK(Has(rules.at("MedicCollectorFailing"), "medic_scrape_collector_success == 0"));
}
