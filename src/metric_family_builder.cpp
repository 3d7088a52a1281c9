#include "medic/metric_family_builder.h"

#include <algorithm>

namespace medic {

MetricFamilyBuilder::MetricFamilyBuilder(std::string name, std::string help,
                                         prometheus::MetricType type) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = type;
}

MetricFamilyBuilder MetricFamilyBuilder::Gauge(std::string name, std::string help) {
  return {std::move(name), std::move(help), prometheus::MetricType::Gauge};
}

MetricFamilyBuilder MetricFamilyBuilder::Counter(std::string name, std::string help) {
  return {std::move(name), std::move(help), prometheus::MetricType::Counter};
}

MetricFamilyBuilder MetricFamilyBuilder::Untyped(std::string name, std::string help) {
  return {std::move(name), std::move(help), prometheus::MetricType::Untyped};
}

MetricFamilyBuilder& MetricFamilyBuilder::Add(double value, LabelPairs labels) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  switch (family_.type) {
    case prometheus::MetricType::Counter:
      metric.counter.value = value;
      break;
    case prometheus::MetricType::Gauge:
      metric.gauge.value = value;
      break;
    default:
      metric.untyped.value = value;
      break;
  }
  family_.metric.push_back(std::move(metric));
  return *this;
}

MetricFamilyBuilder& MetricFamilyBuilder::Add(
    double value, std::initializer_list<std::pair<std::string, std::string>> labels) {
  LabelPairs pairs;
  pairs.reserve(labels.size());
  for (const auto& [name, label_value] : labels) pairs.push_back({name, label_value});
  return Add(value, std::move(pairs));
}

prometheus::MetricFamily MetricFamilyBuilder::Build() { return std::move(family_); }

void MetricFamilyBuilder::MoveInto(std::vector<prometheus::MetricFamily>& out) {
  if (!family_.metric.empty()) out.push_back(std::move(family_));
}

void MergeFamilies(std::vector<prometheus::MetricFamily>& into,
                   std::vector<prometheus::MetricFamily>&& from) {
  for (prometheus::MetricFamily& family : from) {
    const auto same = std::find_if(into.begin(), into.end(), [&](const auto& existing) {
      return existing.name == family.name;
    });
    if (same == into.end()) {
      into.push_back(std::move(family));
      continue;
    }
    for (prometheus::ClientMetric& metric : family.metric) {
      same->metric.push_back(std::move(metric));
    }
  }
}

}  // namespace medic
