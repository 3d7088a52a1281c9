#include "medic/human_format.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <utility>

namespace medic::human {
namespace {
double Finite(double value) { return std::isfinite(value) ? value : 0; }
}  // namespace

std::string Format(const char* format, double value) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), format, Finite(value));
  return buffer;
}

std::string Percent(double ratio) { return Format("%.1f%%", ratio * 100); }

std::string PercentThreshold(double ratio) { return Format("%g%%", ratio * 100); }

std::string Bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  bytes = Finite(bytes);
  while (std::fabs(bytes) >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return Format(unit == 0 ? "%.0f" : "%.1f", bytes) + " " + kUnits[unit];
}

std::string Time(double unix_seconds) {
  if (!std::isfinite(unix_seconds) || unix_seconds <= 0) return "never";
  const auto seconds = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

std::string Span(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  auto remaining = static_cast<long long>(std::llround(seconds));
  if (remaining == 0) return "0s";
  std::string out;
  for (const auto& [unit, size] :
       {std::pair<const char*, long long>{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}}) {
    if (remaining >= size) {
      out += std::to_string(remaining / size) + unit;
      remaining %= size;
    }
  }
  return out;
}

}  // namespace medic::human
