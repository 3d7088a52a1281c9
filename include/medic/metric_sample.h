#pragma once

#include <prometheus/client_metric.h>

#include <string>
#include <string_view>

namespace medic::metrics {

// The value of label `name` on a sample, or "" when it has none.
std::string Label(const prometheus::ClientMetric& metric, std::string_view name);

// A sample's value whichever of gauge, counter or untyped the collector filled.
double Value(const prometheus::ClientMetric& metric);

// "YYYY-MM-DD HH:MM:SSZ" for a unix timestamp.
std::string FormatUtc(double unix_seconds);

}  // namespace medic::metrics
