#include "medic/prometheus/text_exposition.h"

#include "medic/valid_utf8.h"

#include "support/test_support.h"

#include <doctest/doctest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

MetricFamily Family(std::string name, MetricType type, std::string help = "Some help.") {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

ClientMetric Sample(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  metric.counter.value = value;
  metric.untyped.value = value;
  return metric;
}

std::string Reference(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

const double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("exposition text: gauges, counters and untyped samples") {
  auto gauge = Family("medic_gauge", MetricType::Gauge);
  gauge.metric.push_back(Sample(1));
  gauge.metric.push_back(Sample(0.25, {{"mountpoint", "/"}, {"device", "/dev/sda1"}}));
  auto counter = Family("medic_total", MetricType::Counter, "");
  counter.metric.push_back(Sample(1795946833.961705, {{"job", "a"}}));
  auto untyped = Family("medic_untyped", MetricType::Untyped);
  untyped.metric.push_back(Sample(-3));
  const std::vector families{gauge, counter, untyped};
  const std::string text = medic::SerializeTextExposition(families);
  CHECK(text ==
        "# HELP medic_gauge Some help.\n# TYPE medic_gauge gauge\nmedic_gauge 1\n"
        "medic_gauge{mountpoint=\"/\",device=\"/dev/sda1\"} 0.25\n"
        "# TYPE medic_total counter\nmedic_total{job=\"a\"} 1795946833.961705\n"
        "# HELP medic_untyped Some help.\n# TYPE medic_untyped untyped\nmedic_untyped -3\n");
  CHECK(text == Reference(families));
}

TEST_CASE("exposition text: special values and label escapes match prometheus-cpp") {
  auto gauge = Family("medic_values", MetricType::Gauge, "Help with \"quotes\".");
  for (const double value :
       {0.0, -0.0, 1.0, 0.1, 1e-300, 5e-324, 1e300, 1e16, 1e15, 123456789012345678.0,
        252357181440.0, 0.000119248, std::nan(""), kInf, -kInf, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest()}) {
    gauge.metric.push_back(Sample(value, {{"path", "C:\\dir \"x\"\nnext"}}));
  }
  auto timestamped = Family("medic_timestamped", MetricType::Counter);
  auto metric = Sample(7);
  metric.timestamp_ms = 1795946833961;
  timestamped.metric.push_back(metric);
  metric.timestamp_ms = -5;
  timestamped.metric.push_back(metric);
  const std::vector families{gauge, timestamped};
  CHECK(medic::SerializeTextExposition(families) == Reference(families));
  CHECK(medic::SerializeTextExposition(families).find(
            "medic_values{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} Nan\n") != std::string::npos);
}

TEST_CASE("exposition text: HELP escapes backslash and newline, as the format says") {
  // prometheus-cpp 1.1 prints HELP text raw; a newline in it would end the line early.
  auto family = Family("medic_help", MetricType::Gauge, "C:\\dir\nsecond line");
  family.metric.push_back(Sample(1));
  CHECK(medic::SerializeTextExposition({family}) ==
        "# HELP medic_help C:\\\\dir\\nsecond line\n# TYPE medic_help gauge\nmedic_help 1\n");
}

TEST_CASE("exposition text: outside bytes that are not UTF-8 become U+FFFD; promtool agrees") {
  auto family = Family("medic_outside", MetricType::Gauge, "Help \xff.");
  for (const std::string& value :
       {std::string("\xff\xfe"), std::string("caf\xc3\xa9"), std::string("\xed\xa0\x80"),
        std::string("trunc\xe2\x82"), std::string("\xc0\xaf")}) {
    family.metric.push_back(Sample(1, {{"value", value}}));
  }
  const std::string text = medic::SerializeTextExposition({family});
  CHECK(text.find("caf\xc3\xa9") != std::string::npos);
  CHECK(text.find("\xff") == std::string::npos);
  const auto check = medic::test::PromtoolCheckMetrics(text);
  INFO(check.output);
  CHECK(check.exit_code == 0);
}

TEST_CASE("exposition text: histograms (with and without the +Inf bucket) and summaries") {
  auto histogram = Family("medic_seconds", MetricType::Histogram);
  ClientMetric open;
  open.label = {{"route", "/metrics"}};
  open.histogram.sample_count = 10;
  open.histogram.sample_sum = 1.5;
  open.histogram.bucket = {{3, 0.005}, {9, 0.25}};
  histogram.metric.push_back(open);
  ClientMetric closed;
  closed.histogram.sample_count = std::numeric_limits<std::uint64_t>::max();
  closed.histogram.sample_sum = 2;
  closed.histogram.bucket = {{1, 1}, {4, kInf}};
  histogram.metric.push_back(closed);
  auto summary = Family("medic_summary", MetricType::Summary);
  ClientMetric quantiles;
  quantiles.summary.sample_count = 3;
  quantiles.summary.sample_sum = 0.3;
  quantiles.summary.quantile = {{0.5, 0.1}, {0.99, std::nan("")}};
  summary.metric.push_back(quantiles);
  const std::vector families{histogram, summary};
  const std::string text = medic::SerializeTextExposition(families);
  CHECK(text == Reference(families));
  CHECK(text.find("medic_seconds_bucket{route=\"/metrics\",le=\"+Inf\"} 10\n") !=
        std::string::npos);
  CHECK(text.find("medic_seconds_bucket{le=\"+Inf\"} 4\n") != std::string::npos);
  CHECK(text.find("medic_summary{quantile=\"0.99\"} Nan\n") != std::string::npos);
}

TEST_CASE("exposition text: quantiles and bounds as label text that queries match, like Go's") {
  auto summary = Family("redis_latency_percentiles_usec", MetricType::Summary);
  ClientMetric quantiles;
  quantiles.summary.quantile = {{50, 1.003}, {99.9, 3.007}, {0.1, 1}};
  summary.metric.push_back(quantiles);
  auto histogram = Family("medic_seconds", MetricType::Histogram);
  ClientMetric buckets;
  buckets.histogram.bucket = {{1, 0.3}, {2, 1e6}, {3, kInf}};
  histogram.metric.push_back(buckets);
  const std::string text = medic::SerializeTextExposition({summary, histogram});
  CHECK(text.find("redis_latency_percentiles_usec{quantile=\"99.9\"} 3.007\n") !=
        std::string::npos);
  CHECK(text.find("redis_latency_percentiles_usec{quantile=\"50\"} 1.003\n") != std::string::npos);
  CHECK(text.find("redis_latency_percentiles_usec{quantile=\"0.1\"} 1\n") != std::string::npos);
  CHECK(text.find("medic_seconds_bucket{le=\"0.3\"} 1\n") != std::string::npos);
  CHECK(text.find("medic_seconds_bucket{le=\"1e+06\"} 2\n") != std::string::npos);
}

TEST_CASE("exposition text: random values and labels match prometheus-cpp, bytes made UTF-8") {
  std::mt19937_64 random(20261129);
  std::uniform_int_distribution<int> exponent(-320, 308);
  std::uniform_real_distribution<double> mantissa(-10, 10);
  std::uniform_int_distribution<int> byte(1, 255);
  std::vector<MetricFamily> families;
  for (int f = 0; f < 20; ++f) {
    auto family = Family("medic_random_" + std::to_string(f),
                         f % 2 == 0 ? MetricType::Gauge : MetricType::Counter);
    for (int m = 0; m < 200; ++m) {
      std::string value;
      for (int i = 0; i < m % 12; ++i) value += static_cast<char>(byte(random));
      const double number = m % 3 == 0 ? std::ldexp(mantissa(random), exponent(random) / 4)
                                       : mantissa(random) * std::pow(10.0, exponent(random));
      family.metric.push_back(Sample(number, {{"v", value}}));
    }
    families.push_back(std::move(family));
  }
  // prometheus-cpp prints label bytes as they are, so its output for the same values made
  // valid UTF-8 is what medic's must be.
  auto repaired = families;
  for (auto& family : repaired) {
    for (auto& metric : family.metric) {
      for (auto& label : metric.label) label.value = medic::ValidUtf8(label.value);
    }
  }
  CHECK(medic::SerializeTextExposition(families) == Reference(repaired));
}

TEST_CASE("exposition text: nothing to render is an empty body") {
  CHECK(medic::SerializeTextExposition({}).empty());
  CHECK(medic::SerializeTextExposition({Family("medic_empty", MetricType::Gauge)}) ==
        Reference({Family("medic_empty", MetricType::Gauge)}));
}
