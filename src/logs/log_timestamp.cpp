#include "medic/logs/log_timestamp.h"

#include <array>
#include <ctime>

namespace medic::logs {
namespace {

// Access logs put the stamp after "host ident user "; further in, a '[' is message text.
constexpr std::size_t kCommonLogSearchBytes = 256;

bool Digits(std::string_view text, std::size_t position, std::size_t count, int& out) {
  if (position + count > text.size()) return false;
  out = 0;
  for (std::size_t i = position; i < position + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool ValidCalendar(int month, int day, int hour, int minute, int second) {
  // 60: a leap second, as RFC 3339 allows.
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 &&
         second <= 60;
}

std::tm CalendarTime(int year, int month, int day, int hour, int minute, int second) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return tm;
}

// "+hh:mm", "+hhmm", "+hh" or "Z" at `position`; seconds east of UTC. nullopt: no zone there.
std::optional<int> ZoneOffset(std::string_view text, std::size_t& position) {
  if (position >= text.size()) return std::nullopt;
  if (text[position] == 'Z' || text[position] == 'z') {
    ++position;
    return 0;
  }
  if (text[position] != '+' && text[position] != '-') return std::nullopt;
  const int sign = text[position] == '+' ? 1 : -1;
  int hours = 0;
  int minutes = 0;
  std::size_t cursor = position + 1;
  if (!Digits(text, cursor, 2, hours)) return std::nullopt;
  cursor += 2;
  if (cursor < text.size() && text[cursor] == ':') ++cursor;
  if (Digits(text, cursor, 2, minutes)) cursor += 2;
  if (hours > 23 || minutes > 59) return std::nullopt;
  position = cursor;
  return sign * (hours * 3600 + minutes * 60);
}

// ISO 8601 at the start of `text`. Strict (Docker's stamps): 'T', a '.' fraction, a zone, and
// nothing else. Lenient (log files): also a leading '[', a space separator, a ',' fraction, no
// zone (local time) and text after the stamp.
std::optional<LogTimestamp> Iso8601(std::string_view text, bool strict) {
  if (!strict && !text.empty() && text.front() == '[') text.remove_prefix(1);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19 || !Digits(text, 0, 4, year) || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && (strict || text[10] != ' ')) || !Digits(text, 11, 2, hour) ||
      text[13] != ':' || !Digits(text, 14, 2, minute) || text[16] != ':' ||
      !Digits(text, 17, 2, second) || !ValidCalendar(month, day, hour, minute, second)) {
    return std::nullopt;
  }
  LogTimestamp stamp;
  std::size_t position = 19;
  if (position < text.size() && (text[position] == '.' || (!strict && text[position] == ','))) {
    ++position;
    int digits = 0;
    while (position < text.size() && text[position] >= '0' && text[position] <= '9') {
      if (digits < 9) {
        stamp.nanos = stamp.nanos * 10 + (text[position] - '0');
        ++digits;
      }
      ++position;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) stamp.nanos *= 10;
  }
  std::tm tm = CalendarTime(year, month, day, hour, minute, second);
  const auto offset = ZoneOffset(text, position);
  if (strict && (!offset || position != text.size())) return std::nullopt;
  if (offset) {
    stamp.seconds = static_cast<std::int64_t>(::timegm(&tm)) - *offset;
  } else {
    tm.tm_isdst = -1;
    stamp.seconds = static_cast<std::int64_t>(std::mktime(&tm));
  }
  return stamp;
}

int MonthNumber(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

// "[01/Dec/2026:09:00:00 +0000]" starting at text[0] == '['.
std::optional<LogTimestamp> CommonLogStamp(std::string_view text) {
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 28 || text[0] != '[' || !Digits(text, 1, 2, day) || text[3] != '/' ||
      text[7] != '/' || !Digits(text, 8, 4, year) || text[12] != ':' ||
      !Digits(text, 13, 2, hour) || text[15] != ':' || !Digits(text, 16, 2, minute) ||
      text[18] != ':' || !Digits(text, 19, 2, second) || text[21] != ' ') {
    return std::nullopt;
  }
  const int month = MonthNumber(text.substr(4, 3));
  if (month == 0 || !ValidCalendar(month, day, hour, minute, second)) return std::nullopt;
  std::size_t position = 22;
  const auto offset = ZoneOffset(text, position);
  if (!offset || position >= text.size() || text[position] != ']') return std::nullopt;
  std::tm tm = CalendarTime(year, month, day, hour, minute, second);
  return LogTimestamp{static_cast<std::int64_t>(::timegm(&tm)) - *offset, 0};
}

}  // namespace

std::optional<LogTimestamp> ParseLogTimestamp(std::string_view text) {
  return Iso8601(text, /*strict=*/true);
}

std::optional<LogTimestamp> LeadingLogTime(std::string_view line) {
  if (auto stamp = Iso8601(line, /*strict=*/false)) return stamp;
  const std::string_view head = line.substr(0, kCommonLogSearchBytes);
  for (std::size_t bracket = head.find('['); bracket != std::string_view::npos;
       bracket = head.find('[', bracket + 1)) {
    if (auto stamp = CommonLogStamp(line.substr(bracket))) return stamp;
  }
  return std::nullopt;
}

}  // namespace medic::logs
