#include "medic/health/health.h"

#include "medic/human_format.h"
#include "medic/metric_sample.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace medic::health {
namespace {

using metrics::Label;
using metrics::Value;
using prometheus::ClientMetric;
using prometheus::MetricFamily;

// Index of family name -> samples.
class Families {
 public:
  explicit Families(const std::vector<MetricFamily>& families) {
    for (const auto& family : families) by_name_[family.name] = &family;
  }
  const std::vector<ClientMetric>& Get(const std::string& name) const {
    static const std::vector<ClientMetric> kEmpty;
    const auto found = by_name_.find(name);
    return found == by_name_.end() ? kEmpty : found->second->metric;
  }
  bool Has(const std::string& name) const { return by_name_.count(name) != 0; }
  // Samples keyed by one label's value.
  std::map<std::string, double> ByLabel(const std::string& name, std::string_view label) const {
    std::map<std::string, double> values;
    for (const auto& metric : Get(name)) values[Label(metric, label)] = Value(metric);
    return values;
  }
  // The same, of the samples whose label `where` has the value `is`.
  std::map<std::string, double> ByLabel(const std::string& name, std::string_view label,
                                        std::string_view where, std::string_view is) const {
    std::map<std::string, double> values;
    for (const auto& metric : Get(name)) {
      if (Label(metric, where) == is) values[Label(metric, label)] = Value(metric);
    }
    return values;
  }
  std::optional<double> Single(const std::string& name) const {
    const auto& samples = Get(name);
    if (samples.empty()) return std::nullopt;
    return Value(samples.front());
  }

 private:
  std::map<std::string, const MetricFamily*> by_name_;
};

using human::Bytes;
using human::Format;
using human::Percent;
using human::PercentThreshold;

class Builder {
 public:
  void Add(std::string_view group, std::string subject, State state, double value,
           std::string value_text, std::string threshold) {
    checks_.push_back(Check{std::string(group), std::move(subject), state, value,
                            std::move(value_text), std::move(threshold)});
  }
  std::vector<Check> Take() { return std::move(checks_); }

