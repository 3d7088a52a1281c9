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
