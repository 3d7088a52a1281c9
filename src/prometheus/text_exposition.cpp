#include "medic/prometheus/text_exposition.h"

#include "medic/valid_utf8.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

namespace medic {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// prometheus-cpp prints doubles with ostream precision max_digits10 - 1 in the default float
// format, which is printf's %.16g.
constexpr int kDoublePrecision = std::numeric_limits<double>::max_digits10 - 1;

void AppendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                      std::chars_format::general, kDoublePrecision);
    out.append(buffer.data(), result.ptr);
  }
}

// A bucket bound or quantile as the label text queries match ("99.9", not %.16g's
// "99.90000000000001"): the shortest text that reads back as the same double, as Go's
// strconv.FormatFloat(v, 'g', -1, 64) writes it for client_golang's exporters.
void AppendLabelDouble(std::string& out, double value) {
  if (!std::isfinite(value)) {
    AppendDouble(out, value);
    return;
  }
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::general);
  out.append(buffer.data(), result.ptr);
}

template <typename Integer>
void AppendInteger(std::string& out, Integer value) {
  std::array<char, 24> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  out.append(buffer.data(), result.ptr);
}

// Label values and help text can hold outside text (log captures, container names, Redis
// INFO): one invalid UTF-8 byte would make Prometheus reject the whole scrape.
void AppendEscaped(std::string& out, std::string_view raw) {
  std::string repaired;
  const std::string_view value = ValidUtf8View(raw, repaired);
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// HELP text escapes only backslash and newline (a quote stays as it is).
void AppendHelpText(std::string& out, std::string_view raw) {
  std::string repaired;
  for (const char c : ValidUtf8View(raw, repaired)) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// The extra label of a histogram bucket ("le") or summary quantile ("quantile").
struct ExtraLabel {
  std::string_view name;
  double value = 0;
  bool infinite_text = false;  // the closing bucket's le="+Inf", written as text
};

void AppendHead(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                std::string_view suffix = {}, const ExtraLabel* extra = nullptr) {
  out += family.name;
  out += suffix;
  if (!metric.label.empty() || extra != nullptr) {
    out += '{';
    bool first = true;
    for (const auto& label : metric.label) {
      if (!first) out += ',';
      first = false;
      out += label.name;
      out += "=\"";
      AppendEscaped(out, label.value);
      out += '"';
    }
    if (extra != nullptr) {
      if (!first) out += ',';
      out += extra->name;
      out += "=\"";
      if (extra->infinite_text) {
        out += "+Inf";
      } else {
        AppendLabelDouble(out, extra->value);
      }
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void AppendTail(std::string& out, const ClientMetric& metric) {
  if (metric.timestamp_ms != 0) {
    out += ' ';
    AppendInteger(out, metric.timestamp_ms);
  }
  out += '\n';
}

void AppendSample(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                  double value) {
  AppendHead(out, family, metric);
  AppendDouble(out, value);
  AppendTail(out, metric);
}

// The _count and _sum lines that open a summary or a histogram.
void AppendCountAndSum(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                       std::uint64_t count, double sum) {
  AppendHead(out, family, metric, "_count");
  AppendInteger(out, count);
  AppendTail(out, metric);
  AppendHead(out, family, metric, "_sum");
  AppendDouble(out, sum);
  AppendTail(out, metric);
}

void AppendSummary(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  const auto& summary = metric.summary;
  AppendCountAndSum(out, family, metric, summary.sample_count, summary.sample_sum);
  for (const auto& quantile : summary.quantile) {
    const ExtraLabel extra{"quantile", quantile.quantile};
    AppendHead(out, family, metric, {}, &extra);
    AppendDouble(out, quantile.value);
    AppendTail(out, metric);
  }
}

void AppendHistogram(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
  const auto& histogram = metric.histogram;
  AppendCountAndSum(out, family, metric, histogram.sample_count, histogram.sample_sum);
  double last = -std::numeric_limits<double>::infinity();
  for (const auto& bucket : histogram.bucket) {
    const ExtraLabel extra{"le", bucket.upper_bound};
    AppendHead(out, family, metric, "_bucket", &extra);
    last = bucket.upper_bound;
    AppendInteger(out, bucket.cumulative_count);
    AppendTail(out, metric);
  }
  if (last != std::numeric_limits<double>::infinity()) {
    const ExtraLabel extra{"le", 0, true};
    AppendHead(out, family, metric, "_bucket", &extra);
    AppendInteger(out, histogram.sample_count);
    AppendTail(out, metric);
  }
}

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Histogram:
      return "histogram";
    case MetricType::Untyped:
      break;
  }
  return "untyped";
}

void AppendFamily(std::string& out, const MetricFamily& family) {
  if (!family.help.empty()) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    AppendHelpText(out, family.help);
    out += '\n';
  }
  out += "# TYPE ";
  out += family.name;
  out += ' ';
  out += TypeName(family.type);
  out += '\n';
  for (const auto& metric : family.metric) {
    switch (family.type) {
      case MetricType::Counter:
        AppendSample(out, family, metric, metric.counter.value);
        break;
      case MetricType::Gauge:
        AppendSample(out, family, metric, metric.gauge.value);
        break;
      case MetricType::Untyped:
        AppendSample(out, family, metric, metric.untyped.value);
        break;
      case MetricType::Summary:
        AppendSummary(out, family, metric);
        break;
      case MetricType::Histogram:
        AppendHistogram(out, family, metric);
        break;
    }
  }
}

// A generous guess at a family's rendered size, so the output grows once or not at all.
std::size_t EstimatedSize(const MetricFamily& family) {
  std::size_t size = family.name.size() * 2 + family.help.size() + 32;
  for (const auto& metric : family.metric) {
    std::size_t line = family.name.size() + 40;
    for (const auto& label : metric.label) line += label.name.size() + label.value.size() + 4;
    const std::size_t lines = 2 + metric.histogram.bucket.size() + metric.summary.quantile.size();
    size += family.type == MetricType::Histogram || family.type == MetricType::Summary
                ? line * (lines + 1)
                : line;
  }
  return size;
}

}  // namespace

std::string SerializeTextExposition(const std::vector<MetricFamily>& families) {
  std::size_t estimate = 0;
  for (const auto& family : families) estimate += EstimatedSize(family);
  std::string out;
  out.reserve(estimate);
  for (const auto& family : families) AppendFamily(out, family);
  return out;
}

}  // namespace medic
