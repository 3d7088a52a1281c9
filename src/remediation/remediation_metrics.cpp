#include "medic/remediation/remediation_metrics.h"

#include "medic/metric_family_builder.h"

#include <limits>

namespace medic::remediation {

namespace {

const std::vector<double>& DurationBuckets() {
  static const std::vector<double> buckets{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
  return buckets;
}

}  // namespace

const std::vector<std::string>& RemediationMetrics::Results() {
  static const std::vector<std::string> results{
      "success",         "failed",  "gave_up",   "skipped_cooldown", "skipped_duplicate",
      "skipped_circuit", "dry_run", "cancelled", "refused"};
  return results;
}

const std::vector<int>& RemediationMetrics::ResponseCodes() {
  static const std::vector<int> codes{200, 400, 401, 413, 415, 503};
  return codes;
}

RemediationMetrics::RemediationMetrics(const Config& config) {
  for (int code : ResponseCodes()) requests_[code] = 0;
  // Exported with or without fleet:, so a rule on them works before the first foreign alert
  // and across a reload that adds the section.
  ignored_alerts_["other_host"] = 0;
  ignored_alerts_["no_host_label"] = 0;
  for (const auto& remediation : config.remediations) {
    for (const auto& result : Results()) remediations_[{remediation.name, result}] = 0;
    durations_[remediation.name].counts.assign(DurationBuckets().size() + 1, 0);
    for (const auto& matcher : remediation.match) {
      if (matcher.label == "alertname" && matcher.kind == LabelMatcher::Kind::kEqual) {
        alerts_[{matcher.value, "firing"}] = 0;
        alerts_[{matcher.value, "resolved"}] = 0;
      }
    }
  }
  // Budgets are per (remediation, target): a fixed target gets its series at 0 from start-up;
  // label-named targets appear once a remediation ran on them.
  for (const auto& remediation : config.remediations) {
    if (!remediation.target.empty()) {
      circuit_open_[{remediation.name, remediation.target}] = 0;
      unhealed_[{remediation.name, remediation.target}] = 0;
    }
  }
  for (const char* kind :
       {"report", "failed", "engine_unreachable", "engine_gave_up", "gave_up", "skipped_cooldown",
        "skipped_circuit", "skipped_duplicate", "circuit_open"}) {
    for (const char* outcome : {"delivered", "failed"}) notices_[{kind, outcome}] = 0;
  }
}

void RemediationMetrics::CountNotice(const std::string& kind, bool delivered) {
  std::lock_guard lock(mutex_);
  notices_[{kind, delivered ? "delivered" : "failed"}] += 1;
}

void RemediationMetrics::CountRequest(int code) {
  std::lock_guard lock(mutex_);
  requests_[code] += 1;
}

void RemediationMetrics::CountAlert(const std::string& alertname, const std::string& status) {
  std::lock_guard lock(mutex_);
  // Alertnames come from the network: bound the series a hostile sender can create.
  auto key = std::make_pair(alertname, status);
  if (alerts_.count(key) == 0 && alerts_.size() >= 1000) key.first = "_other";
  alerts_[key] += 1;
}

void RemediationMetrics::CountRemediation(const std::string& remediation,
                                          const std::string& result) {
  std::lock_guard lock(mutex_);
  remediations_[{remediation, result}] += 1;
}

void RemediationMetrics::ObserveDuration(const std::string& remediation, double seconds) {
  std::lock_guard lock(mutex_);
  Histogram& histogram = durations_[remediation];
  if (histogram.counts.empty()) histogram.counts.assign(DurationBuckets().size() + 1, 0);
  std::size_t bucket = 0;
  while (bucket < DurationBuckets().size() && seconds > DurationBuckets()[bucket]) ++bucket;
  histogram.counts[bucket] += 1;
  histogram.count += 1;
  histogram.sum += seconds;
}

void RemediationMetrics::SetQueueDepth(std::size_t depth) {
  std::lock_guard lock(mutex_);
  queue_depth_ = static_cast<double>(depth);
}

void RemediationMetrics::SetLastRun(const std::string& remediation, const std::string& target,
                                    double timestamp) {
  std::lock_guard lock(mutex_);
  last_run_[{remediation, target}] = timestamp;
}

namespace {

// A 0/1 series per (remediation, target). Targets can come from alert labels (allowlisted):
// still bound the series.
void SetPairFlag(std::map<std::pair<std::string, std::string>, double>& series,
                 const std::string& remediation, const std::string& target, bool value) {
  auto key = std::make_pair(remediation, target);
  if (series.count(key) == 0 && series.size() >= 1000) return;
  series[key] = value ? 1 : 0;
}

}  // namespace

void RemediationMetrics::SetCircuitOpen(const std::string& remediation, const std::string& target,
                                        bool open) {
  std::lock_guard lock(mutex_);
  SetPairFlag(circuit_open_, remediation, target, open);
}

void RemediationMetrics::SetUnhealed(const std::string& remediation, const std::string& target,
                                     bool unhealed) {
  std::lock_guard lock(mutex_);
  SetPairFlag(unhealed_, remediation, target, unhealed);
}

void RemediationMetrics::CountJournalWriteError() {
  std::lock_guard lock(mutex_);
  journal_write_errors_ += 1;
}

void RemediationMetrics::CountJournalCommit(std::size_t writes) {
  std::lock_guard lock(mutex_);
  journal_commits_ += 1;
  journal_writes_ += static_cast<double>(writes);
}

void RemediationMetrics::CountCappedAlerts(std::size_t count) {
  std::lock_guard lock(mutex_);
  capped_alerts_ += static_cast<double>(count);
}

void RemediationMetrics::CountIgnoredAlerts(const std::string& reason, std::size_t count) {
  std::lock_guard lock(mutex_);
  ignored_alerts_[reason] += static_cast<double>(count);
}

double RemediationMetrics::IgnoredAlertCount(const std::string& reason) {
  std::lock_guard lock(mutex_);
  const auto found = ignored_alerts_.find(reason);
  return found == ignored_alerts_.end() ? 0 : found->second;
}

void RemediationMetrics::WatchJournal(std::function<JournalUsage()> usage) {
  std::lock_guard lock(mutex_);
  journal_usage_ = std::move(usage);
}

void RemediationMetrics::CountTruncatedAlerts(std::int64_t count) {
  std::lock_guard lock(mutex_);
  truncated_alerts_ += static_cast<double>(count);
}

double RemediationMetrics::RemediationCount(const std::string& remediation,
                                            const std::string& result) {
  std::lock_guard lock(mutex_);
  auto it = remediations_.find({remediation, result});
  return it == remediations_.end() ? 0 : it->second;
}

double RemediationMetrics::RequestCount(int code) {
  std::lock_guard lock(mutex_);
  auto it = requests_.find(code);
  return it == requests_.end() ? 0 : it->second;
}

std::vector<prometheus::MetricFamily> RemediationMetrics::Collect() {
  std::lock_guard lock(mutex_);
  std::vector<prometheus::MetricFamily> families;
  auto requests = MetricFamilyBuilder::Counter("medic_webhook_requests_total",
                                               "Webhook requests by HTTP response code.");
  for (const auto& [code, value] : requests_) requests.Add(value, {{"code", std::to_string(code)}});
  std::move(requests).MoveInto(families);

  auto alerts = MetricFamilyBuilder::Counter("medic_alerts_received_total",
                                             "Alerts received by alertname and status.");
  for (const auto& [key, value] : alerts_) {
    alerts.Add(value, {{"alertname", key.first}, {"status", key.second}});
  }
  std::move(alerts).MoveInto(families);

  auto ignored = MetricFamilyBuilder::Counter(
      "medic_alerts_ignored_total",
      "Alerts answered 200 but not journaled (fleet:): other_host names another host, "
      "no_host_label carries no fleet.host_label and without_host_label is ignore.");
  for (const auto& [reason, value] : ignored_alerts_) ignored.Add(value, {{"reason", reason}});
  std::move(ignored).MoveInto(families);

  auto remediations = MetricFamilyBuilder::Counter("medic_remediations_total",
                                                   "Remediation jobs by remediation and result.");
  for (const auto& [key, value] : remediations_) {
    remediations.Add(value, {{"remediation", key.first}, {"result", key.second}});
  }
  std::move(remediations).MoveInto(families);

  prometheus::MetricFamily durations;
  durations.name = "medic_remediation_duration_seconds";
  durations.help = "Wall time of executed remediation jobs.";
  durations.type = prometheus::MetricType::Histogram;
  for (const auto& [name, histogram] : durations_) {
    prometheus::ClientMetric metric;
    metric.label = {{"remediation", name}};
    metric.histogram.sample_count = histogram.count;
    metric.histogram.sample_sum = histogram.sum;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= DurationBuckets().size(); ++i) {
      cumulative += histogram.counts[i];
      prometheus::ClientMetric::Bucket bucket;
      bucket.cumulative_count = cumulative;
      bucket.upper_bound = i < DurationBuckets().size() ? DurationBuckets()[i]
                                                        : std::numeric_limits<double>::infinity();
      metric.histogram.bucket.push_back(bucket);
    }
    durations.metric.push_back(std::move(metric));
  }
  if (!durations.metric.empty()) families.push_back(std::move(durations));

