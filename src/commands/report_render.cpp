#include "medic/commands/report_render.h"
#include "medic/json_text.h"

#include "medic/metric_sample.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace medic::commands {
namespace {

std::string Cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

// One Markdown cell, appended piecewise: GCC 12's -Wrestrict misfires on " " + std::string + " |"
// at -O2 (GCC bug 105329), which breaks the Release build under -Werror.
void AppendCell(std::string& out, const std::string& text) {
  out += ' ';
  out += Cell(text);
  out += " |";
}

std::string Table(const ReportSection& section) {
  std::string header = "|";
  std::string rule = "|";
  for (const auto& column : section.columns) {
    AppendCell(header, column.title);
    rule += "---|";
  }
  std::string out = header + "\n" + rule + "\n";
  for (const auto& row : section.rows) {
    out += "|";
    for (const auto& cell : row) AppendCell(out, cell.text);
    out += "\n";
  }
  return out;
}

}  // namespace

std::string RenderReportMarkdown(const Report& report) {
  const std::string kind(ReportKindName(report.kind));
  std::string out = "# medic " + kind + " report\n\n";
  if (report.history) {
    out += "- Range: the last " + report.range + " until " +
           metrics::FormatUtc(report.generated_at) + "\n- Source: Prometheus " + report.source +
           "\n";
  } else {
    out += "- Snapshot at " + metrics::FormatUtc(report.generated_at) + " (no history)\n" +
           "- Source: " + report.source + "\n";
  }
  for (const auto& note : report.notes) out += "\n> " + note + "\n";
  out += "\n## Recommendations\n\n";
  if (report.recommendations.empty()) {
    out += "None: everything is within the thresholds.\n";
  }
  for (const auto& r : report.recommendations) {
    out += "- **" + std::string(health::StateName(r.severity)) + "** " + r.subject + ": " +
           r.finding + ": " + r.action + " (threshold: " + r.threshold + ")\n";
  }
  for (const auto& section : report.sections) {
    out += "\n## " + section.title + "\n\n";
    out += section.rows.empty() ? "_" + section.empty_text + "_\n" : Table(section);
  }
  return out;
}

std::string RenderReportJson(const Report& report) {
  nlohmann::json recommendations = nlohmann::json::array();
  for (const auto& r : report.recommendations) {
    recommendations.push_back({{"severity", health::StateName(r.severity)},
                               {"subject", r.subject},
                               {"finding", r.finding},
                               {"action", r.action},
                               {"threshold", r.threshold}});
  }
  nlohmann::json sections = nlohmann::json::array();
  for (const auto& section : report.sections) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : section.rows) {
      nlohmann::json object = nlohmann::json::object();
      for (std::size_t i = 0; i < row.size() && i < section.columns.size(); ++i) {
        const auto& cell = row[i];
        const auto& key = section.columns[i].key;
        if (cell.value && std::isfinite(*cell.value)) {
          object[key] = *cell.value;
        } else {
          object[key] = cell.text;
        }
      }
      rows.push_back(std::move(object));
    }
    nlohmann::json entry = {{"title", section.title}, {"rows", std::move(rows)}};
    if (section.rows.empty()) entry["empty"] = section.empty_text;
    sections.push_back(std::move(entry));
  }
  const nlohmann::json body = {{"report", ReportKindName(report.kind)},
                               {"range", report.range},
                               {"history", report.history},
                               {"generated_at", report.generated_at},
                               {"source", report.source},
                               {"notes", report.notes},
                               {"recommendations", std::move(recommendations)},
                               {"sections", std::move(sections)}};
  return JsonText(body, 2) + "\n";
}

}  // namespace medic::commands
