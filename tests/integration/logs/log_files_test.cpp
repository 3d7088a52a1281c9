// ctest-labels: tsan
// The logs collector against real files on disk: every rotation style, restarts with the
// state file, and bad input. Counts are checked exactly, then re-checked after more poll
// rounds to prove nothing is counted twice.

#include "medic/collectors/logs.h"

#include "support/test_support.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using medic::LogsCollector;
using medic::LogSettings;
using medic::test::TempDir;
using medic::test::WaitFor;

namespace {

constexpr auto kTimeout = 20s;

void Append(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string Lines(int count, const std::string& text) {
  std::string out;
  for (int i = 0; i < count; ++i) out += text + " #" + std::to_string(i) + "\n";
  return out;
}

LogSettings Settings(const TempDir& dir, bool from_beginning = false) {
  LogSettings settings;
  settings.sources.push_back({"app", dir.Join("app.log"), "", from_beginning});
  settings.poll_interval = 20ms;
  settings.max_line_bytes = 4096;
  return settings;
}

std::optional<double> Sample(LogsCollector& collector, const std::string& name,
                             const std::map<std::string, std::string>& labels) {
  for (const auto& family : collector.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      return family.type == prometheus::MetricType::Gauge ? metric.gauge.value
                                                          : metric.counter.value;
    }
  }
  return std::nullopt;
}

double Counter(LogsCollector& collector, const std::string& name,
               const std::string& source = "app") {
  return Sample(collector, name, {{"source", source}}).value_or(-1);
}

// Waits until the collector has completed `rounds` more poll rounds over every source: the
// second one started after this call, so whatever was written before it has been looked at.
void AfterPolls(const LogsCollector& collector, std::uint64_t rounds = 2) {
  const std::uint64_t start = collector.PollRounds();
  REQUIRE(WaitFor([&] { return collector.PollRounds() >= start + rounds; }, kTimeout));
}

// Waits until the line counter reaches `lines`, then lets several more poll rounds pass and
// checks that it stayed there (no double count).
void ExpectLines(LogsCollector& collector, std::uint64_t lines, const std::string& source = "app") {
  const bool reached = WaitFor([&] { return collector.LinesTotal(source) >= lines; }, kTimeout);
  CHECK(reached);
  AfterPolls(collector, 3);
  CHECK(collector.LinesTotal(source) == lines);
}

}  // namespace

TEST_CASE("logs: starts at the end, counts appended lines and matches exactly") {
  TempDir dir;
  Append(dir.Join("app.log"), Lines(50, "old ERROR before start"));
  LogsCollector collector(Settings(dir));
  // Every rule×source series exists at 0 from start-up.
  for (const char* rule : {"auth_failure", "error", "critical", "rate_limited", "timeout"}) {
    CHECK(Sample(collector, "medic_log_matches_total", {{"source", "app"}, {"rule", rule}}) == 0);
  }
  for (const char* name :
       {"medic_log_lines_total", "medic_log_bytes_total", "medic_log_rotations_total",
        "medic_log_truncations_total", "medic_log_read_errors_total",
        "medic_log_overlong_lines_total", "medic_log_last_line_timestamp_seconds"}) {
    CHECK_MESSAGE(Counter(collector, name) == 0, name);
  }
  const std::string text = Lines(7, R"(203.0.113.5 - - "GET /admin" 401 Unauthorized)") +
                           Lines(2, R"(198.51.100.7 - - "GET /x" 403 Forbidden)") +
                           Lines(3, "2026-11-29 ERROR upstream timeout") +
                           Lines(8, R"(192.0.2.1 - - "GET /" 200 OK)");
  Append(dir.Join("app.log"), text);
  ExpectLines(collector, 20);
  CHECK(collector.MatchesTotal("app", "auth_failure") == 9);
  CHECK(collector.MatchesTotal("app", "error") == 3);
  CHECK(collector.MatchesTotal("app", "timeout") == 3);
  CHECK(collector.MatchesTotal("app", "critical") == 0);
  // Less than an hour since start: the trailing-hour figure is everything since start.
  CHECK(Sample(collector, "medic_log_matches_last_hour",
               {{"source", "app"}, {"rule", "auth_failure"}}) == 9);
  CHECK(Sample(collector, "medic_log_matches_last_hour",
               {{"source", "app"}, {"rule", "critical"}}) == 0);
  CHECK(Counter(collector, "medic_log_bytes_total") == static_cast<double>(text.size()));
  CHECK(Counter(collector, "medic_log_last_line_timestamp_seconds") > 1.7e9);
  CHECK(Sample(collector, "medic_log_top_offender_matches",
               {{"rule", "auth_failure"}, {"ip", "203.0.113.5"}}) == 7);
  CHECK(Sample(collector, "medic_log_top_offender_matches",
               {{"rule", "auth_failure"}, {"ip", "198.51.100.7"}}) == 2);
  const auto json = collector.OffendersJson();
  CHECK(json["top_k"] == 10);
  REQUIRE(json["rules"]["auth_failure"].size() == 2);
  CHECK(json["rules"]["auth_failure"][0]["ip"] == "203.0.113.5");
  CHECK(json["rules"]["auth_failure"][0]["matches"] == 7);
}

