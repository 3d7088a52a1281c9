#include "medic/docker/decode.h"
#include "medic/docker/error.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace medic::docker;

namespace {

std::string Fixture(const std::string& name) {
  return medic::test::ReadFile(std::string(MEDIC_FIXTURES_DIR) + "/docker/" + name);
}

std::string Frame(int stream, const std::string& data) {
  std::string frame{static_cast<char>(stream), 0, 0, 0};
  const auto size = static_cast<std::uint32_t>(data.size());
  frame.push_back(static_cast<char>((size >> 24) & 0xff));
  frame.push_back(static_cast<char>((size >> 16) & 0xff));
  frame.push_back(static_cast<char>((size >> 8) & 0xff));
  frame.push_back(static_cast<char>(size & 0xff));
  return frame + data;
}

}  // namespace

TEST_CASE(
    "Docker cgroup v1 stats: CPU seconds, working set minus total_inactive_file, blkio, networks") {
  const ContainerStats stats = DecodeStats(Fixture("stats_docker_cgroup_v1.json"));
  CHECK_FALSE(stats.empty);
  REQUIRE(CpuSeconds(stats));
  CHECK(*CpuSeconds(stats) == doctest::Approx(2.5));
  CHECK(stats.memory_usage == 104857600u);
  CHECK(stats.memory_limit == 268435456u);
  CHECK(stats.total_inactive_file == 20971520u);
  CHECK_FALSE(stats.inactive_file);  // v1: total_inactive_file wins, like docker CLI
  CHECK(WorkingSetBytes(stats) == 104857600u - 20971520u);
  CHECK(stats.fs_read_bytes == 5096u);  // Read on two devices; Sync/Total not counted
  CHECK(stats.fs_write_bytes == 8192u);
  CHECK(stats.pids == 7u);
  REQUIRE(stats.networks.size() == 2);
  CHECK(stats.networks[0].interface == "eth0");
  CHECK(stats.networks[0].rx_bytes == 5338u);
  CHECK(stats.networks[1].interface == "eth1");
  CHECK(stats.networks[1].rx_dropped == 3u);
  CHECK(stats.networks[1].tx_errors == 5u);
  CHECK(stats.networks[1].tx_dropped == 6u);
}

TEST_CASE("Docker cgroup v1 stats: cAdvisor's breakdown (user/system CPU, rss, cache, max usage)") {
  const ContainerStats stats = DecodeStats(Fixture("stats_docker_cgroup_v1.json"));
  CHECK(stats.cpu_user_ns == 2000000000u);
  CHECK(stats.cpu_system_ns == 500000000u);
  CHECK(stats.cfs_periods == 0u);
  CHECK(stats.memory_max_usage == 115343360u);
  CHECK(stats.memory_rss == 52428800u);  // total_rss: the hierarchy, as cAdvisor takes it
  CHECK(stats.memory_cache == 31457280u);
  CHECK(stats.memory_mapped_file == 1048576u);
  const ContainerStats v2 = DecodeStats(
      R"({"memory_stats":{"usage":9,"stats":{"anon":5,"file":3,"file_mapped":1}},)"
      R"("cpu_stats":{"throttling_data":{"periods":10,"throttled_periods":4,"throttled_time":7}}})");
  CHECK(v2.memory_rss == 5u);
  CHECK(v2.memory_cache == 3u);
  CHECK(v2.memory_mapped_file == 1u);
  CHECK_FALSE(v2.memory_swap);
  CHECK(v2.cfs_periods == 10u);
  CHECK(v2.cfs_throttled_periods == 4u);
  CHECK(v2.cfs_throttled_ns == 7u);
}

TEST_CASE("inspect: CPU and memory spec, --cpus as a quota per the default period") {
  const ContainerDetails quota = DecodeContainerDetails(
      R"({"Id":"a","HostConfig":{"CpuQuota":50000,"CpuPeriod":100000,"CpuShares":512,)"
      R"("MemoryReservation":33554432,"MemorySwap":-1}})");
  CHECK(quota.cpu_quota_us == 50000);
  CHECK(quota.cpu_period_us == 100000);
  CHECK(quota.cpu_shares == 512);
  CHECK(quota.memory_reservation == 33554432);
  CHECK(quota.memory_swap == 0);  // -1: unlimited
  const ContainerDetails nano =
      DecodeContainerDetails(R"({"Id":"b","HostConfig":{"NanoCpus":1500000000,"CpuQuota":0}})");
  CHECK(nano.cpu_quota_us == 150000);
  CHECK(nano.cpu_period_us == 100000);
  const ContainerDetails none = DecodeContainerDetails(R"({"Id":"c"})");
  CHECK(none.cpu_quota_us == 0);
  CHECK(none.cpu_shares == 0);
}

