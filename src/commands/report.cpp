#include "medic/commands/report.h"

#include "medic/commands/check.h"
#include "medic/commands/collector_run.h"
#include "medic/commands/report_builder.h"
#include "medic/commands/report_render.h"
#include "medic/prometheus/query_client.h"

#include <chrono>
#include <cstdio>
#include <exception>

namespace medic::commands {
namespace {

constexpr const char* kUsage =
    "usage: medic report capacity|security|performance [--prometheus URL] [--range 7d|30d]\n"
    "                    [--output markdown|json] [--config.file F]\n";

int CouldNotRun(const std::string& message, bool usage = false) {
  std::fprintf(stderr, "medic report: %s\n%s", message.c_str(), usage ? kUsage : "");
  return kExitCouldNotRun;
}

}  // namespace

int RunReport(const Flags& flags) {
  if (flags.positional.size() < 2) return CouldNotRun("which report?", true);
  if (flags.positional.size() > 2) {
    return CouldNotRun("unexpected argument \"" + flags.positional[2] + "\"", true);
  }
  const auto kind = ParseReportKind(flags.positional[1]);
  if (!kind) return CouldNotRun("unknown report \"" + flags.positional[1] + "\"", true);
  const auto range_seconds = ParseReportRange(flags.range);
  if (!range_seconds) {
    return CouldNotRun("--range must be 7d or 30d, got \"" + flags.range + "\"", true);
  }
  const std::string output = flags.output.empty() ? "markdown" : flags.output;
  if (output != "markdown" && output != "json") {
    return CouldNotRun("--output must be markdown or json, got \"" + output + "\"", true);
  }
  ReportRequest request{*kind, flags.range, *range_seconds, 0, ""};
  Report report;
  try {
    if (flags.prometheus_url.empty()) {
      CollectorRun run = RunCollectorsOnce(flags);
      request.now = run.finished_at;
      request.source_name = "one collector run with config " + run.config.source_name;
      report = BuildReport(request, SnapshotReportSource(std::move(run.families)),
                           run.config.thresholds);
    } else {
      // The config still supplies the thresholds; the collectors do not run.
      const Config config = LoadCommandConfig(flags);
      const prom::QueryClient client(flags.prometheus_url);
      request.now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      request.source_name = client.base_url();
      report = BuildReport(request, PrometheusReportSource(client, request.now, *range_seconds),
                           config.thresholds);
    }
  } catch (const std::exception& error) {
    return CouldNotRun(error.what());
  }
  const std::string text =
      output == "json" ? RenderReportJson(report) : RenderReportMarkdown(report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace medic::commands
