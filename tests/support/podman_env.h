#pragma once

// A real Docker-compatible engine for tests: podman's REST service (scripts/podman-env.sh).
//
// Typical use:
//
//   #include "support/podman_env.h"
//   using namespace medic::test;
//
//   const std::string host = DockerHost();          // "unix:///…/podman.sock", started on demand
//   TestContainer bot({.command = {"sh", "-c", "echo out; echo err >&2; sleep 1000"}});
//   // bot.name() is "medic-test-<random>"; the container is `podman rm -f`'d on destruction.
//   DockerClient client(host); client.Inspect(bot.name()); …
//
// The shared engine:
// - If MEDIC_TEST_DOCKER_HOST is set (e.g. unix:///tmp/x/podman.sock), tests use that engine
//   as is. Otherwise the first test process that asks runs `scripts/podman-env.sh start DIR`
//   with one DIR per build directory (next to the test binary); the script takes a file lock,
//   so parallel ctest processes share one engine. That engine exits by itself after 120 s
//   without API calls, so nothing outlives the test run.
// - Every `podman` CLI call goes through the engine's socket (`podman --remote --url …`), so
//   the helpers work against either engine.
// - Containers always get explicit ulimits (the sandbox refuses podman's defaults) and
//   `--network none` unless you ask for "host" (then bind 127.0.0.1 only).
//
// PrivatePodman is a separate engine of your own in a temporary directory, for tests that kill
// or restart the engine; never kill the shared one.

#include "support/test_support.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace medic::test {

inline constexpr char kBusyboxImage[] = "localhost/medic-busybox:latest";

// "unix://<socket>" of the shared test engine (started on first use). Throws if it cannot start.
std::string DockerHost();
// The socket path part of DockerHost().
std::string DockerSocketPath();

// Runs `podman --remote --url <host> <args…>` (no shell). `host` defaults to DockerHost().
CommandResult Podman(const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60),
                     const std::string& host = "");

// "medic-test-<16 hex digits>".
std::string UniqueContainerName();

struct ContainerOptions {
  std::string name;  // empty: UniqueContainerName()
  std::vector<std::string> command{"sleep", "100000"};
  std::string network = "none";  // "none" or "host"
  std::string memory;            // e.g. "64m"; empty: unlimited
  bool tty = false;              // -t: logs are not multiplexed
  bool start = true;             // false: `podman create` only
  std::map<std::string, std::string> labels;
  std::vector<std::string> extra_args;  // more `podman run` flags, e.g. {"--shm-size", "128m"}
  std::string image = kBusyboxImage;
  std::string host;  // engine; empty: DockerHost()
};

// A container created for one test and force-removed (only it) on destruction.
class TestContainer {
 public:
  explicit TestContainer(ContainerOptions options = {});
  ~TestContainer();
  TestContainer(const TestContainer&) = delete;
  TestContainer& operator=(const TestContainer&) = delete;

  const std::string& name() const { return name_; }
  const std::string& id() const { return id_; }
  // `podman exec <name> argv…` (e.g. {"sh", "-c", "dd …"}); throws unless it exits 0.
  std::string Exec(const std::vector<std::string>& argv) const;
  // `podman stop -t 0` / `podman start`; throw on failure.
  void Stop() const;
  void Start() const;

 private:
  std::string name_;
  std::string id_;
  std::string host_;
};

// An engine of one's own under a TempDir (scripts/podman-env.sh start/stop DIR).
class PrivatePodman {
 public:
  PrivatePodman();   // starts it
  ~PrivatePodman();  // stops it, unmounts its storage and removes the directory
  PrivatePodman(const PrivatePodman&) = delete;
  PrivatePodman& operator=(const PrivatePodman&) = delete;

  std::string host() const { return "unix://" + socket_; }
  const std::string& socket() const { return socket_; }
  void Start();  // (re)starts the service; idempotent
  void Kill();   // SIGKILLs the service process (by its pid file), like a crashed engine

 private:
  TempDir dir_;
  std::string socket_;
};

// Runs scripts/podman-env.sh <action> <dir>; returns its stdout (trimmed). Throws on failure.
std::string RunPodmanEnvScript(const std::string& action, const std::string& dir,
                               const std::map<std::string, std::string>& env = {});

}  // namespace medic::test
