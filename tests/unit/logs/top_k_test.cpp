#include "medic/logs/top_k.h"

#include <doctest/doctest.h>

#include <string>

using medic::logs::TopKCounter;

TEST_CASE("TopKCounter counts exactly while under capacity") {
  TopKCounter top(3);
  for (int i = 0; i < 5; ++i) top.Add("10.0.0.1");
  for (int i = 0; i < 3; ++i) top.Add("10.0.0.2");
  top.Add("10.0.0.3");
  top.Add("10.0.0.4");
  const auto entries = top.Top();
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].key == "10.0.0.1");
  CHECK(entries[0].count == 5);
  CHECK(entries[0].error == 0);
  CHECK(entries[1].key == "10.0.0.2");
  CHECK(entries[1].count == 3);
  CHECK(entries[2].key == "10.0.0.3");  // tie broken by key
}

TEST_CASE("TopKCounter stays bounded and keeps the heavy hitters under a flood of unique keys") {
  TopKCounter top(10);
  for (int round = 0; round < 1000; ++round) {
    top.Add("198.51.100.1");
    if (round % 2 == 0) top.Add("198.51.100.2");
    for (int j = 0; j < 10; ++j) top.Add("attacker-" + std::to_string(round * 10 + j));
  }
  CHECK(top.size() <= 40);
  const auto entries = top.Top();
  REQUIRE(entries.size() == 10);
  // Guaranteed (count > total/capacity ≈ 287): counts are never underestimated and the true heavy
  // hitters are present.
  bool found_first = false, found_second = false;
  for (const auto& entry : entries) {
    if (entry.key == "198.51.100.1") {
      found_first = true;
      CHECK(entry.count >= 1000);
      CHECK(entry.count - entry.error <= 1000);
    }
    if (entry.key == "198.51.100.2") found_second = true;
  }
  CHECK(found_first);
  CHECK(found_second);
}

TEST_CASE("TopKCounter cuts very long keys") {
  TopKCounter top(1);
  top.Add(std::string(1000, 'k'));
  CHECK(top.Top().at(0).key.size() == 128);
}
