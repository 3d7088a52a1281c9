#include "medic/commands/report_builder.h"

#include "medic/commands/report_advice.h"
#include "medic/human_format.h"
#include "medic/metric_sample.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace medic::commands {
namespace {

using human::Bytes;
using human::Format;
using human::Percent;
using Values = std::map<std::string, double>;

// One value per `label` (the last series wins when several instances report the same one).
Values ByLabel(const std::vector<prom::Series>& series, const std::string& label) {
  Values out;
  for (const auto& s : series) out[s.Label(label)] = s.Last();
  return out;
}

// The series whose `label` is `value`.
std::vector<prom::Series> Where(std::vector<prom::Series> series, const std::string& label,
                                const std::string& value) {
  std::erase_if(series, [&](const prom::Series& s) { return s.Label(label) != value; });
  return series;
}

Values SumByLabel(const std::vector<prom::Series>& series, const std::string& label) {
  Values out;
  for (const auto& s : series) out[s.Label(label)] += s.Last();
  return out;
}

std::optional<double> Find(const Values& values, const std::string& key) {
  const auto found = values.find(key);
  if (found == values.end() || !std::isfinite(found->second)) return std::nullopt;
  return found->second;
}

double SumAll(const std::vector<prom::Series>& series) {
  double total = 0;
  for (const auto& s : series) total += std::isfinite(s.Last()) ? s.Last() : 0;
  return total;
}

ReportCell Text(std::string text) { return ReportCell{std::move(text), std::nullopt}; }
ReportCell Number(const char* format, double value) {
  return ReportCell{Format(format, value), value};
}
ReportCell BytesCell(double bytes) { return ReportCell{Bytes(bytes), bytes}; }
ReportCell RatioCell(double ratio) { return ReportCell{Percent(ratio), ratio}; }
ReportCell Missing() { return Text("–"); }
ReportCell Maybe(std::optional<double> value, ReportCell (*cell)(double)) {
  return value ? cell(*value) : Missing();
}

std::set<std::string> Keys(std::initializer_list<const Values*> maps) {
  std::set<std::string> keys;
  for (const Values* map : maps) {
    for (const auto& [key, _] : *map) keys.insert(key);
  }
  return keys;
}

class Builder {
 public:
  Builder(const ReportRequest& request, const ReportSource& source, const ThresholdSettings& t)
      : request_(request), source_(source), t_(t), history_(source.HasHistory()) {
    report_.kind = request.kind;
    report_.range = request.range;
    report_.generated_at = request.now;
    report_.source = request.source_name;
    report_.history = history_;
  }

  Report Build() {
    switch (request_.kind) {
      case ReportKind::kCapacity:
        ContainerMemory();
        ContainerCpu();
        Disk();
        DockerDisk();
        RedisMemory();
        break;
      case ReportKind::kSecurity:
        LogMatches();
        Offenders();
        Certificates();
        Webhook();
        break;
      case ReportKind::kPerformance:
        Probes();
        Collectors();
        Cache();
        Remediations();
        break;
    }
    if (!history_) {
      report_.notes.push_back(
          "This is a snapshot of one collector run: history and trends (averages, peaks, growth, "
          "days to full, per-day counts, remediations) need a Prometheus that scrapes medic: "
          "medic report " +
          std::string(ReportKindName(request_.kind)) + " --prometheus URL.");
    }
    std::stable_sort(
        report_.recommendations.begin(), report_.recommendations.end(),
        [](const Recommendation& a, const Recommendation& b) { return a.severity > b.severity; });
    return std::move(report_);
  }

 private:
  // PromQL with the report range substituted for "$R".
  std::vector<prom::Series> History(std::string promql) const {
    for (auto at = promql.find("$R"); at != std::string::npos; at = promql.find("$R")) {
      promql.replace(at, 2, request_.range);
    }
    return source_.History(promql);
  }

  void Recommend(std::optional<Recommendation> recommendation) {
    if (recommendation) report_.recommendations.push_back(std::move(*recommendation));
  }

  ReportSection& Section(std::string title, std::vector<ReportColumn> columns,
                         std::string empty_text) {
    report_.sections.push_back(
        ReportSection{std::move(title), std::move(columns), {}, std::move(empty_text)});
    return report_.sections.back();
  }

  std::string Window() const { return history_ ? "over " + request_.range : "now"; }

  // --- capacity ------------------------------------------------------------------------------

