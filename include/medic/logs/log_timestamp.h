#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace medic::logs {

// A log line's time as comparable integers (Docker stamps up to nanoseconds).
struct LogTimestamp {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  auto operator<=>(const LogTimestamp&) const = default;
};

// Docker's stamp on a container log line: exactly "2026-11-29T03:00:00.123456789Z" or with a
// ±hh:mm offset, nothing before or after it; nullopt if malformed.
std::optional<LogTimestamp> ParseLogTimestamp(std::string_view text);

// When a log file's line was written, read from the line itself, for `medic check`'s window.
// Recognised (the forms log files here carry; anything else is "no timestamp"):
// - ISO 8601 / RFC 3339 at the start of the line: "2026-12-01T09:00:00Z",
//   "2026-12-01T09:00:00.123+01:00", "2026-12-01 09:00:00,123" (space separator, Python's
//   comma fraction); without a zone the time is local, as the writer on this host meant it;
//   an optional leading '[' as in "[2026-12-01 09:00:00]".
// - The common/combined log format's "[01/Dec/2026:09:00:00 +0000]" within the line's first
//   256 bytes (after the client address, ident and user).
std::optional<logs::LogTimestamp> LeadingLogTime(std::string_view line);

}  // namespace medic::logs
