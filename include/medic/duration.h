#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace medic {

using Duration = std::chrono::milliseconds;

// Parses Prometheus-style durations ("500ms", "10s", "5m", "1h", "7d", "1w", "1y",
// and compounds like "1h30m"). Returns nullopt on anything else.
std::optional<Duration> ParseDuration(std::string_view text);

// Formats a duration the way Prometheus prints it ("1h30m", "500ms", "0s").
std::string FormatDuration(Duration duration);

double ToSeconds(Duration duration);

}  // namespace medic
