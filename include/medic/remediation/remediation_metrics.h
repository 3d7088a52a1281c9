#pragma once

#include "medic/collector.h"
#include "medic/config.h"
#include "medic/remediation/journal.h"

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace medic::remediation {

// The webhook's and the remediation engine's own metrics. Every label combination known from
// the config (response codes, remediations x results, targets, alertnames matched exactly)
// is exported at 0 from start-up so rates and alerts work from the first scrape.
class RemediationMetrics : public Collector {
 public:
  static const std::vector<std::string>& Results();
  static const std::vector<int>& ResponseCodes();

  explicit RemediationMetrics(const Config& config);

  std::string_view Name() const override { return "remediation"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  void CountRequest(int code);
  void CountAlert(const std::string& alertname, const std::string& status);
  void CountRemediation(const std::string& remediation, const std::string& result);
  void ObserveDuration(const std::string& remediation, double seconds);
  void SetQueueDepth(std::size_t depth);
  void SetLastRun(const std::string& remediation, const std::string& target, double timestamp);
  void SetCircuitOpen(const std::string& remediation, const std::string& target, bool open);
  // medic_remediation_unhealed: the latest incident's last attempt failed, gave up or it waits.
  void SetUnhealed(const std::string& remediation, const std::string& target, bool unhealed);
  void CountNotice(const std::string& kind, bool delivered);
  void CountJournalWriteError();
  // One journal commit (one fsync) that made `writes` writes durable.
  void CountJournalCommit(std::size_t writes);
  void CountTruncatedAlerts(std::int64_t count);
  // Alerts cut to journal.max_alert_bytes on intake.
  void CountCappedAlerts(std::size_t count);
  // Alerts answered but not journaled (fleet:): `reason` is "other_host" or "no_host_label".
  void CountIgnoredAlerts(const std::string& reason, std::size_t count);
  double IgnoredAlertCount(const std::string& reason);
  // Where the journal's size is read from at each scrape (cleared before the journal goes).
  void WatchJournal(std::function<JournalUsage()> usage);

  double RemediationCount(const std::string& remediation, const std::string& result);
  double RequestCount(int code);

 private:
  struct Histogram {
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  std::mutex mutex_;
  std::map<int, double> requests_;
  std::map<std::pair<std::string, std::string>, double> alerts_;
  std::map<std::pair<std::string, std::string>, double> remediations_;
  std::map<std::string, Histogram> durations_;
  double queue_depth_ = 0;
  std::map<std::pair<std::string, std::string>, double> last_run_;
  std::map<std::pair<std::string, std::string>, double> circuit_open_;  // (remediation, target)
  std::map<std::pair<std::string, std::string>, double> unhealed_;      // (remediation, target)
  std::map<std::pair<std::string, std::string>, double> notices_;       // (kind, outcome)
  double journal_write_errors_ = 0;
  double journal_commits_ = 0;
  double journal_writes_ = 0;
  double truncated_alerts_ = 0;
  double capped_alerts_ = 0;
  std::map<std::string, double> ignored_alerts_;  // by reason, both at 0 from start-up
  std::function<JournalUsage()> journal_usage_;   // guarded by mutex_
};

}  // namespace medic::remediation
