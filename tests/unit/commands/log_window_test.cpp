// The log window on real files: which lines count, which files are read, what is kept.
#include "medic/commands/log_window.h"

#include "medic/commands/check.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <sys/time.h>

#include <ctime>

namespace {

using medic::commands::CheckLogRules;
using medic::commands::ReadLogWindows;
using medic::commands::SourceWindow;
using medic::test::TempDir;

std::string Stamp(std::int64_t unix_seconds) { return medic::test::Rfc3339Utc(unix_seconds); }

void SetModified(const std::string& path, std::int64_t unix_seconds) {
  struct timeval times[2];
  times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(unix_seconds);
  times[0].tv_usec = times[1].tv_usec = 0;
  REQUIRE(::utimes(path.c_str(), times) == 0);
}

const medic::commands::RuleWindowCount& Rule(const SourceWindow& source, const std::string& name) {
  for (const auto& rule : source.rules) {
    if (rule.rule == name) return rule;
  }
  FAIL("no rule " << name);
  throw std::logic_error("unreachable");
}

std::vector<SourceWindow> Read(const std::vector<medic::LogSource>& sources, std::int64_t now,
                               std::chrono::seconds window = std::chrono::hours(24),
                               std::vector<medic::LogRule> rules = {}) {
  medic::LogSettings settings;
  settings.rules = std::move(rules);
  medic::commands::LogWindowOptions options;
  options.now_seconds = now;
  options.max_line_bytes = 200;
  return ReadLogWindows(sources, CheckLogRules(settings, window), options);
}

}  // namespace

TEST_CASE("timestamped lines: only the window counts, the rotated .1 is read first") {
  TempDir dir;
  const std::int64_t now = std::time(nullptr);
  const std::int64_t hour = 3600;
  // app.log.1: rotated 20 h ago; one line from 30 h ago (outside 24 h), four inside.
  std::string rotated = Stamp(now - 30 * hour) + " ERROR old one\n";
  for (int i = 1; i <= 4; ++i) {
    rotated += Stamp(now - 23 * hour + i) + " ERROR rotated " + std::to_string(i) + "\n";
  }
  rotated += Stamp(now - 22 * hour) + " WARN authentication failed for bob\n";
  dir.Write("app.log.1", rotated);
  SetModified(dir.Join("app.log.1"), now - 20 * hour);
  // app.log: three more errors and a stack trace continuation line that inherits its stamp.
  std::string current;
  for (int i = 1; i <= 3; ++i) {
    current += Stamp(now - 2 * hour + i) + " ERROR current " + std::to_string(i) + "\n";
  }
  current += "    at ERROR frame (continuation)\n";
  current += Stamp(now - 8 * 24 * hour) + " unauthorized too old even for 7d\n";
  dir.Write("app.log", current);
  SetModified(dir.Join("app.log"), now - 60);
  // A .2 is never read: logrotate's older generations predate .1.
  dir.Write("app.log.2", Stamp(now - hour) + " ERROR never read\n");

  const auto results = Read({{"app", dir.Join("app.log"), "", false}}, now);
  REQUIRE(results.size() == 1);
  const SourceWindow& app = results[0];
  INFO(app.error);
  CHECK(app.error.empty());
  CHECK(app.kind == "file");
  CHECK(app.files_read == std::vector<std::string>{dir.Join("app.log.1"), dir.Join("app.log")});
  const auto& errors = Rule(app, "error");
  CHECK(errors.window == std::chrono::hours(24));
  CHECK(errors.count == 8);
  CHECK(errors.last_lines ==
        std::vector<std::string>{Stamp(now - 23 * hour + 4) + " ERROR rotated 4",
                                 Stamp(now - 2 * hour + 1) + " ERROR current 1",
                                 Stamp(now - 2 * hour + 2) + " ERROR current 2",
                                 Stamp(now - 2 * hour + 3) + " ERROR current 3",
                                 "    at ERROR frame (continuation)"});
  const auto& auth = Rule(app, "auth_failure");
  CHECK(auth.window == std::chrono::hours(24 * 7));
  CHECK(auth.count == 1);
  CHECK(app.untimestamped_lines == 0);
}

