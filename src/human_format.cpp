#include "medic/human_format.h"

#include <cmath>
#include <cstdio>

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

}  // namespace medic::human
