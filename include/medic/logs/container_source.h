#pragma once

#include "medic/config.h"

#include "medic/docker/client.h"
#include "medic/logs/line_sink.h"
#include "medic/logs/log_timestamp.h"
#include "medic/logs/offset_state.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace medic::logs {

// A container's logs through the Docker Engine API, polled incrementally: each poll asks for
// stdout+stderr with timestamps since the last second seen and skips what an earlier poll
// counted: lines older than the last line counted, and the first N lines stamped exactly like
// it (N remembered), since podman stamps whole seconds and many lines share a stamp. So a
// restarted container (same id) is not recounted, and lines in the same second as the last
// poll are not lost. A new container id under the name (recreated) counts as a rotation and is
// read from its beginning. The position (id, last timestamp, N) goes to the offset state file.
class ContainerLogSource {
 public:
  ContainerLogSource(std::string container, const DockerSettings& docker,
                     std::size_t max_line_bytes, bool from_beginning,
                     std::optional<FileOffset> saved);

  void Poll(LineSink& sink);
  FileOffset Position() const;

 private:
  void ReportError(LineSink& sink, const std::string& message);

  std::string container_;
  docker::DockerClient client_;
  std::size_t max_line_bytes_;
  bool from_beginning_;
  bool first_poll_ = true;
  std::string id_;
  struct StampedLine {
    std::string_view text;        // without the timestamp
    std::string_view stamp_text;  // as the engine wrote it
    std::optional<LogTimestamp> stamp;
  };
  // Splits the demultiplexed frames into lines (per stream) and hands each over with its
  // timestamp; counts bytes and overlong lines into `sink` when given.
  void ReadLines(const docker::Logs& logs,
                 const std::function<void(const StampedLine&)>& on_stamped_line,
                 LineSink* sink = nullptr) const;
  void Advance(const StampedLine& line);

  std::optional<LogTimestamp> last_;
  std::string last_text_;
  std::uint64_t lines_at_last_ = 0;  // counted lines stamped exactly last_
  std::string last_error_;
};

}  // namespace medic::logs
