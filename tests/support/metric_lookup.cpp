#include "support/metric_lookup.h"

namespace medic::test {
namespace {

double Value(const prometheus::MetricFamily& family, const prometheus::ClientMetric& metric) {
  switch (family.type) {
    case prometheus::MetricType::Counter:
      return metric.counter.value;
    case prometheus::MetricType::Gauge:
      return metric.gauge.value;
    default:
      return metric.untyped.value;
  }
}

std::map<std::string, std::string> LabelMap(const prometheus::ClientMetric& metric) {
  std::map<std::string, std::string> labels;
  for (const auto& label : metric.label) labels[label.name] = label.value;
  return labels;
}

}  // namespace

std::optional<double> FindMetric(const std::vector<prometheus::MetricFamily>& families,
                                 const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      const auto actual = LabelMap(metric);
      bool match = true;
      for (const auto& [key, value] : labels) {
        const auto found = actual.find(key);
        if (found == actual.end() || found->second != value) match = false;
      }
      if (match) return Value(family, metric);
    }
  }
  return std::nullopt;
}

std::vector<std::map<std::string, std::string>> MetricLabels(
    const std::vector<prometheus::MetricFamily>& families, const std::string& name) {
  std::vector<std::map<std::string, std::string>> result;
  for (const auto& family : families) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) result.push_back(LabelMap(metric));
  }
  return result;
}

}  // namespace medic::test
