#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace medic {

// At most one log line per interval for an event any client can cause at will (a request
// without credentials), so a flood cannot fill the disk with it; the lines it held back are
// counted into the next one. Thread-safe.
class LogRateLimit {
 public:
  explicit LogRateLimit(std::chrono::seconds interval) : interval_(interval) {}
  // True when a line may be written now; `suppressed` then holds how many were held back.
  bool Allow(std::uint64_t& suppressed);

 private:
  const std::chrono::seconds interval_;
  std::atomic<std::int64_t> next_allowed_ns_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

}  // namespace medic