TEST_CASE("engine info: the host's CPUs and memory") {
  const EngineInfo info = DecodeEngineInfo(R"({"NCPU":2,"MemTotal":25276194816,"Name":"x"})");
  CHECK(info.cpus == 2u);
  CHECK(info.memory_bytes == 25276194816u);
  CHECK_FALSE(DecodeEngineInfo("{}").cpus);
  CHECK_THROWS_AS(DecodeEngineInfo("[]"), DockerError);
}

TEST_CASE("Docker cgroup v2 stats: working set minus inactive_file, lower-case blkio ops") {
  const ContainerStats stats = DecodeStats(Fixture("stats_docker_cgroup_v2.json"));
  CHECK(*CpuSeconds(stats) == doctest::Approx(0.123456789));
  CHECK(stats.inactive_file == 2097152u);
  CHECK_FALSE(stats.total_inactive_file);
  CHECK(WorkingSetBytes(stats) == 52428800u - 2097152u);
  CHECK(stats.fs_read_bytes == 65536u);
  CHECK(stats.fs_write_bytes == 131072u);
}

TEST_CASE("working set is floored at 0 when inactive_file exceeds usage") {
  const ContainerStats stats =
      DecodeStats(R"({"memory_stats":{"usage":1000,"stats":{"inactive_file":5000}}})");
  CHECK(WorkingSetBytes(stats) == 0u);
}

TEST_CASE("podman stats: no memory_stats.stats, 'network' interface, empty blkio, zero precpu") {
  const ContainerStats stats = DecodeStats(Fixture("stats_podman.json"));
  REQUIRE(stats.memory_usage);
  CHECK(stats.memory_limit == 67108864u);
  CHECK_FALSE(stats.inactive_file);
  CHECK_FALSE(stats.total_inactive_file);
  CHECK(WorkingSetBytes(stats) == stats.memory_usage);  // docker CLI's fallback
  CHECK(*CpuSeconds(stats) > 0);
  CHECK_FALSE(stats.fs_read_bytes);  // absent, not a zero-filled lie
  CHECK_FALSE(stats.fs_write_bytes);
  REQUIRE(stats.networks.size() == 1);
  CHECK(stats.networks[0].interface == "network");
}

TEST_CASE("podman: a stopped container's stats is an empty body") {
  CHECK(DecodeStats("").empty);
  CHECK(DecodeStats(" \n").empty);
  const ContainerStats stats = DecodeStats("{}");
  CHECK_FALSE(stats.empty);
  CHECK_FALSE(CpuSeconds(stats));
  CHECK_FALSE(WorkingSetBytes(stats));
}

TEST_CASE("non-JSON, truncated and wrongly shaped bodies are DockerErrors") {
  CHECK_THROWS_AS(DecodeStats("{\"memory_stats\": {\"usage\": 12"), DockerError);
  CHECK_THROWS_AS(DecodeStats("<html>502 Bad Gateway</html>"), DockerError);
  CHECK_THROWS_AS(DecodeStats("[1,2]"), DockerError);
  CHECK_THROWS_AS(DecodeContainerList("{}"), DockerError);
  CHECK_THROWS_AS(DecodeContainerDetails("{}"), DockerError);  // no Id
  CHECK_THROWS_AS(DecodeVersion("null"), DockerError);
  CHECK_THROWS_AS(DecodeEvents("{\"Type\":\"container\"}\n{trunc"), DockerError);
  try {
    DecodeContainerList("not json");
    FAIL("expected DockerError");
  } catch (const DockerError& error) {
    CHECK(error.http_status() == 200);
    CHECK(error.message().find("not valid JSON") != std::string::npos);
  }
  // Wrong types inside are tolerated as absent.
  const ContainerStats odd =
      DecodeStats(R"({"memory_stats":{"usage":"lots","limit":-1},"networks":[]})");
  CHECK_FALSE(odd.memory_usage);
  CHECK_FALSE(odd.memory_limit);
  CHECK(odd.networks.empty());
}

