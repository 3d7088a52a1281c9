#pragma once

#include "medic/health/health.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medic::commands {

// What `medic report` prints: the seed's weekly (security, performance) and monthly (capacity)
// reports as data, rendered to Markdown or JSON by report_render.h.

enum class ReportKind { kCapacity, kSecurity, kPerformance };

std::optional<ReportKind> ParseReportKind(std::string_view name);
std::string_view ReportKindName(ReportKind kind);

// --range: the two windows the seed's reports use. Seconds, or nullopt for anything else.
std::optional<double> ParseReportRange(std::string_view range);

struct ReportCell {
  std::string text;             // what Markdown shows: "92.0% of 512.0 MiB"
  std::optional<double> value;  // what JSON carries, when the cell is a number
};

struct ReportColumn {
  std::string key;    // JSON name: "peak_ratio"
  std::string title;  // Markdown header: "peak of limit"
};

struct ReportSection {
  std::string title;
  std::vector<ReportColumn> columns;          // the first column names the subject
  std::vector<std::vector<ReportCell>> rows;  // one cell per column
  std::string empty_text;                     // shown when there are no rows
};

struct Recommendation {
  health::State severity = health::State::kWarn;
  std::string subject;    // "container review-bot"
  std::string finding;    // "peak memory 92.0% of the 512.0 MiB limit"
  std::string action;     // "raise the limit or find what grows"
  std::string threshold;  // the rule that fired: "memory above 80% of limit"
};

struct Report {
  ReportKind kind = ReportKind::kCapacity;
  std::string range;        // "7d"
  double generated_at = 0;  // unix seconds
  std::string source;       // the Prometheus URL, or "snapshot (<config source>)"
  bool history = false;     // false: one collector run, no trends
  std::vector<ReportSection> sections;
  std::vector<Recommendation> recommendations;
  std::vector<std::string> notes;  // caveats: "history and trends need --prometheus"
};

}  // namespace medic::commands
