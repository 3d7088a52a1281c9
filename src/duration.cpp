#include "medic/duration.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace medic {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t milliseconds;
};

// Longest suffixes first so "ms" wins over "m".
constexpr std::array<Unit, 8> kUnits{{{"ms", 1},
                                      {"y", 365LL * 24 * 3600 * 1000},
                                      {"w", 7LL * 24 * 3600 * 1000},
                                      {"d", 24LL * 3600 * 1000},
                                      {"h", 3600LL * 1000},
                                      {"m", 60LL * 1000},
                                      {"s", 1000},
                                      {"", 0}}};

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return Duration::zero();
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (number > (INT64_MAX / 10)) return std::nullopt;
      number = number * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.suffix.empty()) break;
      if (text.substr(pos, candidate.suffix.size()) == candidate.suffix) {
        unit = &candidate;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    pos += unit->suffix.size();
    if (number > INT64_MAX / unit->milliseconds) return std::nullopt;
    const std::int64_t part = number * unit->milliseconds;
    if (total > INT64_MAX - part) return std::nullopt;
    total += part;
  }
  return Duration(total);
}

std::string FormatDuration(Duration duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& unit : kUnits) {
    if (unit.suffix.empty() || unit.suffix == "ms") continue;
    if (ms >= unit.milliseconds) {
      out += std::to_string(ms / unit.milliseconds);
      out += unit.suffix;
      ms %= unit.milliseconds;
    }
  }
  if (ms > 0) out += std::to_string(ms) + "ms";
  return out;
}

double ToSeconds(Duration duration) { return static_cast<double>(duration.count()) / 1000.0; }

}  // namespace medic
