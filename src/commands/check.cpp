#include "medic/commands/check.h"
#include "medic/metric_sample.h"

#include "medic/collector_factory.h"
#include "medic/commands/collector_run.h"
#include "medic/commands/report.h"
#include "medic/config_loader.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>

namespace medic::commands {
namespace {

using metrics::FormatUtc;

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Pad(const std::string& text, std::size_t width) {
  // Width in code points so the columns line up with UTF-8 subjects.
  std::size_t length = 0;
  for (unsigned char c : text) length += (c & 0xC0) != 0x80;
  return length >= width ? text : text + std::string(width - length, ' ');
}

const char* StateColor(health::State state) {
  switch (state) {
    case health::State::kOk:
      return "\033[32m";
    case health::State::kWarn:
      return "\033[33m";
    case health::State::kFail:
      return "\033[1;31m";
  }
  return "";
}

const char* StateSymbol(health::State state) {
  switch (state) {
    case health::State::kOk:
      return "✔";
    case health::State::kWarn:
      return "⚠";
    case health::State::kFail:
      return "✖";
  }
  return "";
}

std::string StateTag(health::State state, bool color) {
  const std::string name = Pad(std::string(health::StateName(state)), 4);
  if (!color) return name;
  return std::string(StateColor(state)) + StateSymbol(state) + " " + name + "\033[0m";
}

bool UseColor(const Flags& flags) {
  if (flags.no_color) return false;
  if (const char* no_color = std::getenv("NO_COLOR"); no_color != nullptr && *no_color != '\0') {
    return false;
  }
  return ::isatty(STDOUT_FILENO) == 1;
}

// Appended piecewise: GCC 12's -Wrestrict misfires on "\n" + std::string + "\n" at -O2
// (GCC bug 105329), which breaks the Release build under -Werror.
void AppendGroupHeader(std::string& out, std::string_view group) {
  out += '\n';
  out += Upper(group);
  out += '\n';
}

}  // namespace

Config LoadCommandConfig(const Flags& flags) {
  Config config =
      flags.config_file.empty() ? LoadDefaultConfig() : LoadConfigFile(flags.config_file);
  ApplyCollectorOverrides(config.collectors, flags.collectors);
  return config;
}

std::string RenderCheckText(const health::Report& report, const std::string& config_source,
                            bool color) {
  std::size_t subject_width = 0;
  std::size_t value_width = 0;
  for (const auto& check : report.checks) {
    subject_width = std::max(subject_width, check.subject.size());
    value_width = std::max(value_width, check.value_text.size());
  }
  subject_width = std::min<std::size_t>(subject_width, 40);
  value_width = std::min<std::size_t>(value_width, 50);
  std::string out =
      "medic check " + FormatUtc(report.evaluated_at) + " (config " + config_source + ")\n";
  for (const auto group : health::GroupOrder()) {
    bool header = false;
    for (const auto& check : report.checks) {
      if (check.group != group) continue;
      if (!header) {
        AppendGroupHeader(out, group);
        header = true;
      }
      out += "  " + StateTag(check.state, color) + "  " + Pad(check.subject, subject_width) + "  " +
             Pad(check.value_text, value_width) + "  [" + check.threshold + "]\n";
    }
    if (group == health::kGroupSecurity && !report.offenders.empty()) {
      if (!header) AppendGroupHeader(out, group);
      out += "  top offenders:\n";
      for (const auto& offender : report.offenders) {
        char count[32];
        std::snprintf(count, sizeof(count), "%.0f", offender.matches);
        out += "    " + Pad(offender.rule, 14) + " " + Pad(offender.ip, 40) + " " + count + "\n";
      }
    }
  }
  if (report.checks.empty()) out += "\n(no checks: no enabled collector produced health metrics)\n";
  out += "\nOVERALL: " +
         (color ? StateTag(report.overall, true) : std::string(health::StateName(report.overall))) +
         " — " + report.reason + "\n";
  if (std::any_of(report.checks.begin(), report.checks.end(),
                  [](const auto& c) { return c.group == health::kGroupSecurity; })) {
    out +=
        "(log counts cover what medic saw since it started this run; the alert rule counts "
        "over 7 days in Prometheus)\n";
  }
  return out;
}

std::string RenderCheckJson(const health::Report& report, const std::string& config_source) {
  nlohmann::json body = health::ToJson(report);
  body["config"] = config_source;
  return body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int RunCheck(const Flags& flags) {
  const std::string output = flags.output.empty() ? "text" : flags.output;
  if (output != "text" && output != "json") {
    std::fprintf(stderr, "medic check: --output must be text or json, got \"%s\"\n",
                 output.c_str());
    return kExitCouldNotRun;
  }
  if (flags.positional.size() > 1) {
    std::fprintf(stderr, "medic check: unexpected argument \"%s\"\n", flags.positional[1].c_str());
    return kExitCouldNotRun;
  }
  CollectorRun run;
  try {
    run = RunCollectorsOnce(flags);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "medic check: %s\n", error.what());
    return kExitCouldNotRun;
  }
  const health::Report report =
      health::Evaluate(run.families, run.config.thresholds, run.finished_at, run.statuses);
  const std::string text = output == "json"
                               ? RenderCheckJson(report, run.config.source_name)
                               : RenderCheckText(report, run.config.source_name, UseColor(flags));
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return health::ExitCode(report.overall);
}

int RunSubcommand(const Flags& flags) {
  const std::string& command = flags.positional.front();
  if (command == "check") return RunCheck(flags);
  if (command == "report") return RunReport(flags);
  std::fprintf(stderr, "medic: unknown command \"%s\" (commands: check, report; see --help)\n",
               command.c_str());
  return kExitCouldNotRun;
}

}  // namespace medic::commands
