#pragma once

#include "medic/docker/client.h"
#include "medic/logs/line_sink.h"
#include "medic/logs/offset_state.h"

#include <cstdint>
#include <optional>
#include <string>

namespace medic::logs {

// A log timestamp (Docker's RFC 3339 with up to nanoseconds) as comparable integers.
struct LogTimestamp {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;
  auto operator<=>(const LogTimestamp&) const = default;
};
// Parses "2026-11-29T03:00:00.123456789Z" (or with a ±hh:mm offset); nullopt if malformed.
std::optional<LogTimestamp> ParseLogTimestamp(std::string_view text);

// A container's logs through the Docker Engine API, polled incrementally: each poll asks for
// stdout+stderr with timestamps since the last second seen, and drops lines whose timestamp
// is not newer than the last line counted, so a restarted container (same id) is not
// recounted. A new container id under the name (recreated) counts as a rotation and is read
// from its beginning. The position (id + last timestamp) goes to the offset state file.
// Limitation: lines with exactly the same nanosecond timestamp as the last line counted in the
// previous poll are taken as already counted.
class ContainerLogSource {
 public:
  ContainerLogSource(std::string container, std::string docker_host, std::size_t max_line_bytes,
                     bool from_beginning, std::optional<FileOffset> saved);

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
  std::optional<LogTimestamp> last_;
  std::string last_text_;
  std::string last_error_;
};

}  // namespace medic::logs
