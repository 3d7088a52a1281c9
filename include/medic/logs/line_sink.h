#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace medic::logs {

// What a log source reports while it reads: lines and the events counted per source.
class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void OnLine(std::string_view line) = 0;
  virtual void OnOverlongLine() = 0;
  virtual void OnBytes(std::uint64_t bytes) = 0;
  virtual void OnRotation() = 0;
  virtual void OnTruncation() = 0;
  // Called once per failure episode (not on every poll while the failure lasts).
  virtual void OnReadError(const std::string& message) = 0;
};

}  // namespace medic::logs
