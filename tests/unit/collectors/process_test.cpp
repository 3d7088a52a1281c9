#include "medic/collectors/process.h"

#include <doctest/doctest.h>

#include <map>

TEST_CASE("process stat parsing copes with spaces and parentheses in the command name") {
  const std::string stat =
      "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 9 0 "
      "5000 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0";
  medic::ProcessStat parsed;
  REQUIRE(medic::ParseProcessStat(stat, 1700000000, 100, 4096, parsed));
  CHECK(parsed.cpu_seconds == doctest::Approx(4.0));
  CHECK(parsed.start_time_seconds == doctest::Approx(1700000050));
  CHECK(parsed.virtual_memory_bytes == 104857600);
  CHECK(parsed.resident_memory_bytes == 2560.0 * 4096);
}

TEST_CASE("truncated stat text is rejected") {
  medic::ProcessStat parsed;
  CHECK_FALSE(medic::ParseProcessStat("4242 (x) S 1 2 3", 0, 100, 4096, parsed));
  CHECK_FALSE(medic::ParseProcessStat("", 0, 100, 4096, parsed));
}

TEST_CASE("the process collector reads this process") {
  medic::ProcessCollector collector;
  const auto families = collector.Collect();
  std::map<std::string, double> values;
  for (const auto& family : families) {
    const auto& metric = family.metric.at(0);
    values[family.name] =
        family.type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value;
  }
  CHECK(values.at("process_resident_memory_bytes") > 1e6);
  CHECK(values.at("process_open_fds") >= 3);
  CHECK(values.at("process_max_fds") >= values.at("process_open_fds"));
  CHECK(values.at("process_start_time_seconds") > 1.6e9);
  CHECK(values.count("process_cpu_seconds_total") == 1);
  CHECK(values.count("process_virtual_memory_bytes") == 1);
}
