#include "medic/commands/check.h"
#include "medic/json_text.h"
#include "medic/metric_sample.h"

#include "medic/collector_factory.h"
#include "medic/commands/collector_run.h"
#include "medic/commands/report.h"
#include "medic/config_loader.h"
#include "medic/docker/client.h"
#include "medic/duration.h"
#include "medic/human_format.h"
#include "medic/logs/rule_matcher.h"
#include "medic/remediation/healing_state.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <optional>

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
  std::string name = Pad(std::string(health::StateName(state)), 4);
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

// Where `medic check` reaches the Docker engine for container log sources: the one top-level
// `docker:` section every part of medic uses ($DOCKER_HOST, then the default socket, when its
// host is empty).
struct EngineAddress {
  std::string host;
  std::chrono::milliseconds timeout{5000};
};
EngineAddress CheckEngineAddress(const Config& config) {
  return EngineAddress{docker::ResolveDockerHost(config.docker.host), config.docker.timeout};
}

// How a rule is named in the report: the seed's words for its three checks, else its name.
std::string RuleLabel(const std::string& rule) {
  if (rule == kAuthFailureRule) return "auth failures";
  if (rule == "error") return "errors";
  if (rule == "critical") return "critical";
  return rule;
}

std::string CountWithWindow(const RuleWindowCount& count) {
  return RuleLabel(count.rule) + " (" + WindowName(count.window) + ")";
}

void AppendLogReview(std::string& out, const LogReview& review) {
  out += "  log review " + FormatUtc(static_cast<double>(review.start_seconds)) + " to " +
         FormatUtc(static_cast<double>(review.end_seconds)) + " (" + WindowName(review.window);
  if (kAuthFailureWindow > review.window) {
    out += "; auth failures " + WindowName(kAuthFailureWindow);
  }
  out += "), read by this run:\n";
  if (review.sources.empty()) out += "    (no log sources configured: collectors.logs.sources)\n";
  for (const SourceWindow& source : review.sources) {
    out += "    " + source.name + " (" + source.kind + " " + source.target + ")\n";
    if (source.kind == "file" && !source.files_read.empty()) {
      out += "      read:";
      for (const auto& file : source.files_read) out += " " + file;
      out += '\n';
    }
    for (const auto& note : source.notes) out += "      note: " + note + "\n";
    if (!source.error.empty()) {
      // Its counts say nothing (0 would read as "no errors").
      out += "      error: " + source.error + "\n      (not counted: the source was not read)\n";
      continue;
    }
    if (source.untimestamped_lines > 0) {
      out += human::Format("      note: %.0f lines had no timestamp: counted because their file ",
                           static_cast<double>(source.untimestamped_lines)) +
             "was written within the window\n";
    }
    if (source.overlong_lines > 0) {
      out += human::Format("      note: %.0f overlong lines skipped\n",
                           static_cast<double>(source.overlong_lines));
    }
    for (const RuleWindowCount& count : source.rules) {
      out += "      " + CountWithWindow(count) +
             human::Format(": %.0f", static_cast<double>(count.count));
      if (!count.last_lines.empty()) {
        out += human::Format(", last %.0f:", static_cast<double>(count.last_lines.size()));
      }
      out += '\n';
      for (const auto& line : count.last_lines) out += "        " + line + "\n";
    }
  }
}

