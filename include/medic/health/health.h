#pragma once

#include "medic/collector_registry.h"
#include "medic/config.h"

#include <prometheus/metric_family.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace medic::health {

// The one evaluation behind `medic check`, the status page and /api/v1/status: collector output
// (metric families) + thresholds + now -> checks. It reads only the metric contract, so it
// works for any mix of enabled collectors and never talks to a service itself.

enum class State { kOk = 0, kWarn = 1, kFail = 2 };

std::string_view StateName(State state);  // "OK", "WARN", "FAIL"

// Report groups, in the order the seed's daily check prints them.
inline constexpr std::string_view kGroupService = "service";
inline constexpr std::string_view kGroupSecurity = "errors & security";
inline constexpr std::string_view kGroupCertificates = "certificates";
inline constexpr std::string_view kGroupDisk = "disk";
inline constexpr std::string_view kGroupBackups = "backups";
inline constexpr std::string_view kGroupCache = "cache";
inline constexpr std::string_view kGroupMedic = "medic";
const std::vector<std::string_view>& GroupOrder();

struct Check {
  std::string group;
  std::string subject;  // e.g. "container review-bot", "disk /"
  State state = State::kOk;
  double value = 0;        // the measured number (ratio, seconds, count; see value_text)
  std::string value_text;  // human form: "93.1% used", "12 days left"
  std::string threshold;   // the rule that decided the state: "WARN > 90%, FAIL > 95%"
};

struct Offender {
  std::string rule;
  std::string ip;
  double matches = 0;
};

struct Report {
  double evaluated_at = 0;  // unix seconds
  std::vector<Check> checks;
  std::vector<Offender> offenders;  // top offenders per rule, most matches first
  State overall = State::kOk;
  std::string reason;  // why overall is what it is, e.g. "FAIL: backup review-bot 30.0 h old"
};

// `statuses` (optional) adds each failing collector's last error to its check.
Report Evaluate(const std::vector<prometheus::MetricFamily>& families,
                const ThresholdSettings& thresholds, double now_seconds,
                const std::vector<CollectorStatus>& statuses = {});
// Sets overall and reason from checks (Evaluate calls it; `medic check` again after adding the
// log review's own checks).
void Summarize(Report& report);

nlohmann::json ToJson(const Report& report);

// Exit code for cron: 0 all OK, 1 any WARN, 2 any FAIL.
int ExitCode(State overall);

}  // namespace medic::health
