#include "medic/logs/trailing_window.h"

#include <algorithm>

namespace medic::logs {

TrailingWindow::TrailingWindow(Clock::duration window, int slots, Clock::time_point start,
                               std::uint64_t start_value)
    : window_(window), slot_(window / std::max(slots, 1)) {
  samples_.push_back({start, start_value});
}

void TrailingWindow::Record(Clock::time_point now, std::uint64_t value) {
  if (now - samples_.back().at < slot_) return;
  samples_.push_back({now, value});
  // The baseline is the newest sample at least a window old; everything before it is unused.
  while (samples_.size() > 1 && now - samples_[1].at >= window_) samples_.pop_front();
}

TrailingWindow::Count TrailingWindow::CountAt(Clock::time_point now,
                                              std::uint64_t current_value) const {
  const Sample* baseline = &samples_.front();
  for (const Sample& sample : samples_) {
    if (now - sample.at < window_) break;
    baseline = &sample;
  }
  // A counter only grows; a smaller current value means the caller reset it, so count from 0.
  const std::uint64_t count =
      current_value >= baseline->value ? current_value - baseline->value : current_value;
  return {count, now - baseline->at};
}

}  // namespace medic::logs
