#include "medic/logs/container_source.h"

#include "medic/logs/line_splitter.h"

#include <ctime>

namespace medic::logs {

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
