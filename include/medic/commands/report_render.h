#pragma once

#include "medic/commands/report_model.h"

#include <string>

namespace medic::commands {

// Markdown for people (and mail from cron): recommendations first, then one table per section.
std::string RenderReportMarkdown(const Report& report);
// JSON for machines: numbers stay numbers (ratios as 0..1, bytes, seconds).
std::string RenderReportJson(const Report& report);

}  // namespace medic::commands