  void ContainerMemory() {
    const Values usage = ByLabel(source_.Current("container_memory_usage_bytes"), "name");
    const Values limits = ByLabel(source_.Current("container_spec_memory_limit_bytes"), "name");
    Values average, peak;
    if (history_) {
      average = ByLabel(History("avg_over_time(container_memory_usage_bytes[$R])"), "name");
      peak = ByLabel(History("max_over_time(container_memory_usage_bytes[$R])"), "name");
    }
    std::vector<ReportColumn> columns{
        {"container", "container"}, {"limit", "limit"}, {"now", "now"}};
    if (history_) {
      columns.push_back({"average", "average"});
      columns.push_back({"peak", "peak"});
    }
    columns.push_back({"peak_of_limit", history_ ? "peak of limit" : "of limit"});
    auto& section =
        Section("Container memory", columns, "No container metrics (container collector off?).");
    for (const auto& name : Keys({&usage, &peak})) {
      const auto limit = Find(limits, name);
      const auto highest = history_ ? Find(peak, name) : Find(usage, name);
      std::vector<ReportCell> row{Text(name),
                                  limit && *limit > 0 ? BytesCell(*limit) : Text("none"),
                                  Maybe(Find(usage, name), BytesCell)};
      if (history_) {
        row.push_back(Maybe(Find(average, name), BytesCell));
        row.push_back(Maybe(highest, BytesCell));
      }
      if (limit && *limit > 0 && highest) {
        row.push_back(RatioCell(*highest / *limit));
        Recommend(AdviseContainerMemory(name, *highest / *limit, *limit, t_));
      } else {
        row.push_back(Missing());
      }
      section.rows.push_back(std::move(row));
    }
  }

  void ContainerCpu() {
    if (!history_) {
      Section("Container CPU", {{"container", "container"}},
              "CPU use is a rate over time: it needs --prometheus.");
      return;
    }
    // Averages the 5 minute rate where there is data, so a container younger than the range is
    // not diluted by the time before it existed.
    const Values average = ByLabel(
        History("avg_over_time(rate(container_cpu_usage_seconds_total[5m])[$R:5m])"), "name");
    const Values peak = ByLabel(
        History("max_over_time(rate(container_cpu_usage_seconds_total[5m])[$R:5m])"), "name");
    auto& section = Section("Container CPU",
                            {{"container", "container"},
                             {"average_cores", "average (cores)"},
                             {"peak_cores", "peak 5m (cores)"}},
                            "No container CPU history.");
    for (const auto& name : Keys({&average, &peak})) {
      section.rows.push_back(
          {Text(name), Maybe(Find(average, name), [](double v) { return Number("%.3f", v); }),
           Maybe(Find(peak, name), [](double v) { return Number("%.3f", v); })});
    }
  }

  void Disk() {
    const Values size = ByLabel(source_.Current("node_filesystem_size_bytes"), "mountpoint");
    const Values avail = ByLabel(source_.Current("node_filesystem_avail_bytes"), "mountpoint");
    Values peak_used, slope, fitted;
    std::vector<ReportColumn> columns{
        {"mountpoint", "mountpoint"}, {"size", "size"}, {"used", "used now"}};
    if (history_) {
      peak_used = ByLabel(History("max_over_time((1 - node_filesystem_avail_bytes / "
                                  "node_filesystem_size_bytes)[$R:1h])"),
                          "mountpoint");
      // days to full: where predict_linear's least-squares fit of the available bytes over the
      // range reaches 0 (its value now and its slope, from the same fit).
      slope = ByLabel(History("deriv(node_filesystem_avail_bytes[$R])"), "mountpoint");
      fitted = ByLabel(History("predict_linear(node_filesystem_avail_bytes[$R], 0)"), "mountpoint");
      columns.push_back({"peak_used", "peak used"});
      columns.push_back({"growth_per_day", "growth per day"});
      columns.push_back({"days_to_full", "days to full"});
    }
    auto& section = Section("Disk", columns, "No filesystem metrics (filesystem collector off?).");
    for (const auto& [mountpoint, bytes] : size) {
      const auto free = Find(avail, mountpoint);
      if (bytes <= 0 || !free) continue;
      const double used = 1 - *free / bytes;
      std::vector<ReportCell> row{Text(mountpoint), BytesCell(bytes), RatioCell(used)};
      Recommend(AdviseDiskUsed(mountpoint, used, t_));
      if (history_) {
        row.push_back(Maybe(Find(peak_used, mountpoint), RatioCell));
        const auto s = Find(slope, mountpoint);
        const auto f = Find(fitted, mountpoint);
        // + 0.0 turns the -0 of a flat disk into 0.
        const double growth = s ? -*s * 86400 + 0.0 : 0;
        row.push_back(s ? ReportCell{Bytes(growth) + "/day", growth} : Missing());
        if (s && f && *s < 0) {
          const double days = std::max(0.0, *f) / -*s / 86400;
          row.push_back(Number("%.1f", days));
          Recommend(AdviseDiskFill(mountpoint, days, request_.range, t_));
        } else {
          row.push_back(Text(s ? "not growing" : "–"));
        }
      }
      section.rows.push_back(std::move(row));
    }
  }

