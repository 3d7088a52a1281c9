#include "medic/commands/terminal_safe_text.h"

#include "medic/valid_utf8.h"

#include <utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace medic::commands {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026

bool IsBidiControl(std::uint32_t code_point) {
  return (code_point >= 0x202A && code_point <= 0x202E) ||
         (code_point >= 0x2066 && code_point <= 0x2069) || code_point == 0x200E ||
         code_point == 0x200F || code_point == 0x061C;
}

}  // namespace

std::string TerminalSafeText(std::string_view raw, std::size_t max_bytes) {
  // Invalid sequences become U+FFFD first, the same repair as every other writer; what is left
  // to do here is the terminal's own hazards: controls, C1 and bidi overrides.
  std::string repaired;
  const std::string_view bytes = ValidUtf8View(raw, repaired);
  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes) + kEllipsis.size());
  auto position = bytes.begin();
  while (position != bytes.end()) {
    if (out.size() >= max_bytes) {
      out += kEllipsis;
      break;
    }
    const auto start = position;
    const std::uint32_t code_point = utf8::unchecked::next(position);
    char escape[16];
    if (code_point == '\t') {
      out += ' ';
    } else if (code_point < 0x20 || code_point == 0x7F) {
      std::snprintf(escape, sizeof(escape), "\\x%02X", static_cast<unsigned>(code_point));
      out += escape;
    } else if ((code_point >= 0x80 && code_point <= 0x9F) || IsBidiControl(code_point)) {
      std::snprintf(escape, sizeof(escape), "\\u%04X", static_cast<unsigned>(code_point));
      out += escape;
    } else {
      out.append(start, position);
    }
  }
  return out;
}

}  // namespace medic::commands
