#include "medic/valid_utf8.h"

#include <utf8.h>

#include <iterator>

namespace medic {
namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

bool IsAscii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  return IsAscii(text) || utf8::find_invalid(text.begin(), text.end()) == text.end();
}

void AppendValidUtf8(std::string& out, std::string_view text) {
  if (IsValidUtf8(text)) {
    out.append(text);
    return;
  }
  utf8::replace_invalid(text.begin(), text.end(), std::back_inserter(out), kReplacementCharacter);
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendValidUtf8(out, text);
  return out;
}

std::string_view ValidUtf8View(std::string_view text, std::string& storage) {
  if (IsValidUtf8(text)) return text;
  storage = ValidUtf8(text);
  return storage;
}

std::size_t Utf8CutPoint(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  std::size_t cut = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the sequence they belong to.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace medic
