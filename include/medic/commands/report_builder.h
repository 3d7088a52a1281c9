#pragma once

#include "medic/commands/report_model.h"
#include "medic/commands/report_source.h"
#include "medic/config.h"

#include <string>

namespace medic::commands {

struct ReportRequest {
  ReportKind kind = ReportKind::kCapacity;
  std::string range = "7d";  // PromQL duration, also shown to the reader
  double range_seconds = 7 * 86400;
  double now = 0;           // unix seconds: the report's end
  std::string source_name;  // the Prometheus URL or "snapshot (<config>)"
};

// Asks `source` for the numbers of one report kind and turns them into sections and
// recommendations. Throws prom::QueryError when Prometheus cannot answer.
Report BuildReport(const ReportRequest& request, const ReportSource& source,
                   const ThresholdSettings& thresholds);

}  // namespace medic::commands