 private:
  std::vector<Check> checks_;
};

void EvaluateService(const Families& f, const ThresholdSettings& t, Builder& out) {
  if (auto up = f.Single("medic_docker_up")) {
    out.Add(kGroupService, "docker engine", *up == 1 ? State::kOk : State::kFail, *up,
            *up == 1 ? "reachable" : "unreachable", "FAIL if unreachable");
  }
  const auto usage = f.ByLabel("container_memory_usage_bytes", "name");
  const auto limits = f.ByLabel("container_spec_memory_limit_bytes", "name");
  const auto restarts = f.ByLabel("medic_container_restarts", "name");
  const auto oom = f.ByLabel("medic_container_oom_killed", "name");
  std::map<std::string, std::string> health;
  for (const auto& metric : f.Get("medic_container_health_status")) {
    if (Value(metric) == 1) health[Label(metric, "name")] = Label(metric, "status");
  }
  for (const auto& [name, running] : f.ByLabel("medic_container_running", "name")) {
    std::string text = running == 1 ? "running" : "not running";
    if (const auto r = restarts.find(name); r != restarts.end() && r->second > 0) {
      text += Format(", %.0f restarts", r->second);
    }
    out.Add(kGroupService, "container " + name, running == 1 ? State::kOk : State::kFail, running,
            text, "FAIL if not running");
    if (const auto h = health.find(name); h != health.end() && h->second != "none") {
      const State state = h->second == "unhealthy" ? State::kFail
                          : h->second == "healthy" ? State::kOk
                                                   : State::kWarn;
      out.Add(kGroupService, "health " + name, state, state == State::kOk ? 1 : 0, h->second,
              "FAIL if unhealthy, WARN while starting");
    }
    if (const auto o = oom.find(name); o != oom.end() && o->second == 1) {
      out.Add(kGroupService, "oom " + name, State::kWarn, 1, "last exit was an OOM kill",
              "WARN if OOM-killed");
    }
    const auto u = usage.find(name);
    const auto l = limits.find(name);
    if (u != usage.end() && l != limits.end() && l->second > 0) {
      const double ratio = u->second / l->second;
      out.Add(kGroupService, "memory " + name,
              ratio > t.container_memory_warning_ratio ? State::kWarn : State::kOk, ratio,
              Percent(ratio) + " of " + Bytes(l->second) + " limit",
              "WARN > " + PercentThreshold(t.container_memory_warning_ratio) + " of limit");
    } else if (u != usage.end()) {
      out.Add(kGroupService, "memory " + name, State::kOk, 0, Bytes(u->second) + ", no limit",
              "WARN > " + PercentThreshold(t.container_memory_warning_ratio) + " of limit");
    }
  }
  // The health probes of collectors.probe; the cert collector's tls_connect probes are
  // reported with the certificates.
  const auto status_codes = f.ByLabel("probe_http_status_code", "target", "module", "http_2xx");
  for (const auto& [target, success] : f.ByLabel("probe_success", "target", "module", "http_2xx")) {
    std::string text = success == 1 ? "up" : "down";
    if (const auto c = status_codes.find(target); c != status_codes.end() && c->second > 0) {
      text += Format(" (HTTP %.0f)", c->second);
    }
    out.Add(kGroupService, "probe " + target, success == 1 ? State::kOk : State::kFail, success,
            text, "FAIL if the probe fails");
  }
}

void EvaluateSecurity(const Families& f, const ThresholdSettings& t, Builder& out,
                      std::vector<Offender>& offenders) {
  if (!f.Has("medic_log_matches_total")) return;
  std::map<std::string, double> per_rule;
  for (const auto& metric : f.Get("medic_log_matches_total")) {
    per_rule[Label(metric, "rule")] += Value(metric);
  }
  auto add = [&](const std::string& rule, const std::string& subject, double limit) {
    const double count = per_rule.count(rule) ? per_rule[rule] : 0;
    out.Add(kGroupSecurity, subject, count > limit ? State::kWarn : State::kOk, count,
            Format("%.0f since medic started", count), Format("WARN > %.0f", limit));
  };
  add("auth_failure", "auth failures", t.auth_failures_warning);
  add("error", "errors", t.log_errors_warning);
  add("critical", "critical", t.log_critical_warning);
  for (const auto& [rule, count] : per_rule) {
    if (rule == "auth_failure" || rule == "error" || rule == "critical") continue;
    out.Add(kGroupSecurity, "matches " + rule, State::kOk, count,
            Format("%.0f since medic started", count), "informational");
  }
  for (const auto& metric : f.Get("medic_log_top_offender_matches")) {
    offenders.push_back(Offender{Label(metric, "rule"), Label(metric, "ip"), Value(metric)});
  }
  std::stable_sort(offenders.begin(), offenders.end(), [](const Offender& a, const Offender& b) {
    return a.rule != b.rule ? a.rule < b.rule : a.matches > b.matches;
  });
}

void EvaluateCertificates(const Families& f, const ThresholdSettings& t, double now, Builder& out) {
  const double warn_days = ToSeconds(t.cert_expiry_warning) / 86400;
  const std::string rule = Format("WARN < %g days, FAIL if expired or unverified", warn_days);
  const auto probe = f.ByLabel("medic_cert_probe_success", "target");
  const auto verify = f.ByLabel("medic_cert_verify_ok", "target");
  std::map<std::string, std::string> reasons;
  for (const auto& metric : f.Get("medic_cert_verify_error_info")) {
    reasons[Label(metric, "target")] = Label(metric, "reason");
  }
  const auto expiry = f.ByLabel("medic_cert_earliest_expiry_timestamp_seconds", "target");
  std::map<std::string, bool> targets;
  for (const auto& [target, _] : probe) targets[target] = true;
  for (const auto& [target, _] : expiry) targets[target] = true;
  for (const auto& [target, _] : targets) {
    const std::string subject = "certificate " + target;
    if (const auto p = probe.find(target); p != probe.end() && p->second != 1) {
      out.Add(kGroupCertificates, subject, State::kFail, 0, "probe failed", rule);
      continue;
    }
    const auto e = expiry.find(target);
    if (e == expiry.end()) continue;
    const double days = (e->second - now) / 86400;
    State state = days < 0 ? State::kFail : days < warn_days ? State::kWarn : State::kOk;
    std::string text =
        days < 0 ? Format("expired %.1f days ago", -days) : Format("%.1f days left", days);
    if (const auto v = verify.find(target); v != verify.end() && v->second != 1) {
      state = State::kFail;
      const auto reason = reasons.find(target);
      text += ", not verified" + (reason != reasons.end() ? ": " + reason->second : "");
    }
    out.Add(kGroupCertificates, subject, state, days, text, rule);
  }
}

void EvaluateDisk(const Families& f, const ThresholdSettings& t, Builder& out) {
  std::map<std::string, double> avail;
  for (const auto& metric : f.Get("node_filesystem_avail_bytes")) {
    avail[Label(metric, "mountpoint")] = Value(metric);
  }
  const std::string rule = "WARN > " + PercentThreshold(t.disk_used_warning_ratio) + ", FAIL > " +
                           PercentThreshold(t.disk_used_critical_ratio);
  for (const auto& metric : f.Get("node_filesystem_size_bytes")) {
    const std::string mountpoint = Label(metric, "mountpoint");
    const double size = Value(metric);
    const auto a = avail.find(mountpoint);
    if (size <= 0 || a == avail.end()) continue;
    const double used = 1 - a->second / size;
    const State state = used > t.disk_used_critical_ratio  ? State::kFail
                        : used > t.disk_used_warning_ratio ? State::kWarn
                                                           : State::kOk;
    out.Add(kGroupDisk, "disk " + mountpoint, state, used,
            Percent(used) + " used, " + Bytes(a->second) + " free of " + Bytes(size), rule);
  }
}

void EvaluateBackups(const Families& f, const ThresholdSettings& t, double now, Builder& out) {
  const double max_hours = ToSeconds(t.backup_max_age) / 3600;
  const std::string rule = Format("FAIL if older than %gh or missing", max_hours);
  const auto success = f.ByLabel("medic_backup_check_success", "name");
  const auto files = f.ByLabel("medic_backup_files", "name");
  for (const auto& [name, modified] :
       f.ByLabel("medic_backup_last_modified_timestamp_seconds", "name")) {
    const std::string subject = "backup " + name;
    if (const auto s = success.find(name); s != success.end() && s->second != 1) {
      out.Add(kGroupBackups, subject, State::kFail, 0, "backup directory unreadable", rule);
      continue;
    }
    if (modified <= 0) {
      out.Add(kGroupBackups, subject, State::kFail, 0, "no backup found", rule);
      continue;
    }
    const double hours = (now - modified) / 3600;
    std::string text = Format("newest %.1f h old", hours);
    if (const auto n = files.find(name); n != files.end())
      text += Format(", %.0f files", n->second);
    // A backup set (collectors.backup[].set) whose newest directory lacks a part cannot be
    // restored whole: as bad as an old one.
    std::string missing;
    for (const auto& metric : f.Get("medic_backup_set_missing")) {
      if (Label(metric, "name") == name && Value(metric) == 1) {
        missing += (missing.empty() ? "" : ", ") + Label(metric, "part");
      }
    }
    if (!missing.empty()) text += "; newest backup is partial: missing " + missing;
    const bool bad = hours > max_hours || !missing.empty();
    out.Add(kGroupBackups, subject, bad ? State::kFail : State::kOk, hours * 3600, text,
            missing.empty() ? rule : rule + ", or partial");
  }
}

void EvaluateCache(const Families& f, const ThresholdSettings& t, Builder& out) {
  const auto up = f.Single("redis_up");
  if (!up) return;
  if (*up != 1) {
    out.Add(kGroupCache, "redis", State::kFail, 0, "down", "FAIL if unreachable");
    return;
  }
  out.Add(kGroupCache, "redis", State::kOk, 1, "up", "FAIL if unreachable");
  const double hits = f.Single("redis_keyspace_hits_total").value_or(0);
  const double misses = f.Single("redis_keyspace_misses_total").value_or(0);
  const std::string hit_rule = "WARN < " + PercentThreshold(t.cache_hit_ratio_warning) +
                               Format(" (from %.0f lookups)", t.cache_min_lookups);
  if (hits + misses >= t.cache_min_lookups && hits + misses > 0) {
    const double ratio = hits / (hits + misses);
    out.Add(kGroupCache, "redis hit ratio",
            ratio < t.cache_hit_ratio_warning ? State::kWarn : State::kOk, ratio,
            Percent(ratio) + Format(" of %.0f lookups", hits + misses), hit_rule);
  } else {
    out.Add(kGroupCache, "redis hit ratio", State::kOk, 0,
            Format("%.0f lookups, too few to judge", hits + misses), hit_rule);
  }
  const double used = f.Single("redis_memory_used_bytes").value_or(0);
  const double max = f.Single("redis_memory_max_bytes").value_or(0);
  const std::string memory_rule =
      "WARN > " + PercentThreshold(t.redis_memory_warning_ratio) + " of maxmemory";
  if (max > 0) {
    const double ratio = used / max;
    out.Add(kGroupCache, "redis memory",
            ratio > t.redis_memory_warning_ratio ? State::kWarn : State::kOk, ratio,
            Percent(ratio) + " of " + Bytes(max), memory_rule);
  } else {
    out.Add(kGroupCache, "redis memory", State::kOk, 0, Bytes(used) + ", no maxmemory",
            memory_rule);
  }
}

void EvaluateMedic(const Families& f, const std::vector<CollectorStatus>& statuses, Builder& out) {
  const auto durations = f.ByLabel("medic_scrape_collector_duration_seconds", "collector");
  for (const auto& [collector, success] :
       f.ByLabel("medic_scrape_collector_success", "collector")) {
    std::string text = success == 1 ? "ok" : "failed";
    if (const auto d = durations.find(collector); d != durations.end()) {
      text += Format(" in %.3f s", d->second);
    }
    if (success != 1) {
      for (const auto& status : statuses) {
        if (status.name == collector && !status.last_error.empty()) {
          text += ": " + status.last_error;
        }
      }
    }
    out.Add(kGroupMedic, "collector " + collector, success == 1 ? State::kOk : State::kWarn,
            success, text, "WARN if the collector fails");
  }
}

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kOk:
      return "OK";
    case State::kWarn:
      return "WARN";
    case State::kFail:
      return "FAIL";
  }
  return "FAIL";
}

