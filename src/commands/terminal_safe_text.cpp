#include "medic/commands/terminal_safe_text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace medic::commands {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026

// Length of the well-formed UTF-8 sequence starting at bytes[0] and its code point; 0 if the
// bytes there are not one (overlong forms, surrogates and values above U+10FFFF included).
std::size_t DecodeUtf8(std::string_view bytes, std::uint32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  std::uint32_t minimum = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    minimum = 0x80;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    minimum = 0x800;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    minimum = 0x10000;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (bytes.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

bool IsBidiControl(std::uint32_t code_point) {
  return (code_point >= 0x202A && code_point <= 0x202E) ||
         (code_point >= 0x2066 && code_point <= 0x2069) || code_point == 0x200E ||
         code_point == 0x200F || code_point == 0x061C;
}

}  // namespace

std::string TerminalSafeText(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(bytes.size(), max_bytes) + kEllipsis.size());
  std::size_t position = 0;
  while (position < bytes.size()) {
    if (out.size() >= max_bytes) {
      out += kEllipsis;
      break;
    }
    std::uint32_t code_point = 0;
    const std::size_t length = DecodeUtf8(bytes.substr(position), code_point);
    char escape[16];
    if (length == 0) {
      out += kReplacement;
      ++position;
      continue;
    }
    if (code_point == '\t') {
      out += ' ';
    } else if (code_point < 0x20 || code_point == 0x7F) {
      std::snprintf(escape, sizeof(escape), "\\x%02X", static_cast<unsigned>(code_point));
      out += escape;
    } else if ((code_point >= 0x80 && code_point <= 0x9F) || IsBidiControl(code_point)) {
      std::snprintf(escape, sizeof(escape), "\\u%04X", static_cast<unsigned>(code_point));
      out += escape;
    } else {
      out.append(bytes.substr(position, length));
    }
    position += length;
  }
  return out;
}

}  // namespace medic::commands
