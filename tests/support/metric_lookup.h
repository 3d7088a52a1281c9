#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace medic::test {

// The value of the sample `name` whose labels include every pair of `labels` (a collector's
// output, before serialisation); nullopt when there is none.
std::optional<double> FindMetric(const std::vector<prometheus::MetricFamily>& families,
                                 const std::string& name,
                                 const std::map<std::string, std::string>& labels = {});

// Every label set of the samples of `name`.
std::vector<std::map<std::string, std::string>> MetricLabels(
    const std::vector<prometheus::MetricFamily>& families, const std::string& name);

}  // namespace medic::test
