#include "medic/commands/report_source.h"

#include "medic/metric_sample.h"

#include <stdexcept>

namespace medic::commands {

namespace {
constexpr double kDay = 86400;
}  // namespace

PrometheusReportSource::PrometheusReportSource(const prom::QueryClient& client, double now,
                                               double range_seconds)
    : client_(client), now_(now), range_seconds_(range_seconds) {}

std::vector<prom::Series> PrometheusReportSource::Current(const std::string& name) const {
  return client_.Query(name, now_);
}

std::vector<prom::Series> PrometheusReportSource::History(const std::string& promql) const {
  return client_.Query(promql, now_);
}

std::vector<prom::Series> PrometheusReportSource::Daily(const std::string& promql) const {
  // Each point covers the day that ends at it, so the first point ends one day into the range.
  return client_.QueryRange(promql, now_ - range_seconds_ + kDay, now_, kDay);
}

SnapshotReportSource::SnapshotReportSource(std::vector<prometheus::MetricFamily> families)
    : families_(std::move(families)) {}

std::vector<prom::Series> SnapshotReportSource::Current(const std::string& name) const {
  std::vector<prom::Series> out;
  for (const auto& family : families_) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      prom::Series series;
      for (const auto& label : metric.label) series.labels[label.name] = label.value;
      series.points.emplace_back(0, metrics::Value(metric));
      out.push_back(std::move(series));
    }
  }
  return out;
}

std::vector<prom::Series> SnapshotReportSource::History(const std::string&) const {
  throw std::logic_error("a snapshot has no history");
}

std::vector<prom::Series> SnapshotReportSource::Daily(const std::string&) const {
  throw std::logic_error("a snapshot has no history");
}

}  // namespace medic::commands
