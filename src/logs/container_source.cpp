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

ContainerLogSource::ContainerLogSource(std::string container, std::string docker_host,
                                       std::size_t max_line_bytes, bool from_beginning,
                                       std::optional<FileOffset> saved)
    : container_(std::move(container)),
      client_(docker::ResolveDockerHost(docker_host)),
      max_line_bytes_(max_line_bytes),
      from_beginning_(from_beginning) {
  if (saved && !saved->container_id.empty()) {
    id_ = saved->container_id;
    last_ = ParseLogTimestamp(saved->container_since);
    if (last_) last_text_ = saved->container_since;
    first_poll_ = false;  // resume: the saved position decides
  }
}

void ContainerLogSource::ReportError(LineSink& sink, const std::string& message) {
  if (message == last_error_) return;
  last_error_ = message;
  sink.OnReadError(message);
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
      if (skip_existing) {
        // Start at the end: remember the newest line's timestamp without counting anything.
        options.tail = 1;
        for (const auto& frame : client_.GetLogs(id_, options, details.tty).frames) {
          const std::string_view data(frame.data);
          if (auto stamp = ParseLogTimestamp(data.substr(0, data.find(' ')))) {
            if (!last_ || *stamp > *last_) {
              last_ = stamp;
              last_text_ = std::string(data.substr(0, data.find(' ')));
            }
          }
        }
        first_poll_ = false;
        last_error_.clear();
        return;
      }
    }
    first_poll_ = false;
    if (last_) options.since = last_->seconds;
    const docker::Logs logs = client_.GetLogs(id_, options, details.tty);
    // One splitter per stream: frames of stdout and stderr interleave.
    LineSplitter out(max_line_bytes_ + 64), err(max_line_bytes_ + 64);
    const std::optional<LogTimestamp> cutoff = last_;
    auto on_line = [&](std::string_view line) {
      const std::size_t space = line.find(' ');
      const std::string_view stamp_text = line.substr(0, space);
      const auto stamp = ParseLogTimestamp(stamp_text);
      if (stamp && cutoff && *stamp <= *cutoff) return;  // counted by an earlier poll
      if (stamp && (!last_ || *stamp > *last_)) {
        last_ = stamp;
        last_text_ = std::string(stamp_text);
      }
      sink.OnLine(space == std::string_view::npos ? std::string_view() : line.substr(space + 1));
    };
    auto on_overlong = [&] { sink.OnOverlongLine(); };
    for (const auto& frame : logs.frames) {
      sink.OnBytes(frame.data.size());
      LineSplitter& splitter = frame.stream == docker::LogStream::kStderr ? err : out;
      splitter.Feed(frame.data, on_line, on_overlong);
    }
    out.Flush(on_line);
    err.Flush(on_line);
    last_error_.clear();
  } catch (const std::exception& error) {
    ReportError(sink, "container " + container_ + ": " + error.what());
  }
}

FileOffset ContainerLogSource::Position() const {
  FileOffset position;
  position.container_id = id_;
  position.container_since = last_text_;
  return position;
}

}  // namespace medic::logs
