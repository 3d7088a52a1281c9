#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace medic::logs {

// Where reading of one source stopped: the file's identity and the offset just past the last
// complete line handed out (a held partial line is re-read after a restart, not lost).
struct FileOffset {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t offset = 0;
  bool skipping_overlong = false;  // inside an overlong line already counted
  // Container sources: the id and the newest log timestamp seen (RFC 3339 with nanoseconds).
  std::string container_id;
  std::string container_since;
  // Lines already counted whose timestamp equals container_since: podman stamps log lines
  // with whole seconds, so several lines share one timestamp and "newer than" is not enough.
  std::uint64_t container_lines_at_since = 0;

  bool operator==(const FileOffset&) const = default;
};

using OffsetMap = std::map<std::string, FileOffset>;  // by source name

// A small JSON file of offsets per source, replaced atomically (write temp, fsync, rename,
// fsync dir) so a crash leaves either the old or the new state, never a torn one.
class OffsetStateFile {
 public:
  explicit OffsetStateFile(std::string path) : path_(std::move(path)) {}

  // Missing file → empty map. A corrupt file is logged and ignored (→ empty map): losing
  // offsets means starting at the end again, which is better than refusing to start.
  OffsetMap Load() const;
  // Throws std::runtime_error when the file cannot be written.
  void Save(const OffsetMap& offsets) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace medic::logs
