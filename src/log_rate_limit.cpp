#include "medic/log_rate_limit.h"

namespace medic {

bool LogRateLimit::Allow(std::uint64_t& suppressed) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  std::int64_t next = next_allowed_ns_.load(std::memory_order_relaxed);
  const std::int64_t interval = std::chrono::nanoseconds(interval_).count();
  if (now >= next && next_allowed_ns_.compare_exchange_strong(next, now + interval)) {
    suppressed = suppressed_.exchange(0);
    return true;
  }
  suppressed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace medic
