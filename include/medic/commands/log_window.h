#pragma once

#include "medic/config.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace medic::commands {

// `medic check`'s log review: every configured log source read over a time window by the
// command itself, like the seed's `docker logs --since=24h | grep -c ERROR` and
// `grep … | tail -5`. It never reads or writes the daemon's offset state, so a first run, a
// cron-only install and a run beside the daemon all count the same lines.

// A rule and how far back its count reaches (the seed counts auth failures over 7 days).
struct WindowedRule {
  LogRule rule;
  std::chrono::seconds window{0};
};

struct RuleWindowCount {
  std::string rule;
  std::chrono::seconds window{0};
  std::uint64_t count = 0;
  // The last matching lines, oldest first, made terminal- and JSON-safe (TerminalSafeText).
  std::vector<std::string> last_lines;
};

struct SourceWindow {
  std::string name;
  std::string kind;    // "file" or "container"
  std::string target;  // the path or the container name
  // Files read, oldest first: "<path>.1" when it was written within the window, then the path.
  std::vector<std::string> files_read;
  std::vector<RuleWindowCount> rules;  // the rules that apply to this source, in config order
  std::uint64_t lines_in_window = 0;   // lines inside the longest window
  // File lines without a recognisable timestamp (LeadingLogTime), nor one on a line before
  // them in the same file: they were counted because their file was written within the window.
  std::uint64_t untimestamped_lines = 0;
  std::uint64_t overlong_lines = 0;  // longer than max_line_bytes: skipped, like the collector
  std::vector<std::string> notes;    // what was not read and why, e.g. a compressed app.log.1.gz
  std::string error;                 // empty: the source was read
};

struct LogWindowOptions {
  std::int64_t now_seconds = 0;  // the window ends here (unix seconds)
  std::size_t max_line_bytes = std::size_t{64} * 1024;
  std::size_t last_lines = 5;              // per rule, like `tail -5`
  std::size_t max_shown_line_bytes = 512;  // a shown line is cut there ("…")
  std::string docker_host;                 // resolved engine address for container sources
  std::chrono::milliseconds docker_timeout{5000};
  // Container logs are fetched in time slices no larger than this many bytes each (the
  // engine API client buffers an answer): a slice that is larger is split in two.
  std::size_t max_container_slice_bytes = 16 << 20;
};

// Reads every source over the longest rule window ending at options.now_seconds and counts
// each rule over its own window. Container sources: GET /containers/{name}/logs with
// since/until and timestamps=1 (the stamps bound the window exactly and are stripped before
// matching). File sources: the file, and "<path>.1" first when that was written within the
// window; each line's time is its own timestamp (or the last one above it in the same file),
// else the file's modification time. Memory: lines are streamed; only the last lines per rule
// are kept. A source that cannot be read gets `error` and does not stop the others.
// Throws logs::InvalidRuleError for a rule that does not compile.
std::vector<SourceWindow> ReadLogWindows(const std::vector<LogSource>& sources,
                                         const std::vector<WindowedRule>& rules,
                                         const LogWindowOptions& options);

}  // namespace medic::commands
