#pragma once

#include "medic/prometheus/query_client.h"

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace medic::commands {

// Where `medic report` reads its numbers: a Prometheus with history, or one collector run.
// Report builders ask for exported metric names and PromQL, so both sources answer the same
// questions and the report code exists once.
class ReportSource {
 public:
  virtual ~ReportSource() = default;
  // The newest value of every series of the exported metric `name`.
  virtual std::vector<prom::Series> Current(const std::string& name) const = 0;
  // True when History() and Daily() can answer; a snapshot has no history.
  virtual bool HasHistory() const = 0;
  // An instant PromQL query at the report's end; the caller inserts the range itself.
  virtual std::vector<prom::Series> History(const std::string& promql) const = 0;
  // A range PromQL query over the report range with one point per day.
  virtual std::vector<prom::Series> Daily(const std::string& promql) const = 0;
};

class PrometheusReportSource : public ReportSource {
 public:
  PrometheusReportSource(const prom::QueryClient& client, double now, double range_seconds);
  std::vector<prom::Series> Current(const std::string& name) const override;
  bool HasHistory() const override { return true; }
  std::vector<prom::Series> History(const std::string& promql) const override;
  std::vector<prom::Series> Daily(const std::string& promql) const override;

 private:
  const prom::QueryClient& client_;
  double now_;
  double range_seconds_;
};

// The families of one collector run (as `medic check` collects them).
class SnapshotReportSource : public ReportSource {
 public:
  explicit SnapshotReportSource(std::vector<prometheus::MetricFamily> families);
  std::vector<prom::Series> Current(const std::string& name) const override;
  bool HasHistory() const override { return false; }
  std::vector<prom::Series> History(const std::string& promql) const override;
  std::vector<prom::Series> Daily(const std::string& promql) const override;

 private:
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace medic::commands