TEST_CASE("the auth window reaches 7 days back although --since is 24h") {
  TempDir dir;
  const std::int64_t now = std::time(nullptr);
  std::string log;
  log += Stamp(now - 3 * 86400) + " 203.0.113.7 unauthorized\n";  // in 7d, not in 24h
  log += Stamp(now - 3 * 86400) + " ERROR three days ago\n";
  log += Stamp(now - 100) + " Forbidden ERROR\n";
  dir.Write("a.log", log);
  const auto results = Read({{"a", dir.Join("a.log"), "", false}}, now);
  CHECK(Rule(results[0], "auth_failure").count == 2);
  CHECK(Rule(results[0], "error").count == 1);
  // A longer --since widens every window, the auth one too.
  const auto month = Read({{"a", dir.Join("a.log"), "", false}}, now, std::chrono::hours(24 * 30));
  CHECK(Rule(month[0], "auth_failure").window == std::chrono::hours(24 * 30));
  CHECK(Rule(month[0], "error").count == 2);
}

TEST_CASE("lines without timestamps count when their file was written within the window") {
  TempDir dir;
  const std::int64_t now = std::time(nullptr);
  dir.Write("plain.log", "ERROR one\nERROR two\nall good\n");
  SetModified(dir.Join("plain.log"), now - 3600);
  dir.Write("plain.log.1", "ERROR rotated long ago\n");
  // Older than the longest window (auth failures, 7 days): nothing in it counts.
  SetModified(dir.Join("plain.log.1"), now - 8 * 86400);
  const auto fresh = Read({{"plain", dir.Join("plain.log"), "", false}}, now);
  CHECK(Rule(fresh[0], "error").count == 2);
  CHECK(fresh[0].untimestamped_lines == 3);
  CHECK(fresh[0].files_read == std::vector<std::string>{dir.Join("plain.log")});

  // Two days: inside the auth window, outside the 24 h one.
  SetModified(dir.Join("plain.log"), now - 2 * 86400);
  const auto older = Read({{"plain", dir.Join("plain.log"), "", false}}, now);
  CHECK(Rule(older[0], "error").count == 0);
  CHECK(older[0].untimestamped_lines == 3);

  SetModified(dir.Join("plain.log"), now - 8 * 86400);
  const auto stale = Read({{"plain", dir.Join("plain.log"), "", false}}, now);
  CHECK(Rule(stale[0], "error").count == 0);
  CHECK(stale[0].files_read.empty());
  REQUIRE(stale[0].notes.size() == 1);
  CHECK(stale[0].notes[0].find("last written before the window") != std::string::npos);
}

TEST_CASE("a compressed .1.gz is named, a missing file is an error, rules pick their sources") {
  TempDir dir;
  const std::int64_t now = std::time(nullptr);
  dir.Write("b.log", Stamp(now - 10) + " ERROR b\n");
  dir.Write("b.log.1.gz", "\x1f\x8b");
  std::vector<medic::LogRule> rules{{"error", R"(\bERROR\b)", {"b"}},
                                    {"auth_failure", "unauthorized", {}}};
  const auto results =
      Read({{"b", dir.Join("b.log"), "", false}, {"missing", dir.Join("missing.log"), "", false}},
           now, std::chrono::hours(24), rules);
  REQUIRE(results.size() == 2);
  CHECK(Rule(results[0], "error").count == 1);
  REQUIRE(results[0].notes.size() == 1);
  CHECK(results[0].notes[0] ==
        dir.Join("b.log.1.gz") + " was written within the window but is compressed: not read");
  CHECK(results[1].error == dir.Join("missing.log") + ": No such file or directory");
  REQUIRE(results[1].rules.size() == 1);  // "error" is only for source b
  CHECK(results[1].rules[0].rule == "auth_failure");
}

TEST_CASE("overlong lines are skipped and counted, shown lines are terminal-safe") {
  TempDir dir;
  const std::int64_t now = std::time(nullptr);
  dir.Write("c.log", Stamp(now - 5) + " ERROR " + std::string(300, 'x') + "\n" + Stamp(now - 4) +
                         " ERROR \x1b[31mred\x1b[0m \xff\n");
  const auto results = Read({{"c", dir.Join("c.log"), "", false}}, now);
  CHECK(results[0].overlong_lines == 1);
  const auto& errors = Rule(results[0], "error");
  CHECK(errors.count == 1);
  CHECK(errors.last_lines ==
        std::vector<std::string>{Stamp(now - 4) + " ERROR \\x1B[31mred\\x1B[0m \xEF\xBF\xBD"});
}
