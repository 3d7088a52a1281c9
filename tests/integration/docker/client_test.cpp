// The Docker Engine API client against a real engine (podman's Docker-compatible service).
#include "medic/docker/client.h"

#include "support/podman_env.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using namespace medic::docker;
using namespace medic::test;

namespace {

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A stand-in engine on a unix socket that answers every request with one canned response,
// for failure cases a healthy engine never produces (500, truncated or non-JSON bodies, hangs).
class CannedEngine {
 public:
  CannedEngine(const std::string& path, std::string response) : response_(std::move(response)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(address.sun_path));
    std::copy(path.begin(), path.end(), address.sun_path);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedEngine() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

 private:
  void Serve() {
    while (!stop_) {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t got = ::read(connection, buffer, sizeof(buffer));
        if (got <= 0) break;
        request.append(buffer, static_cast<std::size_t>(got));
      }
      std::string reply = response_;
      // _ping gets a proper answer so that version negotiation succeeds.
      if (request.rfind("GET /_ping", 0) == 0) {
        reply = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK";
      }
      if (reply != "hang") {
        [[maybe_unused]] const ssize_t sent = ::write(connection, reply.data(), reply.size());
        ::close(connection);
      } else {
        hung_.push_back(connection);  // never answered; closed at the end
      }
    }
    for (int connection : hung_) ::close(connection);
  }

  std::string response_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::vector<int> hung_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("version negotiation, list with filters, inspect") {
  DockerClient client(DockerHost());
  CHECK(client.ApiVersion() == "1.41");
  const VersionInfo version = client.Version();
  CHECK_FALSE(version.server_version.empty());
  CHECK_FALSE(version.api_version.empty());

  const std::string marker = UniqueContainerName();
  TestContainer container({.labels = {{"medic.test", marker}}});
  const auto listed = client.List({.filters = {{"label", {"medic.test=" + marker}}}});
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == container.name());
  CHECK(listed[0].id == container.id());
  CHECK(listed[0].state == "running");
  CHECK(listed[0].labels.at("medic.test") == marker);

  const ContainerDetails details = client.Inspect(container.name());
  CHECK(details.id == container.id());
  CHECK(details.name == container.name());
  CHECK(details.image == kBusyboxImage);
  CHECK(details.running);
  CHECK(details.started_at);
}

TEST_CASE("DOCKER_HOST is honoured when no host is configured") {
  const std::string host = DockerHost();
  ::setenv("DOCKER_HOST", host.c_str(), 1);
  CHECK(ResolveDockerHost("") == host);
  CHECK(ResolveDockerHost("unix:///x.sock") == "unix:///x.sock");
  DockerClient client;
  CHECK(client.host() == host);
  CHECK_NOTHROW(client.ApiVersion());
  ::unsetenv("DOCKER_HOST");
  CHECK(ResolveDockerHost("") == kDefaultDockerHost);
  CHECK_THROWS_AS(DockerClient("ssh://somewhere"), DockerError);
}

TEST_CASE("unknown container: typed 404 with the engine's message") {
  DockerClient client(DockerHost());
  const std::string missing = UniqueContainerName();
  try {
    client.Inspect(missing);
    FAIL("expected DockerError");
  } catch (const DockerError& error) {
    CHECK(error.http_status() == 404);
    CHECK(error.IsNotFound());
    CHECK(error.message().find(missing) != std::string::npos);
  }
  CHECK_THROWS_AS(client.Stats(missing), DockerError);
  CHECK(client.Restart(missing, 0) == ActionOutcome::kNotFound);
  CHECK(client.Stop(missing, 0) == ActionOutcome::kNotFound);
  CHECK(client.Start(missing) == ActionOutcome::kNotFound);
}

TEST_CASE("logs come back demultiplexed with stdout and stderr intact") {
  DockerClient client(DockerHost());
  TestContainer container(
      {.command = {"sh", "-c",
                   "echo out one; echo err one >&2; echo out two; echo; sleep 100000"}});
  Logs logs;
  REQUIRE(WaitFor(
      [&] {
        logs = client.GetLogs(container.name());
        return logs.Stdout().find("out two") != std::string::npos &&
               logs.Stderr().find("err one") != std::string::npos;
      },
      20s));
  CHECK(logs.Stdout() == "out one\nout two\n\n");
  CHECK(logs.Stderr() == "err one\n");

  const Logs only_stderr = client.GetLogs(container.name(), {.stdout_stream = false});
  CHECK(only_stderr.Stdout().empty());
  CHECK(only_stderr.Stderr() == "err one\n");

  const Logs tail = client.GetLogs(container.name(), {.tail = 1});
  CHECK(tail.All().size() < logs.All().size());

  const Logs stamped = client.GetLogs(container.name(), {.timestamps = true});
  CHECK(stamped.Stderr().rfind("20", 0) == 0);  // "2026-…Z err one"
  CHECK(stamped.Stderr().find(" err one\n") != std::string::npos);

  const Logs future = client.GetLogs(container.name(), {.since = UnixNow() + 3600});
  CHECK(future.All().empty());
}

TEST_CASE("TTY container logs have no frames") {
  DockerClient client(DockerHost());
  TestContainer container({.command = {"sh", "-c", "echo hello tty; sleep 100000"}, .tty = true});
  Logs logs;
  REQUIRE(WaitFor(
      [&] {
        logs = client.GetLogs(container.name());
        return logs.All().find("hello tty") != std::string::npos;
      },
      20s));
  CHECK(logs.Stderr().empty());
}

