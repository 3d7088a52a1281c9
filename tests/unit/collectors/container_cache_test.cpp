#include "medic/collectors/container_cache.h"

#include <doctest/doctest.h>

using medic::StatusWithoutAge;

TEST_CASE("status text without its age: what changes by itself is dropped, the rest kept") {
  CHECK(StatusWithoutAge("Up 2 minutes") == "Up");
  CHECK(StatusWithoutAge("Up 2 minutes") == StatusWithoutAge("Up About a minute"));
  CHECK(StatusWithoutAge("Up Less than a second") == "Up");
  CHECK(StatusWithoutAge("Up 3 hours (healthy)") == "Up (healthy)");
  CHECK(StatusWithoutAge("Up 3 hours (healthy)") != StatusWithoutAge("Up 3 hours (unhealthy)"));
  CHECK(StatusWithoutAge("Up 5 seconds (health: starting)") == "Up (health: starting)");
  CHECK(StatusWithoutAge("Up 2 days (Paused)") == "Up (Paused)");
  CHECK(StatusWithoutAge("Exited (137) 5 minutes ago") == "Exited (137)");
  CHECK(StatusWithoutAge("Exited (0) About an hour ago") !=
        StatusWithoutAge("Exited (1) 2 hours ago"));
  CHECK(StatusWithoutAge("Restarting (1) 5 seconds ago") == "Restarting (1)");
  CHECK(StatusWithoutAge("Created") == "Created");
  CHECK(StatusWithoutAge("") == "");
  CHECK(StatusWithoutAge("Up (unclosed") == "Up");
}

TEST_CASE("the status text bounds how long a container has been up, as Docker and podman word it") {
  using medic::UpTimeFromStatus;
  auto bounds = [](std::string_view status) {
    const auto up = UpTimeFromStatus(status);
    REQUIRE(up);
    return std::pair{up->at_least, up->less_than};
  };
  CHECK(bounds("Up Less than a second") == std::pair{0.0, 1.0});
  CHECK(bounds("Up 1 second") == std::pair{1.0, 2.0});
  CHECK(bounds("Up 45 seconds") == std::pair{45.0, 46.0});
  CHECK(bounds("Up About a minute") == std::pair{60.0, 120.0});
  CHECK(bounds("Up 3 minutes (healthy)") == std::pair{180.0, 240.0});
  CHECK(bounds("Up About an hour") == std::pair{3600.0, 7200.0});
  CHECK(bounds("Up 2 hours (Paused)") == std::pair{7200.0, 3 * 3600.0});
  CHECK(bounds("Up 3 days") == std::pair{3 * 86400.0, 4 * 86400.0});
  CHECK(bounds("Up 2 weeks").first == 14 * 86400.0);
  CHECK_FALSE(UpTimeFromStatus("Exited (0) 5 minutes ago"));
  CHECK_FALSE(UpTimeFromStatus("Up"));
  CHECK_FALSE(UpTimeFromStatus("Up a while"));
  CHECK_FALSE(UpTimeFromStatus("Created"));
}
