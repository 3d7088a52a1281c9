#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace medic::logs {

// Cuts a byte stream into '\n'-terminated lines with a bounded buffer.
// - A partial last line is held until its newline arrives (never more than max_line_bytes).
// - A line longer than max_line_bytes is reported once through on_overlong and then skipped up
//   to the next newline, so a 10 MB line without a newline costs max_line_bytes of memory.
// - Bytes are opaque: NUL and invalid UTF-8 are passed through unchanged (RE2 handles them).
// Complete lines inside one Feed() are handed out as views into the caller's buffer (no copy).
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // on_line(std::string_view line) gets each line without its '\n';
  // on_overlong() is called once per overlong line.
  template <typename OnLine, typename OnOverlong>
  void Feed(std::string_view data, OnLine&& on_line, OnOverlong&& on_overlong) {
    const char* cursor = data.data();
    const char* const end = cursor + data.size();
    while (cursor < end) {
      const auto* newline = static_cast<const char*>(
          std::memchr(cursor, '\n', static_cast<std::size_t>(end - cursor)));
      if (newline == nullptr) {
        Hold(std::string_view(cursor, static_cast<std::size_t>(end - cursor)), on_overlong);
        return;
      }
      const std::string_view piece(cursor, static_cast<std::size_t>(newline - cursor));
      cursor = newline + 1;
      if (skipping_) {  // the tail of an overlong line already reported
        skipping_ = false;
        continue;
      }
      if (partial_.empty()) {
        if (piece.size() > max_line_bytes_) {
          on_overlong();
        } else {
          on_line(piece);
        }
        continue;
      }
      if (partial_.size() + piece.size() > max_line_bytes_) {
        partial_.clear();
        on_overlong();
        continue;
      }
      partial_.append(piece);
      on_line(std::string_view(partial_));
      partial_.clear();
    }
  }

  // Hands out a held partial line as a complete line (the file it came from is finished,
  // e.g. rotated away) and forgets any overlong-line skipping.
  template <typename OnLine>
  void Flush(OnLine&& on_line) {
    if (!partial_.empty()) on_line(std::string_view(partial_));
    Reset();
  }

  void Reset() {
    partial_.clear();
    skipping_ = false;
  }

  // Bytes consumed but not yet handed out as a line (to compute a resumable offset).
  std::size_t pending_bytes() const { return partial_.size(); }
  // True while the rest of an already-reported overlong line is being skipped.
  bool skipping() const { return skipping_; }
  // Restores the skipping state saved with an offset (see OffsetState).
  void set_skipping(bool skipping) { skipping_ = skipping; }

 private:
  template <typename OnOverlong>
  void Hold(std::string_view tail, OnOverlong&& on_overlong) {
    if (skipping_) return;
    if (partial_.size() + tail.size() > max_line_bytes_) {
      partial_.clear();
      partial_.shrink_to_fit();
      skipping_ = true;
      on_overlong();
      return;
    }
    partial_.append(tail);
  }

  std::size_t max_line_bytes_;
  std::string partial_;
  bool skipping_ = false;
};

}  // namespace medic::logs
