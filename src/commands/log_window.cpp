#include "medic/commands/log_window.h"

#include "medic/commands/terminal_safe_text.h"
#include "medic/docker/client.h"
#include "medic/logs/container_source.h"
#include "medic/logs/line_splitter.h"
#include "medic/logs/log_timestamp.h"
#include "medic/logs/rule_matcher.h"
#include "medic/unique_fd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>

namespace medic::commands {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::size_t kReadChunkBytes = std::size_t{64} * 1024;
// Room for the engine's "2026-12-01T09:00:00.123456789Z " in front of a container line.
constexpr std::size_t kContainerStampBytes = 64;
// Splitting stops here: a slice this narrow that is still too large is an error, not a loop.
constexpr std::int64_t kMinSliceSeconds = 1;
constexpr int kMaxSliceRequests = 1024;

std::int64_t Nanos(const logs::LogTimestamp& stamp) {
  return stamp.seconds * kNanosPerSecond + stamp.nanos;
}

std::int64_t ModifiedNanos(const struct stat& info) {
  return static_cast<std::int64_t>(info.st_mtim.tv_sec) * kNanosPerSecond + info.st_mtim.tv_nsec;
}

bool Applies(const LogRule& rule, const std::string& source) {
  return rule.sources.empty() ||
         std::find(rule.sources.begin(), rule.sources.end(), source) != rule.sources.end();
}

// Counts one source's lines into the windows of the rules that apply to it.
class WindowCounter {
 public:
  WindowCounter(const logs::RuleMatcher& matcher, const std::vector<WindowedRule>& rules,
                const LogWindowOptions& options, SourceWindow& result)
      : matcher_(matcher), options_(options), result_(result), local_of_rule_(rules.size(), -1) {
    for (std::size_t index = 0; index < rules.size(); ++index) {
      if (!Applies(rules[index].rule, result.name)) continue;
      local_of_rule_[index] = static_cast<int>(result.rules.size());
      result.rules.push_back(RuleWindowCount{rules[index].rule.name, rules[index].window, 0, {}});
      const std::int64_t start =
          (options.now_seconds - rules[index].window.count()) * kNanosPerSecond;
      starts_.push_back(start);
      earliest_ = std::min(earliest_, start);
    }
    rings_.resize(result.rules.size());
  }

  // Where the longest window starts (unix nanoseconds).
  std::int64_t earliest() const { return earliest_; }

  // Counts `line`, written at `written` (unix nanoseconds). False if it is before every window.
  bool Count(std::string_view line, std::int64_t written) {
    if (written < earliest_) return false;
    ++result_.lines_in_window;
    if (!matcher_.Match(line, matched_)) return true;
    for (const int rule : matched_) {
      const int local = local_of_rule_[static_cast<std::size_t>(rule)];
      if (local < 0) continue;
      const auto slot = static_cast<std::size_t>(local);
      if (written < starts_[slot]) continue;
      ++result_.rules[slot].count;
      auto& ring = rings_[slot];
      ring.push_back(TerminalSafeText(line, options_.max_shown_line_bytes));
      if (ring.size() > options_.last_lines) ring.pop_front();
    }
    return true;
  }

  void Finish() {
    for (std::size_t slot = 0; slot < rings_.size(); ++slot) {
      result_.rules[slot].last_lines.assign(std::make_move_iterator(rings_[slot].begin()),
                                            std::make_move_iterator(rings_[slot].end()));
    }
  }

 private:
  const logs::RuleMatcher& matcher_;
  const LogWindowOptions& options_;
  SourceWindow& result_;
  std::vector<int> local_of_rule_;  // rule index -> index in result_.rules, -1: not this source
  std::vector<std::int64_t> starts_;
  std::int64_t earliest_ = INT64_MAX;
  std::vector<int> matched_;
  std::vector<std::deque<std::string>> rings_;
};

std::optional<struct stat> StatFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return info;
}

std::string Errno(const std::string& path) { return path + ": " + std::strerror(errno); }

// Streams one file through the counter. A line's time is its own timestamp, else the last one
// above it in this file (continuation lines of a stack trace), else the file's mtime.
void CountFile(const std::string& path, WindowCounter& counter, SourceWindow& result,
               const LogWindowOptions& options) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) throw std::runtime_error(Errno(path));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw std::runtime_error(Errno(path));
  // A FIFO or device would block or never end: only regular files are logs here.
  if (!S_ISREG(info.st_mode)) throw std::runtime_error(path + ": not a regular file");
  const std::int64_t modified = ModifiedNanos(info);
  result.files_read.push_back(path);
  logs::LineSplitter splitter(options.max_line_bytes);
  std::optional<std::int64_t> last_stamp;
  auto on_line = [&](std::string_view line) {
    if (const auto stamp = logs::LeadingLogTime(line)) last_stamp = Nanos(*stamp);
    const bool untimestamped = !last_stamp;
    if (counter.Count(line, last_stamp.value_or(modified)) && untimestamped) {
      ++result.untimestamped_lines;
    }
  };
  auto on_overlong = [&] { ++result.overlong_lines; };
  std::vector<char> buffer(kReadChunkBytes);
  for (;;) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(Errno(path));
    }
    if (got == 0) break;
    splitter.Feed(std::string_view(buffer.data(), static_cast<std::size_t>(got)), on_line,
                  on_overlong);
  }
  splitter.Flush(on_line);  // a last line without '\n' is a line, as grep counts it
}

