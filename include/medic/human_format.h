#pragma once

#include <string>

namespace medic::human {

// Numbers as people read them in check output, reports and the status page. Non-finite values
// print as 0 so a NaN from a division never reaches a reader.

// printf-style with one double: Format("%.1f days", 3.25) -> "3.2 days".
std::string Format(const char* format, double value);
// 0.931 -> "93.1%".
std::string Percent(double ratio);
// A threshold ratio without trailing zeros: 0.9 -> "90%".
std::string PercentThreshold(double ratio);
// 1536 -> "1.5 KiB" (binary units, B to TiB).
std::string Bytes(double bytes);
// Unix seconds -> "2026-12-01 09:30:05 UTC".
std::string Time(double unix_seconds);
// 95 -> "1m35s", 7200 -> "2h" (a span of seconds, rounded to the second; negative reads as 0s).
std::string Span(double seconds);

}  // namespace medic::human
