#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace medic::logs {

// "How many in the last hour" for a cumulative counter, without touching the per-line hot path:
// the owner records the counter's value now and then (at most one sample per slot is kept) and
// the count over the window is the current value minus the newest sample at least `window` old.
// Until the counter has a sample that old, the count covers everything since the first sample,
// and Covered() says how long that is. Precision is one slot (window / slots). Not thread-safe:
// callers lock.
class TrailingWindow {
 public:
  using Clock = std::chrono::steady_clock;

  TrailingWindow(Clock::duration window, int slots, Clock::time_point start,
                 std::uint64_t start_value = 0);

  // Keeps `value` as a sample when the newest one is at least a slot old; drops samples the
  // window no longer needs.
  void Record(Clock::time_point now, std::uint64_t value);

  struct Count {
    std::uint64_t count = 0;
    Clock::duration covered{};  // the span the count is over: window (+ up to a slot), or less
  };
  Count CountAt(Clock::time_point now, std::uint64_t current_value) const;

 private:
  struct Sample {
    Clock::time_point at;
    std::uint64_t value;
  };

  Clock::duration window_;
  Clock::duration slot_;
  std::deque<Sample> samples_;  // oldest first, never empty
};

}  // namespace medic::logs