  void DockerDisk() {
    const Values now = ByLabel(source_.Current("medic_docker_disk_usage_bytes"), "type");
    Values change;
    std::vector<ReportColumn> columns{{"type", "type"}, {"now", "now"}};
    if (history_) {
      change = ByLabel(History("delta(medic_docker_disk_usage_bytes[$R])"), "type");
      columns.push_back({"change", "change over " + request_.range});
    }
    auto& section = Section("Docker disk usage", columns,
                            "No Docker disk usage (container collector off, or the engine's "
                            "disk usage not yet measured).");
    for (const auto& [type, bytes] : now) {
      std::vector<ReportCell> row{Text(type), BytesCell(bytes)};
      if (history_) row.push_back(Maybe(Find(change, type), BytesCell));
      section.rows.push_back(std::move(row));
    }
  }

  void RedisMemory() {
    const auto used = source_.Current("redis_memory_used_bytes");
    if (used.empty()) return;
    const auto max = source_.Current("redis_memory_max_bytes");
    auto& section = Section("Redis memory",
                            {{"instance", "redis"},
                             {"used", "used"},
                             {"max", "maxmemory"},
                             {"used_ratio", "of maxmemory"}},
                            "");
    const double used_bytes = used.front().Last();
    const double max_bytes = max.empty() ? 0 : max.front().Last();
    const bool limited = max_bytes > 0;
    section.rows.push_back({Text("redis"), BytesCell(used_bytes),
                            limited ? BytesCell(max_bytes) : Text("none"),
                            limited ? RatioCell(used_bytes / max_bytes) : Missing()});
    if (limited) Recommend(AdviseRedisMemory(used_bytes / max_bytes, t_));
  }

  // --- security ------------------------------------------------------------------------------

  void LogMatches() {
    Values totals, window;
    std::map<std::string, std::vector<std::pair<double, double>>> daily;
    std::string window_text;
    if (history_) {
      totals = SumByLabel(History("sum by (rule) (increase(medic_log_matches_total[$R]))"), "rule");
      // The thresholds count over 7 days, like the HighAuthFailureRate alert.
      window = SumByLabel(source_.History("sum by (rule) (increase(medic_log_matches_total[7d]))"),
                          "rule");
      window_text = "in 7 days";
      for (const auto& series :
           source_.Daily("sum by (rule) (increase(medic_log_matches_total[1d]))")) {
        auto& days = daily[series.Label("rule")];
        days.insert(days.end(), series.points.begin(), series.points.end());
      }
    } else {
      totals = SumByLabel(source_.Current("medic_log_matches_total"), "rule");
      window = totals;
      window_text = "since medic started";
    }
    std::vector<ReportColumn> columns{
        {"rule", "log rule"}, {"matches", history_ ? "matches over " + request_.range : "matches"}};
    if (history_) {
      columns.push_back({"per_day", "per day"});
      columns.push_back({"worst_day", "worst day"});
    }
    auto& section = Section("Log matches", columns, "No log metrics (logs collector off?).");
    for (const auto& [rule, total] : totals) {
      std::vector<ReportCell> row{Text(rule), Number("%.0f", total)};
      double worst = 0;
      if (history_) {
        row.push_back(Number("%.1f", total / (request_.range_seconds / 86400)));
        for (const auto& [_, count] : daily[rule]) worst = std::max(worst, count);
        row.push_back(daily[rule].empty() ? Missing() : Number("%.0f", worst));
      }
      section.rows.push_back(std::move(row));
      if (rule == "error" && history_ && !daily[rule].empty()) {
        // The seed's error threshold is per day (its daily check greps one day of logs).
        Recommend(AdviseLogMatches(rule, worst, "on the worst day of " + request_.range, t_));
      } else {
        Recommend(AdviseLogMatches(rule, Find(window, rule).value_or(0), window_text, t_));
      }
    }
    if (!history_) return;
    auto& per_day = Section("Authentication failures per day",
                            {{"day_ending", "day ending"}, {"auth_failures", "failures"}},
                            "No authentication failures counted.");
    for (const auto& [when, count] : daily["auth_failure"]) {
      per_day.rows.push_back(
          {ReportCell{metrics::FormatUtc(when).substr(0, 16) + "Z", when}, Number("%.0f", count)});
    }
  }