nlohmann::json LogReviewJson(const LogReview& review) {
  nlohmann::json sources = nlohmann::json::array();
  for (const SourceWindow& source : review.sources) {
    nlohmann::json rules = nlohmann::json::array();
    for (const RuleWindowCount& count : source.rules) {
      rules.push_back({{"rule", count.rule},
                       {"label", CountWithWindow(count)},
                       {"window", WindowName(count.window)},
                       {"window_seconds", count.window.count()},
                       {"count", count.count},
                       {"last_lines", count.last_lines}});
    }
    sources.push_back({{"name", source.name},
                       {"kind", source.kind},
                       {"target", source.target},
                       {"files_read", source.files_read},
                       {"lines_in_window", source.lines_in_window},
                       {"untimestamped_lines", source.untimestamped_lines},
                       {"overlong_lines", source.overlong_lines},
                       {"notes", source.notes},
                       {"error", source.error},
                       {"rules", std::move(rules)}});
  }
  return {{"start", FormatUtc(static_cast<double>(review.start_seconds))},
          {"end", FormatUtc(static_cast<double>(review.end_seconds))},
          {"window", WindowName(review.window)},
          {"window_seconds", review.window.count()},
          {"sources", std::move(sources)}};
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

std::vector<WindowedRule> CheckLogRules(const LogSettings& logs, std::chrono::seconds window) {
  std::vector<WindowedRule> rules;
  std::vector<LogRule> configured = logs.rules.empty() ? logs::DefaultLogRules() : logs.rules;
  for (LogRule& rule : configured) {
    const auto rule_window =
        rule.name == kAuthFailureRule ? std::max(window, kAuthFailureWindow) : window;
    rules.push_back(WindowedRule{std::move(rule), rule_window});
  }
  return rules;
}

std::string WindowName(std::chrono::seconds window) {
  const auto seconds = window.count();
  // 24h stays "24h" like the seed's --since=24h; whole days from two on read as days.
  if (seconds % 86400 == 0 && seconds >= 2LL * 86400) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0 && seconds > 0) return std::to_string(seconds / 3600) + "h";
  if (seconds % 60 == 0 && seconds > 0) return std::to_string(seconds / 60) + "m";
  return std::to_string(seconds) + "s";
}

