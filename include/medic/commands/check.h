#pragma once

#include "medic/commands/log_window.h"
#include "medic/config.h"
#include "medic/flags.h"
#include "medic/health/health.h"
#include "medic/remediation/healing_state.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace medic::commands {

// Exit code when `medic check` / `medic report` could not run (bad flags, bad configuration).
inline constexpr int kExitCouldNotRun = 3;

// `medic check --since` when not given: the seed's `docker logs --since=24h`.
inline constexpr std::chrono::seconds kDefaultCheckWindow = std::chrono::hours(24);
// The seed's weekly security audit counts auth failures over 7 days (`--since=7d`); a shorter
// --since does not shorten that count, a longer one widens it.
inline constexpr std::chrono::seconds kAuthFailureWindow = std::chrono::hours(24 * 7);
inline constexpr char kAuthFailureRule[] = "auth_failure";

// The configuration a command runs with: --config.file (or the embedded default) plus the
// --collector.* overrides, exactly as the daemon would load it.
Config LoadCommandConfig(const Flags& flags);

// What `medic check` read from the logs itself, over [start, end].
struct LogReview {
  std::int64_t start_seconds = 0;  // unix seconds: end - window
  std::int64_t end_seconds = 0;
  std::chrono::seconds window = kDefaultCheckWindow;
  std::vector<SourceWindow> sources;
};

// The rules of the logs section (the seed's defaults when none are configured), each with the
// window its count covers: `window`, and at least kAuthFailureWindow for auth failures.
std::vector<WindowedRule> CheckLogRules(const LogSettings& logs, std::chrono::seconds window);

// "24h", "7d", "90m": how a window is named next to its count ("errors (24h): 161").
std::string WindowName(std::chrono::seconds window);

// Adds one check per source and rule to `report` (group "errors & security": auth failures,
// errors and critical against their thresholds, other rules informational, an unreadable
// source WARN), a "collector logs" line under medic standing for the logs collector this
// command does not run, and recomputes the overall state and its reason.
void AddLogReviewChecks(const LogReview& review, const ThresholdSettings& thresholds,
                        health::Report& report);

// Adds what the remediation journal holds for a person to the medic group: an open circuit
// FAIL, a give-up FAIL, an incident not healed yet WARN (waiting for the engine, a retry due),
// else one OK line; `error` (the journal exists but cannot be read) WARN. Nothing when there is
// no journal.
void AddHealingChecks(const std::optional<remediation::HealingState>& state,
                      const std::string& error, health::Report& report);

// The daily-check report as text, grouped like the seed's script, with the log review (count
// and last lines per source and rule) under errors & security. `color` adds ANSI colours and
// symbols (only on a terminal); without it the output is plain and stable for cron mail.
// `review` is null when no log source is configured.
std::string RenderCheckText(const health::Report& report, const LogReview* review,
                            const std::string& config_source, bool color);
std::string RenderCheckJson(const health::Report& report, const LogReview* review,
                            const std::string& config_source);

// `medic check`: runs every enabled collector but the logs one once, reads the log window
// itself, prints the report, returns 0/1/2/3.
int RunCheck(const Flags& flags);

// Dispatches the positional subcommand (check, report); kExitCouldNotRun for an unknown one.
int RunSubcommand(const Flags& flags);

}  // namespace medic::commands