  void Offenders() {
    struct Offender {
      std::string rule, ip;
      double matches;
    };
    std::vector<Offender> offenders;
    for (const auto& s : source_.Current("medic_log_top_offender_matches")) {
      offenders.push_back({s.Label("rule"), s.Label("ip"), s.Last()});
    }
    std::stable_sort(offenders.begin(), offenders.end(),
                     [](const auto& a, const auto& b) { return a.matches > b.matches; });
    if (offenders.size() > 10) offenders.resize(10);
    auto& section =
        Section("Top offenders", {{"rule", "log rule"}, {"ip", "address"}, {"matches", "matches"}},
                "No offenders recorded.");
    for (const auto& o : offenders) {
      section.rows.push_back({Text(o.rule), Text(o.ip), Number("%.0f", o.matches)});
    }
  }

  void Certificates() {
    const Values expiry =
        ByLabel(source_.Current("medic_cert_earliest_expiry_timestamp_seconds"), "target");
    const Values verified = ByLabel(source_.Current("medic_cert_verify_ok"), "target");
    const Values probed = ByLabel(source_.Current("medic_cert_probe_success"), "target");
    auto& section = Section(
        "Certificates", {{"target", "target"}, {"expires", "expires"}, {"days_left", "days left"}},
        "No certificate metrics (cert collector off?).");
    for (const auto& target : Keys({&expiry, &probed})) {
      const auto when = Find(expiry, target);
      if (Find(probed, target).value_or(1) != 1 || !when || *when <= 0) {
        section.rows.push_back({Text(target), Text("probe failed"), Missing()});
        continue;
      }
      const double days = (*when - request_.now) / 86400;
      section.rows.push_back(
          {Text(target), ReportCell{metrics::FormatUtc(*when), *when}, Number("%.1f", days)});
      Recommend(AdviseCertificate(target, days, Find(verified, target).value_or(1) == 1, t_));
    }
  }

  void Webhook() {
    if (!history_) {
      Section("Webhook requests", {{"code", "HTTP code"}},
              "Webhook requests are counted by the running daemon: they need --prometheus.");
      return;
    }
    const Values requests =
        SumByLabel(History("sum by (code) (increase(medic_webhook_requests_total[$R]))"), "code");
    auto& section =
        Section("Webhook requests",
                {{"code", "HTTP code"}, {"requests", "requests over " + request_.range}},
                "No webhook requests in the range.");
    double rejected = 0;
    for (const auto& [code, count] : requests) {
      if (!(count > 0)) continue;
      section.rows.push_back({Text(code), Number("%.0f", count)});
      if (code == "401" || code == "403") rejected += count;
    }
    Recommend(AdviseWebhookRejections(rejected));
  }

  // --- performance ---------------------------------------------------------------------------

  void Probes() {
    Values availability, average, peak;
    std::vector<ReportColumn> columns{{"target", "target"}};
    if (history_) {
      // medic's health probes (collectors.probe): not its tls_connect probes, nor /probe's.
      availability = ByLabel(
          History(R"(avg_over_time(probe_success{module="http_2xx",target!=""}[$R]))"), "target");
      average = ByLabel(
          History(R"(avg_over_time(probe_duration_seconds{module="http_2xx",target!=""}[$R]))"),
          "target");
      peak = ByLabel(
          History(R"(max_over_time(probe_duration_seconds{module="http_2xx",target!=""}[$R]))"),
          "target");
      columns.insert(columns.end(), {{"availability", "availability"},
                                     {"average_seconds", "average latency"},
                                     {"peak_seconds", "peak latency"}});
    } else {
      availability =
          ByLabel(Where(source_.Current("probe_success"), "module", "http_2xx"), "target");
      average =
          ByLabel(Where(source_.Current("probe_duration_seconds"), "module", "http_2xx"), "target");
      columns.insert(columns.end(), {{"up", "up"}, {"latency_seconds", "latency"}});
    }
    auto& section = Section("Health probes", columns, "No probe metrics (probe collector off?).");
    const auto seconds = [](double v) { return Number("%.3f s", v); };
    for (const auto& target : Keys({&availability, &average})) {
      const auto success = Find(availability, target);
      std::vector<ReportCell> row{Text(target)};
      if (history_) {
        row.push_back(Maybe(success, RatioCell));
        row.push_back(Maybe(Find(average, target), seconds));
        row.push_back(Maybe(Find(peak, target), seconds));
      } else {
        row.push_back(success ? Text(*success == 1 ? "yes" : "no") : Missing());
        row.push_back(Maybe(Find(average, target), seconds));
      }
      section.rows.push_back(std::move(row));
      if (success) Recommend(AdviseProbe(target, *success));
    }
  }

