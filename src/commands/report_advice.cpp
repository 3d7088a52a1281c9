#include "medic/commands/report_advice.h"

#include "medic/human_format.h"

namespace medic::commands {
namespace {

using health::State;
using human::Bytes;
using human::Format;
using human::Percent;
using human::PercentThreshold;

Recommendation Make(State severity, std::string subject, std::string finding, std::string action,
                    std::string threshold) {
  return Recommendation{severity, std::move(subject), std::move(finding), std::move(action),
                        std::move(threshold)};
}

}  // namespace

std::optional<Recommendation> AdviseContainerMemory(const std::string& container, double peak_ratio,
                                                    double limit_bytes,
                                                    const ThresholdSettings& t) {
  if (limit_bytes <= 0 || !(peak_ratio > t.memory_recommendation_ratio)) return std::nullopt;
  const std::string finding =
      "memory reached " + Percent(peak_ratio) + " of the " + Bytes(limit_bytes) + " limit";
  if (peak_ratio > t.container_memory_warning_ratio) {
    return Make(State::kFail, "container " + container, finding,
                "raise the memory limit or find what grows; HighMemoryUsage fires here",
                "memory above " + PercentThreshold(t.container_memory_warning_ratio) + " of limit");
  }
  return Make(State::kWarn, "container " + container, finding, "raise the limit",
              "memory above " + PercentThreshold(t.memory_recommendation_ratio) + " of limit");
}

std::optional<Recommendation> AdviseDiskUsed(const std::string& mountpoint, double used_ratio,
                                             const ThresholdSettings& t) {
  if (!(used_ratio > t.disk_used_warning_ratio)) return std::nullopt;
  const bool critical = used_ratio > t.disk_used_critical_ratio;
  return Make(
      critical ? State::kFail : State::kWarn, "disk " + mountpoint, Percent(used_ratio) + " used",
      "free space (old logs, images: docker system prune) or grow the volume",
      "disk above " +
          PercentThreshold(critical ? t.disk_used_critical_ratio : t.disk_used_warning_ratio) +
          " used");
}

std::optional<Recommendation> AdviseDiskFill(const std::string& mountpoint, double days_to_full,
                                             const std::string& range, const ThresholdSettings& t) {
  const double horizon_days = ToSeconds(t.disk_fill_horizon) / 86400;
  if (!(days_to_full < horizon_days)) return std::nullopt;
  return Make(
      days_to_full < 1 ? State::kFail : State::kWarn, "disk " + mountpoint,
      "at the growth of the last " + range + ", full in " + Format("%.1f days", days_to_full),
      "plan more space or find what grows before it fills",
      Format("full within %g days", horizon_days));
}

std::optional<Recommendation> AdviseRedisMemory(double used_ratio, const ThresholdSettings& t) {
  if (!(used_ratio > t.redis_memory_warning_ratio)) return std::nullopt;
  return Make(State::kWarn, "redis", "memory at " + Percent(used_ratio) + " of maxmemory",
              "raise maxmemory or review the eviction policy and key TTLs",
              "memory above " + PercentThreshold(t.redis_memory_warning_ratio) + " of maxmemory");
}

std::optional<Recommendation> AdviseCertificate(const std::string& target, double days_left,
                                                bool verified, const ThresholdSettings& t) {
  const double warn_days = ToSeconds(t.cert_expiry_warning) / 86400;
  const std::string subject = "certificate " + target;
  if (days_left < 0) {
    return Make(State::kFail, subject, Format("expired %.1f days ago", -days_left),
                "renew and deploy the certificate now", "expired");
  }
  if (!verified) {
    return Make(State::kFail, subject, "chain does not verify",
                "deploy the full chain from a trusted issuer", "FAIL if unverified");
  }
  if (days_left < warn_days) {
    return Make(State::kWarn, subject, Format("expires in %.1f days", days_left),
                "renew it (check that automatic renewal runs)",
                Format("expires in less than %g days", warn_days));
  }
  return std::nullopt;
}

std::optional<Recommendation> AdviseLogMatches(const std::string& rule, double count,
                                               const std::string& window,
                                               const ThresholdSettings& t) {
  double limit = 0;
  std::string action;
  if (rule == "auth_failure") {
    limit = t.auth_failures_warning;
    action = "review the top offenders and block them (firewall, fail2ban); check for leaked keys";
  } else if (rule == "error") {
    limit = t.log_errors_warning;
    action = "read the errors in the log and fix the most frequent cause";
  } else if (rule == "critical") {
    limit = t.log_critical_warning;
    action = "investigate every critical log line";
  } else {
    return std::nullopt;
  }
  if (!(count > limit)) return std::nullopt;
  return Make(State::kWarn, "log rule " + rule, Format("%.0f matches ", count) + window, action,
              Format("more than %.0f", limit) + " " + window);
}

std::optional<Recommendation> AdviseCacheHitRatio(double hits, double misses,
                                                  const ThresholdSettings& t) {
  const double lookups = hits + misses;
  if (lookups < t.cache_min_lookups || lookups <= 0) return std::nullopt;
  const double ratio = hits / lookups;
  if (!(ratio < t.cache_hit_ratio_warning)) return std::nullopt;
  return Make(State::kWarn, "redis hit ratio", Percent(ratio) + Format(" of %.0f lookups", lookups),
              "review key TTLs and what is cached; raise maxmemory if keys are evicted",
              "hit ratio below " + PercentThreshold(t.cache_hit_ratio_warning));
}

std::optional<Recommendation> AdviseProbe(const std::string& target, double availability) {
  if (!(availability < 1)) return std::nullopt;
  return Make(availability <= 0 ? State::kFail : State::kWarn, "probe " + target,
              "succeeded " + Percent(availability) + " of the time",
              "look at the service's logs and restarts around the failures", "any failed probe");
}

std::optional<Recommendation> AdviseCollector(const std::string& collector, double success_ratio) {
  if (!(success_ratio < 1)) return std::nullopt;
  return Make(State::kWarn, "collector " + collector,
              "succeeded in " + Percent(success_ratio) + " of scrapes",
              "read the collector's last error on medic's status page", "any failed collector run");
}

std::optional<Recommendation> AdviseRemediationFailures(const std::string& remediation,
                                                        double failed) {
  if (!(failed > 0)) return std::nullopt;
  return Make(State::kWarn, "remediation " + remediation, Format("%.0f failed runs", failed),
              "read the failed runs' steps in /api/v1/remediations",
              "any failed run (MedicRemediationFailing)");
}

std::optional<Recommendation> AdviseWebhookRejections(double rejected) {
  if (!(rejected > 0)) return std::nullopt;
  return Make(State::kWarn, "webhook", Format("%.0f requests rejected as unauthorised", rejected),
              "check Alertmanager's webhook credentials and who else reaches medic's port",
              "any 401/403");
}

}  // namespace medic::commands