  auto depth = MetricFamilyBuilder::Gauge("medic_remediation_queue_depth",
                                          "Remediation jobs waiting to run.");
  depth.Add(queue_depth_);
  std::move(depth).MoveInto(families);

  auto last_run = MetricFamilyBuilder::Gauge(
      "medic_remediation_last_run_timestamp_seconds",
      "When a remediation last finished running on a target (unix time).");
  for (const auto& [key, value] : last_run_) {
    last_run.Add(value, {{"remediation", key.first}, {"target", key.second}});
  }
  std::move(last_run).MoveInto(families);

  auto circuit = MetricFamilyBuilder::Gauge(
      "medic_remediation_circuit_open",
      "1 while a remediation hit max_per_hour on a target and medic stopped running it there "
      "(until circuit_reset_after, or POST /api/v1/circuits/reset?target=).");
  for (const auto& [key, value] : circuit_open_) {
    circuit.Add(value, {{"remediation", key.first}, {"target", key.second}});
  }
  std::move(circuit).MoveInto(families);

  auto unhealed = MetricFamilyBuilder::Gauge(
      "medic_remediation_unhealed",
      "1 while the latest incident of a remediation on a target is not healed: its last attempt "
      "failed, it gave up, or it waits (for an unreachable Docker engine, a cooldown, an open "
      "circuit); 0 once a run succeeded or its alert resolved.");
  for (const auto& [key, value] : unhealed_) {
    unhealed.Add(value, {{"remediation", key.first}, {"target", key.second}});
  }
  std::move(unhealed).MoveInto(families);

