#pragma once

#include <string>

namespace medic {

// Configures spdlog's default logger on stderr: format "logfmt" (ts=… level=… msg="…") or
// "json" (one object per line), level debug|info|warn|error. Messages are escaped so a log
// line can never be split or forged by data in it. Throws std::invalid_argument on bad values.
void ConfigureLogging(const std::string& level, const std::string& format);

// Escapes `text` for a double-quoted logfmt or JSON string (quotes, backslashes, control bytes).
std::string EscapeLogString(const std::string& text);

}  // namespace medic
