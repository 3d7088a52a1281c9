#include "medic/metric_sample.h"

#include <ctime>

namespace medic::metrics {

std::string Label(const prometheus::ClientMetric& metric, std::string_view name) {
  for (const auto& label : metric.label) {
    if (label.name == name) return label.value;
  }
  return "";
}

double Value(const prometheus::ClientMetric& metric) {
  if (metric.counter.value != 0) return metric.counter.value;
  if (metric.gauge.value != 0) return metric.gauge.value;
  return metric.untyped.value;
}

std::string FormatUtc(double unix_seconds) {
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace medic::metrics