const std::vector<std::string_view>& GroupOrder() {
  static const std::vector<std::string_view> kOrder{
      kGroupService, kGroupSecurity, kGroupCertificates, kGroupDisk,
      kGroupBackups, kGroupCache,    kGroupMedic};
  return kOrder;
}

Report Evaluate(const std::vector<prometheus::MetricFamily>& families,
                const ThresholdSettings& thresholds, double now_seconds,
                const std::vector<CollectorStatus>& statuses) {
  const Families f(families);
  Report report;
  report.evaluated_at = now_seconds;
  Builder out;
  EvaluateService(f, thresholds, out);
  EvaluateSecurity(f, thresholds, out, report.offenders);
  EvaluateCertificates(f, thresholds, now_seconds, out);
  EvaluateDisk(f, thresholds, out);
  EvaluateBackups(f, thresholds, now_seconds, out);
  EvaluateCache(f, thresholds, out);
  EvaluateMedic(f, statuses, out);
  report.checks = out.Take();
  Summarize(report);
  return report;
}

void Summarize(Report& report) {
  report.overall = State::kOk;
  int warnings = 0;
  int failures = 0;
  for (const Check& check : report.checks) {
    if (check.state == State::kWarn) ++warnings;
    if (check.state == State::kFail) ++failures;
    report.overall = std::max(report.overall, check.state);
  }
  if (report.checks.empty()) {
    report.reason = "nothing to check: no collector produced health metrics";
    return;
  }
  if (report.overall == State::kOk) {
    report.reason = Format("all %.0f checks OK", static_cast<double>(report.checks.size()));
    return;
  }
  std::string reason = failures ? Format("%.0f failing", failures) : "";
  if (warnings) reason += (reason.empty() ? "" : ", ") + Format("%.0f warning", warnings);
  reason += ": ";
  int listed = 0;
  for (const Check& check : report.checks) {
    if (check.state != report.overall) continue;
    if (listed == 3) {
      reason += ", …";
      break;
    }
    reason += (listed ? "; " : "") + check.subject + " " + check.value_text;
    ++listed;
  }
  report.reason = reason;
}

nlohmann::json ToJson(const Report& report) {
  nlohmann::json checks = nlohmann::json::array();
  for (const Check& check : report.checks) {
    checks.push_back({{"group", check.group},
                      {"subject", check.subject},
                      {"state", StateName(check.state)},
                      {"value", std::isfinite(check.value) ? check.value : 0},
                      {"value_text", check.value_text},
                      {"threshold", check.threshold}});
  }
  nlohmann::json offenders = nlohmann::json::array();
  for (const Offender& offender : report.offenders) {
    offenders.push_back(
        {{"rule", offender.rule}, {"ip", offender.ip}, {"matches", offender.matches}});
  }
  return {{"overall", {{"state", StateName(report.overall)}, {"reason", report.reason}}},
          {"evaluated_at", report.evaluated_at},
          {"checks", std::move(checks)},
          {"offenders", std::move(offenders)}};
}

int ExitCode(State overall) { return static_cast<int>(overall); }

}  // namespace medic::health