TEST_CASE("stop, start, restart map 204/304 to outcomes; restart changes the start time") {
  DockerClient client(DockerHost());
  TestContainer container(
      {.command = {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"}});
  const ContainerDetails before = client.Inspect(container.name());
  REQUIRE(before.started_at);

  std::this_thread::sleep_for(1100ms);  // start times have ≥ 1 s resolution on some engines
  CHECK(client.Restart(container.name(), 1) == ActionOutcome::kDone);
  const ContainerDetails restarted = client.Inspect(container.name());
  CHECK(restarted.running);
  REQUIRE(restarted.started_at);
  CHECK(*restarted.started_at > *before.started_at);
  CHECK(restarted.restart_count >= before.restart_count);

  CHECK(client.Stop(container.name(), 1) == ActionOutcome::kDone);
  CHECK(client.Stop(container.name(), 1) == ActionOutcome::kNoChange);
  CHECK_FALSE(client.Inspect(container.name()).running);
  const ContainerStats stopped_stats = client.Stats(container.name());
  CHECK(stopped_stats.empty);  // podman: 200 with an empty body
  CHECK(client.Start(container.name()) == ActionOutcome::kDone);
  CHECK(client.Start(container.name()) == ActionOutcome::kNoChange);
  CHECK(client.Inspect(container.name()).running);
}

TEST_CASE("stats of a running container") {
  DockerClient client(DockerHost());
  TestContainer container({.memory = "64m"});
  const ContainerStats stats = client.Stats(container.name());
  CHECK_FALSE(stats.empty);
  REQUIRE(stats.memory_usage);
  CHECK(*stats.memory_usage > 0);
  CHECK(stats.memory_limit == 67108864u);
  REQUIRE(CpuSeconds(stats));
  CHECK(*CpuSeconds(stats) >= 0);
}

TEST_CASE("events with since/until (until ≥ now + 1 for podman)") {
  DockerClient client(DockerHost());
  const std::int64_t since = UnixNow() - 1;
  TestContainer container;
  const auto events = client.Events(
      {.since = since, .until = UnixNow() + 1, .filters = {{"container", {container.name()}}}});
  bool saw_start = false;
  for (const Event& event : events) {
    if (event.type == "container" && event.action == "start" &&
        event.attributes.count("name") > 0 && event.attributes.at("name") == container.name()) {
      saw_start = true;
    }
  }
  CHECK(saw_start);
  CHECK_THROWS_AS(client.Events({}), DockerError);  // no until: would stream forever
}

TEST_CASE("prune and system df on a private engine (prune touches every stopped container)") {
  PrivatePodman engine;
  DockerClient client(engine.host());
  const DiskUsage before = client.SystemDiskUsage();
  REQUIRE(before.images);
  CHECK(*before.images > 0);
  std::string stopped_id;
  {
    TestContainer stopped({.command = {"true"}, .start = false, .host = engine.host()});
    stopped_id = stopped.id();
    const PruneReport report = client.PruneAll();
    REQUIRE(report.containers.deleted.size() == 1);
    CHECK(report.containers.deleted[0] == stopped_id);
    CHECK(report.images.deleted.empty());       // the busybox image is tagged, not dangling
    CHECK_FALSE(report.build_cache.supported);  // podman has no /build/prune
  }
  CHECK_THROWS_AS(client.Inspect(stopped_id), DockerError);
}

TEST_CASE("transport failures are DockerErrors with status 0, and fast") {
  TempDir dir;
  SUBCASE("socket path that does not exist") {
    DockerClient client("unix://" + dir.Join("missing.sock"), 2s);
    const auto started = std::chrono::steady_clock::now();
    try {
      client.List();
      FAIL("expected DockerError");
    } catch (const DockerError& error) {
      CHECK(error.http_status() == 0);
      CHECK(error.IsTransport());
      CHECK(std::string(error.what()).find("missing.sock") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - started < 1s);
  }
  SUBCASE("a file that is not a socket") {
    dir.Write("plain", "x");
    DockerClient client("unix://" + dir.Join("plain"), 2s);
    CHECK_THROWS_AS(client.Version(), DockerError);
  }
}

TEST_CASE("engine 500, truncated and non-JSON bodies, and a hung engine are DockerErrors") {
  TempDir dir;
  const std::string socket = dir.Join("engine.sock");
  SUBCASE("500 with the engine's message") {
    CannedEngine engine(socket,
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                        "Content-Length: 29\r\n\r\n{\"message\":\"database locked\"}");
    DockerClient client("unix://" + socket, 2s);
    try {
      client.List();
      FAIL("expected DockerError");
    } catch (const DockerError& error) {
      CHECK(error.http_status() == 500);
      CHECK(error.message() == "database locked");
    }
  }
  SUBCASE("truncated body (connection closed before Content-Length)") {
    CannedEngine engine(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[{\"Id\":");
    DockerClient client("unix://" + socket, 2s);
    CHECK_THROWS_AS(client.List(), DockerError);
  }
  SUBCASE("truncated JSON with a matching length") {
    CannedEngine engine(socket, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n[{\"Id\":");
    DockerClient client("unix://" + socket, 2s);
    CHECK_THROWS_AS(client.List(), DockerError);
  }
  SUBCASE("non-JSON body") {
    CannedEngine engine(socket, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    DockerClient client("unix://" + socket, 2s);
    CHECK_THROWS_AS(client.Inspect("x"), DockerError);
  }
  SUBCASE("an engine that never answers hits the timeout") {
    CannedEngine engine(socket, "hang");
    DockerClient client("unix://" + socket, 300ms);
    const auto started = std::chrono::steady_clock::now();
    try {
      client.Stats("x");
      FAIL("expected DockerError");
    } catch (const DockerError& error) {
      CHECK(error.http_status() == 0);
    }
    CHECK(std::chrono::steady_clock::now() - started < 3s);
  }
}