TEST_CASE("logs: from beginning, custom rules with a source filter, partial lines held") {
  TempDir dir;
  Append(dir.Join("app.log"), Lines(4, "login failed from alice"));
  Append(dir.Join("other.log"), "");
  LogSettings settings = Settings(dir, true);
  settings.sources.push_back({"other", dir.Join("other.log"), "", true});
  settings.rules = {{"login", R"(login failed from (?P<client>\w+))", {"app"}},
                    {"any", "failed", {}}};
  LogsCollector collector(settings);
  ExpectLines(collector, 4);
  Append(dir.Join("other.log"), Lines(2, "login failed from mallory"));
  ExpectLines(collector, 2, "other");
  CHECK(collector.MatchesTotal("app", "login") == 4);
  CHECK(collector.MatchesTotal("other", "login") == 0);  // filtered to source app
  CHECK(collector.MatchesTotal("other", "any") == 2);
  CHECK(collector.OffendersJson()["rules"]["login"][0]["ip"] == "alice");
  Append(dir.Join("app.log"), "login failed fr");
  AfterPolls(collector);
  CHECK(collector.LinesTotal("app") == 4);  // held until its newline
  Append(dir.Join("app.log"), "om bob\n");
  ExpectLines(collector, 5);
  CHECK(collector.MatchesTotal("app", "login") == 5);
}

TEST_CASE("logs: rename + create rotation finishes the old file, then reads the new one") {
  TempDir dir;
  Append(dir.Join("app.log"), "");
  LogsCollector collector(Settings(dir));
  Append(dir.Join("app.log"), Lines(5, "ERROR one"));
  ExpectLines(collector, 5);
  REQUIRE(std::rename(dir.Join("app.log").c_str(), dir.Join("app.log.1").c_str()) == 0);
  // The writer has not reopened yet: it keeps writing to the renamed file.
  Append(dir.Join("app.log.1"), Lines(2, "ERROR late"));
  ExpectLines(collector, 7);
  Append(dir.Join("app.log.1"), Lines(1, "ERROR last words"));
  Append(dir.Join("app.log"), Lines(4, "ERROR new"));
  ExpectLines(collector, 12);
  CHECK(collector.MatchesTotal("app", "error") == 12);
  CHECK(Counter(collector, "medic_log_rotations_total") == 1);
  CHECK(Counter(collector, "medic_log_truncations_total") == 0);
  Append(dir.Join("app.log"), Lines(3, "more"));
  ExpectLines(collector, 15);
}