TEST_CASE("inspect: running podman container") {
  const ContainerDetails details = DecodeContainerDetails(Fixture("inspect_podman_running.json"));
  CHECK(details.id.size() == 64);
  CHECK(details.name == "medic-fixture");
  CHECK(details.image == "localhost/medic-busybox:latest");
  CHECK(details.state == "running");
  CHECK(details.running);
  CHECK_FALSE(details.oom_killed);
  CHECK(details.memory_limit == 67108864);
  REQUIRE(details.started_at);
  CHECK(*details.started_at > 1.7e9);
  CHECK_FALSE(details.finished_at);    // zero time → absent
  CHECK_FALSE(details.health_status);  // no HEALTHCHECK: podman sends "" → absent
  CHECK(details.pid);
  CHECK_FALSE(details.tty);
}

TEST_CASE("inspect: created, never started container") {
  const ContainerDetails details = DecodeContainerDetails(Fixture("inspect_podman_created.json"));
  CHECK_FALSE(details.running);
  CHECK(details.state == "created");
  CHECK_FALSE(details.started_at);
  CHECK(details.memory_limit == 0);
  CHECK_FALSE(details.pid);
}

TEST_CASE("inspect: podman's transient 'stopped' is reported as exited; health and OOM") {
  const ContainerDetails details = DecodeContainerDetails(
      R"({"Id":"abc","Name":"/bot","State":{"Status":"stopped","Running":false,"OOMKilled":true,
          "ExitCode":137,"Health":{"Status":"unhealthy"}},"RestartCount":2})");
  CHECK(details.state == "exited");
  CHECK(details.oom_killed);
  CHECK(details.exit_code == 137);
  CHECK(details.health_status == "unhealthy");
  CHECK(details.restart_count == 2);
  CHECK(details.name == "bot");
}

TEST_CASE("container list") {
  const auto containers = DecodeContainerList(Fixture("list_podman.json"));
  REQUIRE(containers.size() == 2);
  bool found_running = false;
  for (const auto& container : containers) {
    CHECK(container.name.rfind("medic-fixture", 0) == 0);
    CHECK(container.name.front() != '/');
    if (container.name == "medic-fixture") {
      found_running = true;
      CHECK(container.state == "running");
      CHECK(container.image == "localhost/medic-busybox:latest");
    }
  }
  CHECK(found_running);
  CHECK(DecodeContainerList("[]").empty());
  CHECK(DecodeContainerList(R"([{"Names":["/x"]}, 5, {"Id":"y","Names":null}])").size() == 1);
}

TEST_CASE("system df: podman (LayersSize 0 → sum of images) and Docker shapes") {
  const DiskUsage podman = DecodeDiskUsage(Fixture("df_podman.json"));
  REQUIRE(podman.images);
  CHECK(*podman.images > 1000000);
  CHECK(podman.volumes == 0u);
  CHECK(podman.build_cache == 0u);
  const DiskUsage docker = DecodeDiskUsage(
      R"({"LayersSize":1000,"Images":[{"Size":600},{"Size":600}],
          "Containers":[{"Id":"a","SizeRw":10},{"Id":"b","SizeRw":20},{}],
          "Volumes":[{"UsageData":{"Size":5}},{"UsageData":{"Size":-1}}],
          "BuildCache":[{"Size":7},{"Size":8}]})");
  CHECK(docker.images == 1000u);
  CHECK(docker.containers == 30u);
  CHECK(docker.container_rw_bytes == std::map<std::string, std::uint64_t>{{"a", 10}, {"b", 20}});
  CHECK(docker.volumes == 5u);
  CHECK(docker.build_cache == 15u);
  const DiskUsage empty = DecodeDiskUsage("{}");
  CHECK_FALSE(empty.images);
  CHECK_FALSE(empty.containers);
}

