#pragma once

#include "medic/logs/line_sink.h"
#include "medic/logs/line_splitter.h"
#include "medic/logs/offset_state.h"

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace medic::logs {

// Follows a log file by name like `tail -F`, driven by Poll() from one background thread.
//
// - First sight: start at the end (or at 0 with from_beginning). A file that does not exist
//   yet is read from its beginning once it appears. A saved offset for the same inode resumes
//   exactly where the last run stopped (the held partial line is re-read, nothing recounted).
// - Rename rotation (logrotate's default create mode): while the name is missing the old file
//   is still read (the writer may not have reopened yet); once a new file exists under the
//   name, the old one is read to its end and closed, then the new one is read from 0.
// - Rotation while medic was stopped: the saved inode is looked up among the files next to
//   the path (app.log.1, …) and finished from the saved offset before the new file is read.
// - Delete + recreate: the deleted file is drained and closed; the new one is read from 0.
// - copytruncate: at EOF, a size below our offset means the file was truncated: read from 0.
//   RACE (inherent to copytruncate, documented): lines the writer appends between logrotate's
//   copy and its truncate are in the copy only and are never read; and if the writer appends
//   more than our old offset's worth of bytes before we notice the truncation, the size never
//   looks smaller and those first bytes are skipped. A short poll_interval narrows both
//   windows; rename rotation has neither problem.
// - Errors (a directory in place of the file, permission denied, read errors) are reported
//   once per episode and retried on the next poll; they never stop other sources.
class FileFollower {
 public:
  struct Options {
    std::string path;
    bool from_beginning = false;
    std::size_t max_line_bytes = std::size_t{64} * 1024;
    std::size_t max_bytes_per_poll = 16 << 20;  // fairness between sources
  };

  FileFollower(Options options, std::optional<FileOffset> saved);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // Opens the file if it exists and positions at the start offset (no lines are read).
  void Start(LineSink& sink);
  // Reads what is available now. Returns true when more data is waiting (budget used up).
  bool Poll(LineSink& sink);
  // The resumable position: the file's identity and the offset after the last full line.
  FileOffset Position() const;

 private:
  bool Open(LineSink& sink);
  void Close();
  // Reads up to `budget` bytes; returns the bytes read, or -1 after a read error.
  long long ReadAvailable(LineSink& sink, std::size_t budget);
  void FinishFile(LineSink& sink);  // drain to EOF, hand out the partial line, close
  void FinishRotatedWhileStopped(const FileOffset& saved, LineSink& sink);
  void ReportError(LineSink& sink, const std::string& message);
  void Feed(std::string_view data, LineSink& sink);

  Options options_;
  std::optional<FileOffset> saved_;
  LineSplitter splitter_;
  std::vector<char> buffer_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::uint64_t offset_ = 0;
  bool started_ = false;         // Start() ran (the start-at-end decision is made once)
  bool had_file_ = false;        // a file was followed before: the next one is a rotation
  bool read_from_zero_ = false;  // the file was missing at start: read it all when it appears
  std::string last_error_;
};

}  // namespace medic::logs