TEST_CASE("logs: copytruncate restarts at offset 0") {
  TempDir dir;
  Append(dir.Join("app.log"), "");
  LogsCollector collector(Settings(dir));
  Append(dir.Join("app.log"), Lines(6, "Unauthorized request"));
  ExpectLines(collector, 6);
  // logrotate copytruncate: copy, then truncate in place; the writer (O_APPEND) continues at 0.
  REQUIRE(::truncate(dir.Join("app.log").c_str(), 0) == 0);
  Append(dir.Join("app.log"), Lines(3, "Unauthorized again"));
  ExpectLines(collector, 9);
  CHECK(collector.MatchesTotal("app", "auth_failure") == 9);
  CHECK(Counter(collector, "medic_log_truncations_total") == 1);
  CHECK(Counter(collector, "medic_log_rotations_total") == 0);
}

TEST_CASE("logs: delete + recreate reads the new file from its start") {
  TempDir dir;
  Append(dir.Join("app.log"), "");
  LogsCollector collector(Settings(dir));
  Append(dir.Join("app.log"), Lines(4, "fatal"));
  ExpectLines(collector, 4);
  REQUIRE(::unlink(dir.Join("app.log").c_str()) == 0);
  AfterPolls(collector);
  Append(dir.Join("app.log"), Lines(3, "fatal again"));
  ExpectLines(collector, 7);
  CHECK(collector.MatchesTotal("app", "critical") == 7);
  CHECK(Counter(collector, "medic_log_rotations_total") == 1);
}

TEST_CASE("logs: restart with the state file neither recounts nor skips") {
  TempDir dir;
  LogSettings settings = Settings(dir);
  settings.state_file = dir.Join("offsets.json");
  Append(dir.Join("app.log"), Lines(10, "before first start"));
  {
    LogsCollector collector(settings);
    Append(dir.Join("app.log"), Lines(5, "ERROR a"));
    ExpectLines(collector, 5);
    Append(dir.Join("app.log"), "ERROR partial li");  // held, not yet a line
    AfterPolls(collector);
  }
  // Stopped: the partial line completes and more lines arrive.
  Append(dir.Join("app.log"), "ne\n" + Lines(2, "ERROR b"));
  {
    LogsCollector collector(settings);
    ExpectLines(collector, 3);
    CHECK(collector.MatchesTotal("app", "error") == 3);
  }
  {  // Restart without new lines: nothing recounted.
    LogsCollector collector(settings);
    AfterPolls(collector);
    CHECK(collector.LinesTotal("app") == 0);
    Append(dir.Join("app.log"), Lines(1, "ERROR c"));
    ExpectLines(collector, 1);
  }
  // Rotated (rename + create) while stopped, with lines written to the old file first.
  Append(dir.Join("app.log"), Lines(2, "ERROR old tail"));
  REQUIRE(std::rename(dir.Join("app.log").c_str(), dir.Join("app.log.1").c_str()) == 0);
  Append(dir.Join("app.log"), Lines(3, "ERROR new file"));
  {
    LogsCollector collector(settings);
    ExpectLines(collector, 5);
    CHECK(collector.MatchesTotal("app", "error") == 5);
    CHECK(Counter(collector, "medic_log_rotations_total") == 1);
  }
  // copytruncate while stopped: the file is shorter than the saved offset.
  REQUIRE(::truncate(dir.Join("app.log").c_str(), 0) == 0);
  Append(dir.Join("app.log"), Lines(1, "x"));
  {
    LogsCollector collector(settings);
    ExpectLines(collector, 1);
    CHECK(Counter(collector, "medic_log_truncations_total") == 1);
  }
}