  auto notices = MetricFamilyBuilder::Counter(
      "medic_remediation_notices_total",
      "Messages medic sent a human, by kind (report: a remediation's notify step; the others: "
      "notices about waits, skips, failures and give-ups) and whether the notifier took them.");
  for (const auto& [key, value] : notices_) {
    notices.Add(value, {{"kind", key.first}, {"outcome", key.second}});
  }
  std::move(notices).MoveInto(families);

  auto write_errors = MetricFamilyBuilder::Counter("medic_journal_write_errors_total",
                                                   "Failed writes to the remediation journal.");
  write_errors.Add(journal_write_errors_);
  std::move(write_errors).MoveInto(families);
  auto commits = MetricFamilyBuilder::Counter(
      "medic_journal_commits_total",
      "Journal transactions committed; each costs one fsync of the write-ahead log.");
  commits.Add(journal_commits_);
  std::move(commits).MoveInto(families);
  auto writes = MetricFamilyBuilder::Counter(
      "medic_journal_writes_total",
      "Writes (webhook notifications, job updates) made durable by those commits; "
      "writes / commits is the group commit's batch size.");
  writes.Add(journal_writes_);
  std::move(writes).MoveInto(families);
  auto truncated = MetricFamilyBuilder::Counter(
      "medic_webhook_truncated_alerts_total",
      "Alerts Alertmanager left out of notifications (truncatedAlerts).");
  truncated.Add(truncated_alerts_);
  std::move(truncated).MoveInto(families);
  auto capped = MetricFamilyBuilder::Counter(
      "medic_journal_alerts_truncated_total",
      "Alerts whose labels, annotations or URL were cut to journal.max_alert_bytes on intake "
      "(the cut values end in a visible marker).");
  capped.Add(capped_alerts_);
  std::move(capped).MoveInto(families);
  if (journal_usage_) {
    const JournalUsage usage = journal_usage_();
    MetricFamilyBuilder::Gauge("medic_journal_used_bytes",
                               "Bytes of the journal's pages in use (as of its last intake).")
        .Add(static_cast<double>(usage.used_bytes))
        .MoveInto(families);
    MetricFamilyBuilder::Gauge("medic_journal_max_bytes", "journal.max_bytes.")
        .Add(static_cast<double>(usage.max_bytes))
        .MoveInto(families);
    MetricFamilyBuilder::Gauge(
        "medic_journal_full",
        "1 while the journal is at journal.max_bytes with nothing finished left to shed: "
        "webhooks are answered 503 (Alertmanager retries) until jobs finish.")
        .Add(usage.full ? 1 : 0)
        .MoveInto(families);
    MetricFamilyBuilder::Counter(
        "medic_journal_evicted_rows_total",
        "Rows of finished history shed, oldest first, to keep the journal under max_bytes.")
        .Add(static_cast<double>(usage.evicted_rows))
        .MoveInto(families);
  }
  return families;
}

}  // namespace medic::remediation