TEST_CASE("prune answers") {
  const PruneResult containers =
      DecodePrune(R"({"ContainersDeleted":["a","b"],"SpaceReclaimed":1234})", "ContainersDeleted");
  CHECK(containers.deleted.size() == 2);
  CHECK(containers.space_reclaimed == 1234u);
  const PruneResult images = DecodePrune(
      R"({"ImagesDeleted":[{"Untagged":"x:1"},{"Deleted":"sha256:1"}],"SpaceReclaimed":99})",
      "ImagesDeleted");
  CHECK(images.deleted == std::vector<std::string>{"sha256:1"});
  CHECK(DecodePrune(R"({"ContainersDeleted":null,"SpaceReclaimed":0})", "ContainersDeleted")
            .deleted.empty());
}

TEST_CASE("events stream (podman)") {
  const auto events = DecodeEvents(Fixture("events_podman.jsonl"));
  REQUIRE(!events.empty());
  bool saw_create = false;
  for (const auto& event : events) {
    CHECK(event.time > 0);
    if (event.type == "container" && event.action == "create") {
      saw_create = true;
      CHECK(event.attributes.at("name").rfind("medic-fixture", 0) == 0);
      CHECK(event.actor_id.size() == 64);
    }
  }
  CHECK(saw_create);
  CHECK(DecodeEvents("").empty());
}

TEST_CASE("engine error messages") {
  CHECK(DecodeErrorMessage(Fixture("error_404_podman.json")) ==
        "no container with name or ID \"nope\" found: no such container");
  CHECK(DecodeErrorMessage("Not Found\n") == "Not Found");
  CHECK(DecodeErrorMessage("") == "(empty body)");
  CHECK(DecodeErrorMessage(std::string(10000, 'x')).size() == 512);
}

TEST_CASE("log demultiplexing") {
  SUBCASE("recorded podman frames keep stdout and stderr apart") {
    const Logs logs = DemultiplexLogs(Fixture("logs_podman.bin"), false);
    CHECK(logs.Stdout() == "out\n");
    CHECK(logs.Stderr() == "err\n");
  }
  SUBCASE("interleaved frames, adjacent frames of one stream joined, binary-safe") {
    const std::string body =
        Frame(1, "a\n") + Frame(1, "b\n") + Frame(2, "oops\n") + Frame(1, std::string("c\0d\n", 4));
    const Logs logs = DemultiplexLogs(body, false);
    REQUIRE(logs.frames.size() == 3);
    CHECK(logs.Stdout() == std::string("a\nb\nc\0d\n", 8));
    CHECK(logs.Stderr() == "oops\n");
    CHECK(logs.All() == std::string("a\nb\noops\nc\0d\n", 13));
  }
  SUBCASE("TTY containers have no frames") {
    const Logs logs = DemultiplexLogs("plain text\n", true);
    CHECK(logs.Stdout() == "plain text\n");
    CHECK(logs.Stderr().empty());
  }
  SUBCASE("truncated or foreign streams are errors") {
    CHECK_THROWS_AS(DemultiplexLogs(Frame(1, "hello").substr(0, 10), false), DockerError);
    CHECK_THROWS_AS(DemultiplexLogs(std::string("\x01\0\0", 3), false), DockerError);
    CHECK_THROWS_AS(DemultiplexLogs("plain text without frames", false), DockerError);
    CHECK(DemultiplexLogs("", false).frames.empty());
  }
}

TEST_CASE("RFC 3339 timestamps") {
  CHECK(*ParseTimestamp("1970-01-01T00:00:00Z") == doctest::Approx(0));
  CHECK(*ParseTimestamp("1970-01-01T00:00:10Z") == doctest::Approx(10));
  CHECK(*ParseTimestamp("2026-11-29T03:24:11.75990659Z") == doctest::Approx(1795922651.7599066));
  CHECK(*ParseTimestamp("2026-11-29T04:24:11+01:00") == doctest::Approx(1795922651));
  CHECK_FALSE(ParseTimestamp("0001-01-01T00:00:00Z"));
  CHECK_FALSE(ParseTimestamp(""));
  CHECK_FALSE(ParseTimestamp("2026-11-29"));
  CHECK_FALSE(ParseTimestamp("2026-11-29T03:24:11"));
  CHECK_FALSE(ParseTimestamp("2026-13-29T03:24:11Z"));
  CHECK_FALSE(ParseTimestamp("2026-11-29T03:24:11Zjunk"));
}