void ReadFileSource(const LogSource& source, WindowCounter& counter, SourceWindow& result,
                    const LogWindowOptions& options) {
  const std::string& path = source.path;
  const std::string rotated = path + ".1";
  auto written_in_window = [&](const std::optional<struct stat>& info) {
    return info && ModifiedNanos(*info) >= counter.earliest();
  };
  // The rotated file's last write is its newest line: older than the window, nothing in it
  // counts; newer, it holds lines of the window (written before those of the current file).
  const auto rotated_info = StatFile(rotated);
  if (written_in_window(rotated_info)) {
    CountFile(rotated, counter, result, options);
  } else if (const auto compressed = StatFile(rotated + ".gz"); written_in_window(compressed)) {
    result.notes.push_back(rotated +
                           ".gz was written within the window but is compressed: not read");
  }
  const auto current = StatFile(path);
  if (!current) {
    if (result.files_read.empty()) throw std::runtime_error(Errno(path));
    result.notes.push_back(path + " does not exist (rotated away)");
    return;
  }
  if (!written_in_window(current) && S_ISREG(current->st_mode)) {
    result.notes.push_back(path + " was last written before the window: nothing in it counts");
    return;
  }
  CountFile(path, counter, result, options);
}

bool TooLarge(const docker::DockerError& error) {
  return error.IsTransport() && error.message().find("larger than") != std::string::npos;
}

// Reads a container's logs from `since` (unix seconds) to now with the engine's timestamps.
// The client holds a whole answer in memory, so the window is asked for in slices: the whole
// window first, and a slice whose answer exceeds max_container_slice_bytes is split in two.
class ContainerWindowReader {
 public:
  ContainerWindowReader(const LogSource& source, WindowCounter& counter, SourceWindow& result,
                        const LogWindowOptions& options)
      : counter_(counter),
        result_(result),
        options_(options),
        client_(options.docker_host, options.docker_timeout),
        details_(client_.Inspect(source.container)) {}

  void Read() { ReadSlice(counter_.earliest() / kNanosPerSecond, std::nullopt); }

 private:
  // [from, to) in unix seconds; no `to`: up to now and whatever is written meanwhile.
  void ReadSlice(std::int64_t from, std::optional<std::int64_t> to) {
    docker::LogOptions query;
    query.timestamps = true;
    query.since = from;
    // The engine's `until` is whole seconds and its inclusiveness differs between engines: ask
    // a second more and keep exactly [from, to) by the stamps below.
    if (to) query.until = *to + 1;
    query.max_bytes = options_.max_container_slice_bytes;
    docker::Logs logs;
    try {
      ++requests_;
      logs = client_.GetLogs(details_.id, query, details_.tty);
    } catch (const docker::DockerError& error) {
      const std::int64_t end = to.value_or(options_.now_seconds + 1);
      if (!TooLarge(error) || end - from <= kMinSliceSeconds || requests_ >= kMaxSliceRequests) {
        throw;
      }
      const std::int64_t middle = from + (end - from) / 2;
      ReadSlice(from, middle);
      ReadSlice(middle, to);
      return;
    }
    const std::int64_t from_nanos = from * kNanosPerSecond;
    // No end: every line the engine returns is before it.
    const std::int64_t to_nanos =
        to ? *to * kNanosPerSecond : std::numeric_limits<std::int64_t>::max();
    // One splitter per stream: frames of stdout and stderr interleave.
    logs::LineSplitter out(options_.max_line_bytes + kContainerStampBytes);
    logs::LineSplitter err(options_.max_line_bytes + kContainerStampBytes);
    auto on_line = [&](std::string_view line) {
      const std::size_t space = line.find(' ');
      const auto stamp = logs::ParseLogTimestamp(line.substr(0, space));
      std::int64_t written = from_nanos;  // unstamped: the engine put it inside the slice
      if (stamp) {
        written = Nanos(*stamp);
        line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
      }
      if (written < from_nanos || written >= to_nanos) return;
      counter_.Count(line, written);
    };
    auto on_overlong = [&] { ++result_.overlong_lines; };
    for (const auto& frame : logs.frames) {
      auto& splitter = frame.stream == docker::LogStream::kStderr ? err : out;
      splitter.Feed(frame.data, on_line, on_overlong);
    }
    out.Flush(on_line);
    err.Flush(on_line);
  }

  WindowCounter& counter_;
  SourceWindow& result_;
  const LogWindowOptions& options_;
  docker::DockerClient client_;
  docker::ContainerDetails details_;
  int requests_ = 0;
};

}  // namespace

std::vector<SourceWindow> ReadLogWindows(const std::vector<LogSource>& sources,
                                         const std::vector<WindowedRule>& rules,
                                         const LogWindowOptions& options) {
  std::vector<LogRule> plain_rules;
  plain_rules.reserve(rules.size());
  for (const auto& windowed : rules) plain_rules.push_back(windowed.rule);
  const logs::RuleMatcher matcher(plain_rules);
  std::vector<SourceWindow> results;
  results.reserve(sources.size());
  for (const LogSource& source : sources) {
    SourceWindow& result = results.emplace_back();
    result.name = source.name;
    result.kind = source.container.empty() ? "file" : "container";
    result.target = source.container.empty() ? source.path : source.container;
    WindowCounter counter(matcher, rules, options, result);
    try {
      if (result.rules.empty()) {
        // No rule applies to this source: nothing to count, nothing to read.
      } else if (source.container.empty()) {
        ReadFileSource(source, counter, result, options);
      } else {
        ContainerWindowReader(source, counter, result, options).Read();
      }
    } catch (const std::exception& error) {
      result.error = error.what();
    }
    counter.Finish();
  }
  return results;
}

}  // namespace medic::commands
