#include "medic/logs/trailing_window.h"

#include <doctest/doctest.h>

using medic::logs::TrailingWindow;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {
const TrailingWindow::Clock::time_point kStart{std::chrono::hours(1000)};
}  // namespace

TEST_CASE("before a full window has passed the count covers everything since the start") {
  TrailingWindow window(minutes(60), 60, kStart);
  window.Record(kStart + minutes(10), 40);
  const auto count = window.CountAt(kStart + minutes(20), 70);
  CHECK(count.count == 70);
  CHECK(count.covered == minutes(20));
}

TEST_CASE("after a window the count drops what happened more than an hour ago") {
  TrailingWindow window(minutes(60), 60, kStart);
  // 10 matches a minute for two hours, recorded every minute.
  for (int minute = 1; minute <= 120; ++minute) {
    window.Record(kStart + minutes(minute), static_cast<std::uint64_t>(minute) * 10);
  }
  const auto count = window.CountAt(kStart + minutes(120), 1200);
  CHECK(count.count == 600);
  CHECK(count.covered == minutes(60));
}

TEST_CASE("burst older than the window no longer counts; precision is one slot") {
  TrailingWindow window(minutes(60), 60, kStart);
  window.Record(kStart + minutes(1), 500);  // a burst in the first minute
  for (int minute = 2; minute <= 90; ++minute) {
    window.Record(kStart + minutes(minute) + seconds(5), 500);
  }
  CHECK(window.CountAt(kStart + minutes(90) + seconds(30), 503).count == 3);
  // Within the hour after the burst, it still counts.
  TrailingWindow fresh(minutes(60), 60, kStart);
  fresh.Record(kStart + minutes(1), 500);
  CHECK(fresh.CountAt(kStart + minutes(59), 500).count == 500);
}

TEST_CASE("records more often than a slot keep one sample per slot") {
  TrailingWindow window(minutes(60), 60, kStart);
  for (int second = 1; second <= 7200; ++second) {
    window.Record(kStart + seconds(second), static_cast<std::uint64_t>(second));
  }
  const auto count = window.CountAt(kStart + seconds(7200), 7200);
  // Baseline is the newest per-minute sample at least an hour old: between 60 and 61 minutes.
  CHECK(count.count >= 3600);
  CHECK(count.count <= 3660);
  CHECK(count.covered >= minutes(60));
  CHECK(count.covered <= minutes(61));
}

TEST_CASE("a gap without records (idle thread) still answers from the samples it has") {
  TrailingWindow window(minutes(60), 60, kStart);
  window.Record(kStart + minutes(5), 10);
  // Nothing recorded for three hours, then asked.
  const auto count = window.CountAt(kStart + minutes(185), 25);
  CHECK(count.count == 15);
  CHECK(count.covered == minutes(180));
}

TEST_CASE("a counter that went backwards counts from zero rather than wrapping") {
  TrailingWindow window(minutes(60), 60, kStart, 100);
  CHECK(window.CountAt(kStart + minutes(1), 5).count == 5);
}