  void Collectors() {
    Values success, average, peak;
    std::vector<ReportColumn> columns{{"collector", "collector"}};
    if (history_) {
      success = ByLabel(History("avg_over_time(medic_scrape_collector_success[$R])"), "collector");
      average = ByLabel(History("avg_over_time(medic_scrape_collector_duration_seconds[$R])"),
                        "collector");
      peak = ByLabel(History("max_over_time(medic_scrape_collector_duration_seconds[$R])"),
                     "collector");
      columns.insert(columns.end(), {{"success_ratio", "success"},
                                     {"average_seconds", "average duration"},
                                     {"peak_seconds", "peak duration"}});
    } else {
      success = ByLabel(source_.Current("medic_scrape_collector_success"), "collector");
      average = ByLabel(source_.Current("medic_scrape_collector_duration_seconds"), "collector");
      columns.insert(columns.end(), {{"success_ratio", "success"}, {"seconds", "duration"}});
    }
    auto& section = Section("Collectors (scrape durations)", columns, "No collector metrics.");
    const auto seconds = [](double v) { return Number("%.3f s", v); };
    for (const auto& collector : Keys({&success, &average})) {
      const auto ok = Find(success, collector);
      std::vector<ReportCell> row{Text(collector), Maybe(ok, RatioCell),
                                  Maybe(Find(average, collector), seconds)};
      if (history_) row.push_back(Maybe(Find(peak, collector), seconds));
      section.rows.push_back(std::move(row));
      if (ok) Recommend(AdviseCollector(collector, *ok));
    }
  }

  void Cache() {
    double hits = 0, misses = 0;
    if (history_) {
      hits = SumAll(History("sum(increase(redis_keyspace_hits_total[$R]))"));
      misses = SumAll(History("sum(increase(redis_keyspace_misses_total[$R]))"));
    } else {
      const auto up = source_.Current("redis_up");
      if (up.empty()) {
        Section("Cache", {{"cache", "cache"}}, "No Redis metrics (redis collector off?).");
        return;
      }
      hits = SumAll(source_.Current("redis_keyspace_hits_total"));
      misses = SumAll(source_.Current("redis_keyspace_misses_total"));
    }
    auto& section = Section(
        "Cache",
        {{"cache", "cache"},
         {"lookups", history_ ? "lookups over " + request_.range : "lookups since Redis started"},
         {"hit_ratio", "hit ratio"}},
        "");
    const double lookups = hits + misses;
    section.rows.push_back({Text("redis"), Number("%.0f", lookups),
                            lookups > 0 ? RatioCell(hits / lookups) : Missing()});
    Recommend(AdviseCacheHitRatio(hits, misses, t_));
  }

  void Remediations() {
    if (!history_) {
      Section("Remediations", {{"remediation", "remediation"}},
              "Remediations are counted by the running daemon: they need --prometheus.");
      return;
    }
    std::map<std::string, Values> runs;
    for (const auto& s :
         History("sum by (remediation, result) (increase(medic_remediations_total[$R]))")) {
      if (std::isfinite(s.Last()) && s.Last() > 0) {
        runs[s.Label("remediation")][s.Label("result")] = s.Last();
      }
    }
    auto& section = Section("Remediations",
                            {{"remediation", "remediation"},
                             {"runs", "runs over " + request_.range},
                             {"succeeded", "succeeded"},
                             {"failed", "failed"},
                             {"other", "skipped / other"}},
                            "No remediation ran in the range.");
    for (const auto& [remediation, results] : runs) {
      double total = 0;
      for (const auto& [_, count] : results) total += count;
      const double succeeded = Find(results, "success").value_or(0);
      const double failed = Find(results, "failed").value_or(0);
      section.rows.push_back({Text(remediation), Number("%.0f", total), Number("%.0f", succeeded),
                              Number("%.0f", failed),
                              Number("%.0f", std::max(0.0, total - succeeded - failed))});
      Recommend(AdviseRemediationFailures(remediation, failed));
    }
  }

  const ReportRequest& request_;
  const ReportSource& source_;
  const ThresholdSettings& t_;
  const bool history_;
  Report report_;
};

}  // namespace

Report BuildReport(const ReportRequest& request, const ReportSource& source,
                   const ThresholdSettings& thresholds) {
  return Builder(request, source, thresholds).Build();
}

}  // namespace medic::commands