TEST_CASE("logs: binary junk, NUL bytes, invalid UTF-8 and a 10 MB line without newline") {
  TempDir dir;
  Append(dir.Join("app.log"), "");
  LogsCollector collector(Settings(dir));
  std::string junk;
  for (int i = 0; i < 5000; ++i)
    junk += static_cast<char>((i * 7919) % 256 == '\n' ? 0 : (i * 7919) % 256);
  junk += "\n";
  junk += std::string("NUL\0in ERROR line\n", 18);
  junk += "\xff\xfe\xc3( Unauthorized \xed\xa0\x80\n";
  Append(dir.Join("app.log"), junk);
  ExpectLines(collector, 2);  // the 5000-byte junk line is overlong (max_line_bytes 4096)
  CHECK(Counter(collector, "medic_log_overlong_lines_total") == 1);
  CHECK(collector.MatchesTotal("app", "error") == 1);
  CHECK(collector.MatchesTotal("app", "auth_failure") == 1);
  // 10 MB without a newline, in pieces: one overlong line, bounded memory, nothing stalls.
  const std::string chunk(1 << 20, 'A');
  for (int i = 0; i < 10; ++i) Append(dir.Join("app.log"), chunk);
  WaitFor([&] { return Counter(collector, "medic_log_bytes_total") > 10e6; }, kTimeout);
  CHECK(Counter(collector, "medic_log_overlong_lines_total") == 2);
  Append(dir.Join("app.log"), "end of the long one\nERROR after\n");
  ExpectLines(collector, 3);
  CHECK(collector.MatchesTotal("app", "error") == 2);
  CHECK(Counter(collector, "medic_log_overlong_lines_total") == 2);
}

TEST_CASE("logs: a file that appears later, and a file replaced by a directory") {
  TempDir dir;
  LogSettings settings = Settings(dir);
  settings.sources.push_back({"late", dir.Join("late.log"), "", false});
  Append(dir.Join("app.log"), "");
  LogsCollector collector(settings);
  AfterPolls(collector);
  CHECK(Counter(collector, "medic_log_read_errors_total", "late") == 0);  // missing is not an error
  Append(dir.Join("late.log"), Lines(3, "ERROR early bird"));
  ExpectLines(collector, 3, "late");  // read from its first line
  // Replace app.log by a directory: an error, but the other source keeps going.
  Append(dir.Join("app.log"), Lines(2, "x"));
  ExpectLines(collector, 2);
  REQUIRE(::unlink(dir.Join("app.log").c_str()) == 0);
  REQUIRE(::mkdir(dir.Join("app.log").c_str(), 0755) == 0);
  CHECK(WaitFor([&] { return Counter(collector, "medic_log_read_errors_total") == 1; }, kTimeout));
  Append(dir.Join("late.log"), Lines(2, "still counting"));
  ExpectLines(collector, 5, "late");
  AfterPolls(collector);
  CHECK(Counter(collector, "medic_log_read_errors_total") == 1);  // once per episode
  REQUIRE(::rmdir(dir.Join("app.log").c_str()) == 0);
  Append(dir.Join("app.log"), Lines(4, "back"));
  ExpectLines(collector, 6);
  CHECK(Counter(collector, "medic_log_rotations_total") == 1);
}

TEST_CASE("logs: permission removed mid-run is a read error, not a crash") {
  if (::geteuid() == 0) {
    MESSAGE("running as root: permissions cannot be removed from root; skipped");
    return;
  }
  TempDir dir;
  Append(dir.Join("app.log"), "");
  LogsCollector collector(Settings(dir));
  Append(dir.Join("app.log"), Lines(2, "x"));
  ExpectLines(collector, 2);
  // Rotate to a file we may not read.
  REQUIRE(::unlink(dir.Join("app.log").c_str()) == 0);
  Append(dir.Join("app.log"), Lines(2, "secret"));
  REQUIRE(::chmod(dir.Join("app.log").c_str(), 0) == 0);
  CHECK(WaitFor([&] { return Counter(collector, "medic_log_read_errors_total") == 1; }, kTimeout));
  REQUIRE(::chmod(dir.Join("app.log").c_str(), 0644) == 0);
  ExpectLines(collector, 4);
}
