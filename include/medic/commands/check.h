#pragma once

#include "medic/config.h"
#include "medic/flags.h"
#include "medic/health/health.h"

#include <string>

namespace medic::commands {

// Exit code when `medic check` / `medic report` could not run (bad flags, bad configuration).
inline constexpr int kExitCouldNotRun = 3;

// The configuration a command runs with: --config.file (or the embedded default) plus the
// --collector.* overrides, exactly as the daemon would load it.
Config LoadCommandConfig(const Flags& flags);

// The daily-check report as text, grouped like the seed's script. `color` adds ANSI colours and
// symbols (only on a terminal); without it the output is plain and stable for cron mail.
std::string RenderCheckText(const health::Report& report, const std::string& config_source,
                            bool color);
std::string RenderCheckJson(const health::Report& report, const std::string& config_source);

// `medic check`: runs every enabled collector once, prints the report, returns 0/1/2/3.
int RunCheck(const Flags& flags);

// Dispatches the positional subcommand (check, report); kExitCouldNotRun for an unknown one.
int RunSubcommand(const Flags& flags);

}  // namespace medic::commands
