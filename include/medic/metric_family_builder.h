#pragma once

#include <prometheus/metric_family.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace medic {

using LabelPairs = std::vector<prometheus::ClientMetric::Label>;

// Builds one prometheus::MetricFamily of gauges or counters without the boilerplate.
class MetricFamilyBuilder {
 public:
  static MetricFamilyBuilder Gauge(std::string name, std::string help);
  static MetricFamilyBuilder Counter(std::string name, std::string help);
  static MetricFamilyBuilder Untyped(std::string name, std::string help);

  MetricFamilyBuilder& Add(double value, LabelPairs labels = {});
  MetricFamilyBuilder& Add(double value,
                           std::initializer_list<std::pair<std::string, std::string>> labels);

  bool Empty() const { return family_.metric.empty(); }
  prometheus::MetricFamily Build();  // moves the family out
  // Appends to `out` only when at least one sample was added.
  void MoveInto(std::vector<prometheus::MetricFamily>& out);

 private:
  MetricFamilyBuilder(std::string name, std::string help, prometheus::MetricType type);
  prometheus::MetricFamily family_;
};

// Appends `from` to `into`, a family whose name is already there joining it (its samples added,
// the first HELP and TYPE kept): the exposition format allows each name once, and several
// sources (probe targets, the probe and cert collectors) publish the same peer names.
void MergeFamilies(std::vector<prometheus::MetricFamily>& into,
                   std::vector<prometheus::MetricFamily>&& from);

}  // namespace medic
