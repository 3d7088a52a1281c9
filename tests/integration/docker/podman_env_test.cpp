#include "support/podman_env.h"

#include <doctest/doctest.h>

using namespace medic::test;

TEST_CASE("the shared podman engine runs containers and removes only its own") {
  const std::string host = DockerHost();
  REQUIRE(host.rfind("unix://", 0) == 0);
  std::string name;
  {
    TestContainer container({.command = {"sh", "-c", "echo ready; sleep 100000"}});
    name = container.name();
    CHECK(name.rfind("medic-test-", 0) == 0);
    CHECK(container.id().size() == 64);
    CHECK(container.Exec({"cat", "/proc/self/limits"}).find("20000") != std::string::npos);
    const CommandResult inspect = Podman({"inspect", "--format", "{{.State.Running}}", name});
    CHECK(inspect.output.find("true") != std::string::npos);
  }
  const CommandResult gone = Podman({"container", "exists", name});
  CHECK(gone.exit_code == 1);
}
