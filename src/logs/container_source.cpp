#include "medic/logs/container_source.h"

#include "medic/logs/line_splitter.h"

#include <charconv>
#include <ctime>

namespace medic::logs {
namespace {

bool ParseInt(std::string_view text, int& out) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

}  // namespace

std::optional<LogTimestamp> ParseLogTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseInt(text.substr(0, 4), year) || !ParseInt(text.substr(5, 2), month) ||
      !ParseInt(text.substr(8, 2), day) || !ParseInt(text.substr(11, 2), hour) ||
      !ParseInt(text.substr(14, 2), minute) || !ParseInt(text.substr(17, 2), second)) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  LogTimestamp stamp;
  std::size_t position = 19;
  if (position < text.size() && text[position] == '.') {
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
  std::int64_t offset_seconds = 0;
  const std::string_view zone = text.substr(position);
  if (zone != "Z") {
    int hours = 0, minutes = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
        !ParseInt(zone.substr(1, 2), hours) || !ParseInt(zone.substr(4, 2), minutes)) {
      return std::nullopt;
    }
    offset_seconds = (hours * 3600 + minutes * 60) * (zone[0] == '+' ? 1 : -1);
  }
  stamp.seconds = static_cast<std::int64_t>(::timegm(&tm)) - offset_seconds;
  return stamp;
}

ContainerLogSource::ContainerLogSource(std::string container, const DockerSettings& docker,
                                       std::size_t max_line_bytes, bool from_beginning,
                                       std::optional<FileOffset> saved)
    : container_(std::move(container)),
      client_(docker::ResolveDockerHost(docker.host),
              std::chrono::duration_cast<std::chrono::milliseconds>(docker.timeout)),
      max_line_bytes_(max_line_bytes),
      from_beginning_(from_beginning) {
  if (saved && !saved->container_id.empty()) {
    id_ = saved->container_id;
    last_ = ParseLogTimestamp(saved->container_since);
    if (last_) last_text_ = saved->container_since;
    lines_at_last_ = saved->container_lines_at_since;
    first_poll_ = false;  // resume: the saved position decides
  }
}

void ContainerLogSource::ReportError(LineSink& sink, const std::string& message) {
  if (message == last_error_) return;
  last_error_ = message;
  sink.OnReadError(message);
}

void ContainerLogSource::Advance(const StampedLine& line) {
  last_ = line.stamp;
  last_text_ = std::string(line.stamp_text);
  lines_at_last_ = 0;
}

void ContainerLogSource::ReadLines(const docker::Logs& logs,
                                   const std::function<void(const StampedLine&)>& on_stamped_line,
                                   LineSink* sink) const {
  // One splitter per stream: frames of stdout and stderr interleave.
  LineSplitter out(max_line_bytes_ + 64), err(max_line_bytes_ + 64);
  auto on_line = [&](std::string_view line) {
    const std::size_t space = line.find(' ');
    const std::string_view stamp_text = line.substr(0, space);
    on_stamped_line(
        StampedLine{space == std::string_view::npos ? std::string_view() : line.substr(space + 1),
                    stamp_text, ParseLogTimestamp(stamp_text)});
  };
  auto on_overlong = [&] {
    if (sink != nullptr) sink->OnOverlongLine();
  };
  for (const auto& frame : logs.frames) {
    if (sink != nullptr) sink->OnBytes(frame.data.size());
    LineSplitter& splitter = frame.stream == docker::LogStream::kStderr ? err : out;
    splitter.Feed(frame.data, on_line, on_overlong);
  }
  out.Flush(on_line);
  err.Flush(on_line);
}

void ContainerLogSource::Poll(LineSink& sink) {
  try {
    const docker::ContainerDetails details = client_.Inspect(container_);
    docker::LogOptions options;
    options.timestamps = true;
    if (details.id != id_) {
      if (!id_.empty()) sink.OnRotation();  // recreated: a new log from its beginning
      const bool skip_existing = first_poll_ && !from_beginning_;
      id_ = details.id;
      last_.reset();
      last_text_.clear();
      lines_at_last_ = 0;
      if (skip_existing) {
        // Start at the end: remember the newest line's timestamp, and how many lines carry it,
        // without counting anything.
        options.tail = 1;
        ReadLines(client_.GetLogs(id_, options, details.tty), [&](const StampedLine& line) {
          if (line.stamp && (!last_ || *line.stamp > *last_)) Advance(line);
        });
        if (last_) {
          options.tail.reset();
          options.since = last_->seconds;
          lines_at_last_ = 0;
          ReadLines(client_.GetLogs(id_, options, details.tty), [&](const StampedLine& line) {
            if (line.stamp && *line.stamp == *last_) ++lines_at_last_;
          });
        }
        first_poll_ = false;
        last_error_.clear();
        return;
      }
    }
    first_poll_ = false;
    if (last_) options.since = last_->seconds;
    const std::optional<LogTimestamp> cutoff = last_;
    std::uint64_t already_counted_at_cutoff = lines_at_last_;
    ReadLines(
        client_.GetLogs(id_, options, details.tty),
        [&](const StampedLine& line) {
          const auto& stamp = line.stamp;
          if (stamp && cutoff) {
            if (*stamp < *cutoff) return;  // counted by an earlier poll
            // The engine returns lines in log order, so the first lines stamped exactly `cutoff`
            // are the ones an earlier poll counted.
            if (*stamp == *cutoff && already_counted_at_cutoff > 0) {
              --already_counted_at_cutoff;
              return;
            }
          }
          if (stamp) {
            if (!last_ || *stamp > *last_) Advance(line);
            if (*stamp == *last_) ++lines_at_last_;
          }
          sink.OnLine(line.text);
        },
        &sink);
    last_error_.clear();
  } catch (const std::exception& error) {
    ReportError(sink, "container " + container_ + ": " + error.what());
  }
}

FileOffset ContainerLogSource::Position() const {
  FileOffset position;
  position.container_id = id_;
  position.container_since = last_text_;
  position.container_lines_at_since = lines_at_last_;
  return position;
}

}  // namespace medic::logs