namespace {

health::Check MedicCheck(std::string subject, health::State state, std::string value_text,
                         std::string threshold) {
  health::Check check;
  check.group = std::string(health::kGroupMedic);
  check.subject = std::move(subject);
  check.state = state;
  check.value_text = std::move(value_text);
  check.threshold = std::move(threshold);
  return check;
}

// Keeps the report's group order (the renderers and the JSON list follow it) and its verdict.
void SortAndSummarize(health::Report& report) {
  const auto& order = health::GroupOrder();
  auto rank = [&](const health::Check& check) {
    return std::find(order.begin(), order.end(), check.group) - order.begin();
  };
  std::stable_sort(report.checks.begin(), report.checks.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  health::Summarize(report);
}

}  // namespace

void AddHealingChecks(const std::optional<remediation::HealingState>& state,
                      const std::string& error, health::Report& report) {
  if (!error.empty()) {
    report.checks.push_back(MedicCheck("remediation journal", health::State::kWarn,
                                       "not read: " + error, "WARN if the journal cannot be read"));
  } else if (state) {
    for (const remediation::Circuit& circuit : state->open_circuits) {
      report.checks.push_back(MedicCheck(
          "auto-healing " + circuit.target, health::State::kFail,
          "off for " + circuit.remediation + " since " + human::Time(circuit.opened_at),
          "FAIL while a circuit is open (POST /api/v1/circuits/reset?target=" + circuit.target +
              ")"));
    }
    for (const remediation::UnhealedIncident& incident : state->unhealed) {
      const bool gave_up = incident.result == "gave_up";
      std::string what = gave_up ? "medic gave up" : "not healed yet";
      if (incident.state == remediation::JobState::kQueued) {
        what = incident.result == "failed"             ? "waits for the Docker engine"
               : incident.result == "skipped_cooldown" ? "waits for its cooldown"
               : incident.result == "skipped_circuit"  ? "waits: auto-healing is off"
                                                       : "last attempt failed, a retry is due";
      }
      report.checks.push_back(
          MedicCheck("healing " + incident.target + " (" + incident.remediation + ")",
                     gave_up ? health::State::kFail : health::State::kWarn,
                     what + " since " + human::Time(incident.since),
                     "FAIL when medic gave up, WARN while an incident is not healed"));
    }
    if (state->open_circuits.empty() && state->unhealed.empty()) {
      report.checks.push_back(MedicCheck("remediations", health::State::kOk,
                                         "no open circuit, no unhealed incident",
                                         "FAIL on an open circuit or a give-up"));
    }
  }
  SortAndSummarize(report);
}

void AddLogReviewChecks(const LogReview& review, const ThresholdSettings& thresholds,
                        health::Report& report) {
  for (const SourceWindow& source : review.sources) {
    for (const RuleWindowCount& count : source.rules) {
      std::optional<double> limit;
      if (count.rule == kAuthFailureRule) limit = thresholds.auth_failures_warning;
      if (count.rule == "error") limit = thresholds.log_errors_warning;
      if (count.rule == "critical") limit = thresholds.log_critical_warning;
      const auto value = static_cast<double>(count.count);
      health::Check check;
      check.group = std::string(health::kGroupSecurity);
      check.subject = CountWithWindow(count) + " " + source.name;
      check.value = value;
      check.value_text = human::Format(value == 1 ? "%.0f line" : "%.0f lines", value);
      check.threshold = limit ? human::Format("WARN > %.0f", *limit) : "informational";
      check.state = limit && value > *limit ? health::State::kWarn : health::State::kOk;
      if (!source.error.empty()) {
        // Counts of a source that could not be read say nothing: not OK.
        check.state = health::State::kWarn;
        check.value_text = "not read: " + source.error;
        check.threshold = "WARN if the log cannot be read";
      }
      report.checks.push_back(std::move(check));
    }
  }
  // The log review stands in for the logs collector, which this command does not run.
  std::size_t unread = 0;
  for (const SourceWindow& source : review.sources) unread += source.error.empty() ? 0 : 1;
  report.checks.push_back(MedicCheck("collector logs (log review)",
                                     unread == 0 ? health::State::kOk : health::State::kWarn,
                                     std::to_string(review.sources.size() - unread) + " of " +
                                         std::to_string(review.sources.size()) + " sources read",
                                     "WARN if a log source cannot be read"));
  SortAndSummarize(report);  // the log review's checks joined the collectors' ones
}

std::string RenderCheckText(const health::Report& report, const LogReview* review,
                            const std::string& config_source, bool color) {
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
    if (group == health::kGroupSecurity && review != nullptr) {
      if (!header) AppendGroupHeader(out, group);
      header = true;
      AppendLogReview(out, *review);
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
  return out;
}

std::string RenderCheckJson(const health::Report& report, const LogReview* review,
                            const std::string& config_source) {
  nlohmann::json body = health::ToJson(report);
  body["config"] = config_source;
  body["log_review"] = review != nullptr ? LogReviewJson(*review) : nlohmann::json(nullptr);
  return JsonText(body, 2) + "\n";
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
  std::chrono::seconds window = kDefaultCheckWindow;
  if (!flags.since.empty()) {
    const auto parsed = ParseDuration(flags.since);
    if (!parsed || *parsed < std::chrono::seconds(1)) {
      std::fprintf(stderr,
                   "medic check: --since must be a duration of at least 1s like 24h or 7d, got "
                   "\"%s\"\n",
                   flags.since.c_str());
      return kExitCouldNotRun;
    }
    window = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
  }
  CollectorRun run;
  try {
    run = RunCollectorsOnce(flags, CollectorRunOptions{.skip_logs = true});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "medic check: %s\n", error.what());
    return kExitCouldNotRun;
  }
  health::Report report =
      health::Evaluate(run.families, run.config.thresholds, run.finished_at, run.statuses);
  std::optional<LogReview> review;
  if (const auto& logs = run.config.collectors.logs) {
    review.emplace();
    review->window = window;
    review->end_seconds = static_cast<std::int64_t>(std::time(nullptr));
    review->start_seconds = review->end_seconds - window.count();
    const EngineAddress engine = CheckEngineAddress(run.config);
    LogWindowOptions options;
    options.now_seconds = review->end_seconds;
    options.max_line_bytes = logs->max_line_bytes;
    options.docker_host = engine.host;
    options.docker_timeout = engine.timeout;
    try {
      review->sources = ReadLogWindows(logs->sources, CheckLogRules(*logs, window), options);
    } catch (const std::exception& error) {  // a rule that does not compile
      std::fprintf(stderr, "medic check: %s\n", error.what());
      return kExitCouldNotRun;
    }
    AddLogReviewChecks(*review, run.config.thresholds, report);
  }
  if (run.config.webhook) {
    // What the daemon's remediations left for a person, read from its journal (read-only).
    std::optional<remediation::HealingState> healing;
    std::string error;
    try {
      healing = remediation::ReadHealingState(run.config.journal.path);
    } catch (const std::exception& failure) {
      error = failure.what();
    }
    AddHealingChecks(healing, error, report);
  }
  const LogReview* shown = review ? &*review : nullptr;
  const std::string text =
      output == "json" ? RenderCheckJson(report, shown, run.config.source_name)
                       : RenderCheckText(report, shown, run.config.source_name, UseColor(flags));
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
