#include "medic/duration.h"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

TEST_CASE("ParseDuration accepts Prometheus durations") {
  CHECK(medic::ParseDuration("500ms") == 500ms);
  CHECK(medic::ParseDuration("10s") == 10s);
  CHECK(medic::ParseDuration("5m") == 5min);
  CHECK(medic::ParseDuration("1h30m") == 90min);
  CHECK(medic::ParseDuration("7d") == std::chrono::hours(168));
  CHECK(medic::ParseDuration("0") == 0ms);
}

TEST_CASE("ParseDuration rejects junk") {
  CHECK_FALSE(medic::ParseDuration(""));
  CHECK_FALSE(medic::ParseDuration("10"));
  CHECK_FALSE(medic::ParseDuration("s"));
  CHECK_FALSE(medic::ParseDuration("-5s"));
  CHECK_FALSE(medic::ParseDuration("5 s"));
  CHECK_FALSE(medic::ParseDuration("1.5h"));
  CHECK_FALSE(medic::ParseDuration("99999999999999999999s"));
}

TEST_CASE("FormatDuration round-trips") {
  CHECK(medic::FormatDuration(90min) == "1h30m");
  CHECK(medic::FormatDuration(1500ms) == "1s500ms");
  CHECK(medic::FormatDuration(0ms) == "0s");
}
