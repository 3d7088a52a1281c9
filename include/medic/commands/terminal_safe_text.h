#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace medic::commands {

// A log line made safe to print on a terminal and to put in JSON, as `medic check` shows
// matched lines: control bytes (C0 but tab, DEL, the C1 controls U+0080–U+009F that some
// terminals obey, and the bidirectional overrides that reorder what one reads) become visible
// escapes like "\x1B" or "\u202E", invalid UTF-8 becomes U+FFFD, tabs become spaces. The result
// is valid UTF-8 of at most about `max_bytes` bytes; a longer line ends in "…".
std::string TerminalSafeText(std::string_view bytes, std::size_t max_bytes);

}  // namespace medic::commands
