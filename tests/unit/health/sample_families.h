#pragma once
// A fixed set of metric families in the collectors' contract, with one WARN or FAIL per area,
// shared by the health, check-render and status-page tests.
#include "medic/metric_family_builder.h"

#include <string>
#include <vector>

namespace medic::test {

inline constexpr double kSampleNow = 1800000000;  // 2027-01-15 08:00:00Z

inline std::vector<prometheus::MetricFamily> SampleFamilies(const std::string& hostile = "") {
  std::vector<prometheus::MetricFamily> f;
  const std::string bot = "review-bot" + hostile;
  MetricFamilyBuilder::Gauge("medic_docker_up", "").Add(1).MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_container_running", "")
      .Add(1, {{"name", bot}})
      .Add(0, {{"name", "redis"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_container_state_info", "")
      .Add(1, {{"name", bot}, {"state", "running"}})
      .Add(1, {{"name", "redis"}, {"state", "exited"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_container_health_status", "")
      .Add(1, {{"name", bot}, {"status", "healthy"}})
      .Add(0, {{"name", bot}, {"status", "unhealthy"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_container_restarts", "")
      .Add(2, {{"name", bot}})
      .Add(0, {{"name", "redis"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("container_memory_usage_bytes", "")
      .Add(480 * 1048576.0, {{"name", bot}, {"image", "bot:1"}, {"id", "abc"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("container_spec_memory_limit_bytes", "")
      .Add(512 * 1048576.0, {{"name", bot}, {"image", "bot:1"}, {"id", "abc"}})
      .MoveInto(f);
  // A health probe of collectors.probe, and the cert collector's TLS probe of an endpoint that
  // is down: only the first is a "probe" check (the second is the certificates' business).
  MetricFamilyBuilder::Gauge("probe_success", "")
      .Add(1, {{"target", "health"}, {"module", "http_2xx"}})
      .Add(0, {{"target", "api"}, {"module", "tls_connect"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("probe_http_status_code", "")
      .Add(200, {{"target", "health"}, {"module", "http_2xx"}})
      .MoveInto(f);
  MetricFamilyBuilder::Counter("medic_log_matches_total", "")
      .Add(40, {{"source", "app"}, {"rule", "auth_failure"}})
      .Add(20, {{"source", "proxy"}, {"rule", "auth_failure"}})
      .Add(3, {{"source", "app"}, {"rule", "error"}})
      .Add(0, {{"source", "app"}, {"rule", "critical"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_log_top_offender_matches", "")
      .Add(35, {{"rule", "auth_failure"}, {"ip", "203.0.113.7" + hostile}})
      .Add(9, {{"rule", "auth_failure"}, {"ip", "198.51.100.2"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_cert_probe_success", "")
      .Add(1, {{"target", "api"}})
      .Add(1, {{"target", "www"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_cert_verify_ok", "")
      .Add(1, {{"target", "api"}})
      .Add(1, {{"target", "www"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_cert_earliest_expiry_timestamp_seconds", "")
      .Add(kSampleNow + 90 * 86400.0, {{"target", "api"}})
      .Add(kSampleNow + 12.5 * 86400, {{"target", "www"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("node_filesystem_size_bytes", "")
      .Add(100e9, {{"mountpoint", "/"}, {"device", "/dev/sda1"}, {"fstype", "ext4"}})
      .Add(10e9, {{"mountpoint", "/var/lib/docker"}, {"device", "/dev/sdb1"}, {"fstype", "xfs"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("node_filesystem_avail_bytes", "")
      .Add(40e9, {{"mountpoint", "/"}, {"device", "/dev/sda1"}, {"fstype", "ext4"}})
      .Add(0.3e9, {{"mountpoint", "/var/lib/docker"}, {"device", "/dev/sdb1"}, {"fstype", "xfs"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_backup_last_modified_timestamp_seconds", "")
      .Add(kSampleNow - 3 * 3600, {{"name", "db"}})
      .Add(0, {{"name", "uploads"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_backup_files", "")
      .Add(7, {{"name", "db"}})
      .Add(0, {{"name", "uploads"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_backup_check_success", "")
      .Add(1, {{"name", "db"}})
      .Add(1, {{"name", "uploads"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("redis_up", "").Add(1).MoveInto(f);
  MetricFamilyBuilder::Counter("redis_keyspace_hits_total", "").Add(700).MoveInto(f);
  MetricFamilyBuilder::Counter("redis_keyspace_misses_total", "").Add(300).MoveInto(f);
  MetricFamilyBuilder::Gauge("redis_memory_used_bytes", "").Add(50 * 1048576.0).MoveInto(f);
  MetricFamilyBuilder::Gauge("redis_memory_max_bytes", "").Add(100 * 1048576.0).MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_scrape_collector_success", "")
      .Add(1, {{"collector", "filesystem"}})
      .Add(0, {{"collector", "cert"}})
      .MoveInto(f);
  MetricFamilyBuilder::Gauge("medic_scrape_collector_duration_seconds", "")
      .Add(0.002, {{"collector", "filesystem"}})
      .Add(5, {{"collector", "cert"}})
      .MoveInto(f);
  return f;
}

}  // namespace medic::test
