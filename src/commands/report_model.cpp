#include "medic/commands/report_model.h"

namespace medic::commands {

std::optional<ReportKind> ParseReportKind(std::string_view name) {
  if (name == "capacity") return ReportKind::kCapacity;
  if (name == "security") return ReportKind::kSecurity;
  if (name == "performance") return ReportKind::kPerformance;
  return std::nullopt;
}

std::string_view ReportKindName(ReportKind kind) {
  switch (kind) {
    case ReportKind::kCapacity:
      return "capacity";
    case ReportKind::kSecurity:
      return "security";
    case ReportKind::kPerformance:
      return "performance";
  }
  return "capacity";
}

std::optional<double> ParseReportRange(std::string_view range) {
  if (range == "7d") return 7 * 86400.0;
  if (range == "30d") return 30 * 86400.0;
  return std::nullopt;
}

}  // namespace medic::commands
