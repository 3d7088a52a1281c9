// ctest-labels: tsan
// The container collector against a real engine (podman's Docker-compatible service).
#include "medic/collectors/container.h"
#include "medic/docker/client.h"

#include "support/podman_env.h"

#include <doctest/doctest.h>
#include <prometheus/text_serializer.h>

#include <functional>
#include <optional>
#include <thread>

using namespace std::chrono_literals;
using namespace medic;
using namespace medic::test;

namespace {

constexpr std::chrono::milliseconds kRefresh = 300ms;

std::string Scrape(ContainerCollector& collector) {
  return prometheus::TextSerializer().Serialize(collector.Collect());
}

ContainerSettings SettingsFor(const std::vector<std::string>& names, const std::string& host = "") {
  ContainerSettings settings;
  settings.docker.host = host.empty() ? DockerHost() : host;
  settings.names = names;
  settings.docker.timeout = 10s;
  settings.refresh_interval = kRefresh;
  return settings;
}

// Scrapes until `done` holds for a scrape (figures change one refresh after the engine's do),
// returning that scrape; after `limit`, returns the last one for the test to report.
std::string ScrapeUntil(ContainerCollector& collector,
                        const std::function<bool(const std::string&)>& done,
                        std::chrono::milliseconds limit = 10 * kRefresh + 5s) {
  std::string text = Scrape(collector);
  WaitFor(
      [&] {
        if (done(text)) return true;
        text = Scrape(collector);
        return false;
      },
      limit);
  return text;
}

std::string Cadvisor(const TestContainer& container) {
  return "id=\"" + container.id() + "\",image=\"" + kBusyboxImage + "\",name=\"" +
         container.name() + "\"";
}

std::string Named(const TestContainer& container) { return "name=\"" + container.name() + "\""; }

}  // namespace

TEST_CASE("memory limit 64m, usage rises after writing 40 MB into /dev/shm") {
  TestContainer container({.memory = "64m"});
  ContainerCollector collector(SettingsFor({container.name()}));
  const std::string before = Scrape(collector);
  INFO(before);
  CHECK(FindSample(before, "medic_docker_up") == 1);
  CHECK(FindSample(before, "container_spec_memory_limit_bytes", Cadvisor(container)) == 67108864);
  const auto usage_before = FindSample(before, "container_memory_usage_bytes", Cadvisor(container));
  REQUIRE(usage_before);
  CHECK(FindSample(before, "container_memory_working_set_bytes", Cadvisor(container)) > 0);
  CHECK(FindSample(before, "container_cpu_usage_seconds_total", Cadvisor(container)) >= 0);
  CHECK(FindSample(before, "container_start_time_seconds", Cadvisor(container)) > 1.7e9);
  CHECK(FindSample(before, "container_last_seen", Cadvisor(container)) > 1.7e9);
  CHECK(FindSample(before, "medic_container_running", Named(container)) == 1);
  CHECK(FindSample(before, "medic_container_state_info", Named(container) + ",state=\"running\"") ==
        1);
  CHECK(FindSample(before, "medic_container_restarts", Named(container)) == 0);
  CHECK(FindSample(before, "medic_container_oom_killed", Named(container)) == 0);
  CHECK(before.find("medic_docker_info{api_version=") != std::string::npos);
  // system/df is slow on a cold engine and only gets the time left in the scrape; it is cached
  // once it answers, so a later scrape must carry it.
  const std::string with_df = ScrapeUntil(
      collector,
      [](const std::string& text) {
        return FindSample(text, "medic_docker_disk_usage_bytes", "type=\"images\"").has_value();
      },
      60s);
  CHECK(FindSample(with_df, "medic_docker_disk_usage_bytes", "type=\"images\"") > 0);

  container.Exec({"dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1048576", "count=40"});
  const std::string after = ScrapeUntil(collector, [&](const std::string& text) {
    const auto usage = FindSample(text, "container_memory_usage_bytes", Cadvisor(container));
    return usage && *usage - *usage_before >= 35.0 * 1024 * 1024;
  });
  const auto usage_after = FindSample(after, "container_memory_usage_bytes", Cadvisor(container));
  REQUIRE(usage_after);
  CHECK(*usage_after - *usage_before >= 35.0 * 1024 * 1024);
  CHECK(*usage_after <= 67108864);
}

TEST_CASE("only the named containers; a stopped one reports running 0 and no usage") {
  TestContainer running;
  TestContainer stopped;
  TestContainer other;
  stopped.Stop();
  ContainerCollector collector(SettingsFor({running.name(), stopped.name()}));
  const std::string text = Scrape(collector);
  INFO(text);
  CHECK(FindSample(text, "medic_container_running", Named(running)) == 1);
  CHECK(FindSample(text, "medic_container_running", Named(stopped)) == 0);
  CHECK(FindSample(text, "medic_container_state_info", Named(stopped) + ",state=\"exited\"") == 1);
  CHECK_FALSE(FindSample(text, "container_memory_usage_bytes", Cadvisor(stopped)));
  CHECK_FALSE(FindSample(text, "medic_container_running", Named(other)));
  CHECK(text.find(other.name()) == std::string::npos);
}

TEST_CASE("label filters select containers") {
  const std::string marker = UniqueContainerName();
  TestContainer labelled({.labels = {{"medic.test", marker}}});
  TestContainer unlabelled;
  ContainerSettings settings = SettingsFor({});
  settings.labels = {{"medic.test", marker}};
  ContainerCollector collector(settings);
  const std::string text = Scrape(collector);
  CHECK(FindSample(text, "medic_container_running", Named(labelled)) == 1);
  CHECK(text.find(unlabelled.name()) == std::string::npos);
}

TEST_CASE("restart through the client changes the start time; network counters per interface") {
  TestContainer container(
      {.command = {"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"}});
  ContainerCollector collector(SettingsFor({container.name()}));
  const std::string before = Scrape(collector);
  const auto started = FindSample(before, "container_start_time_seconds", Cadvisor(container));
  REQUIRE(started);
  CHECK(FindSample(before, "container_network_receive_bytes_total",
                   Cadvisor(container) + ",interface=\"network\"") >= 0);

  // Up for a few seconds first, as a container is before a restart: the restart may fall
  // between two refreshes, and only the shorter age in the list then shows it.
  ScrapeUntil(
      collector, [&](const std::string&) { return false; }, 3500ms);
  docker::DockerClient client(DockerHost());
  REQUIRE(client.Restart(container.name(), 1) == docker::ActionOutcome::kDone);
  const std::string after = ScrapeUntil(collector, [&](const std::string& text) {
    return FindSample(text, "container_start_time_seconds", Cadvisor(container)) > *started;
  });
  INFO(after);
  CHECK(FindSample(after, "medic_container_running", Named(container)) == 1);
  CHECK(FindSample(after, "container_start_time_seconds", Cadvisor(container)) > *started);
  CHECK(FindSample(after, "medic_container_restarts", Named(container)) >= 0);
}

TEST_CASE("nonexistent socket: medic_docker_up 0, fast, error kept") {
  TempDir dir;
  ContainerCollector collector(SettingsFor({}, "unix://" + dir.Join("nope.sock")));
  const auto started = std::chrono::steady_clock::now();
  const std::string text = Scrape(collector);
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK(FindSample(text, "medic_docker_up") == 0);
  CHECK(text.find("container_") == std::string::npos);
  CHECK(collector.LastError().find("nope.sock") != std::string::npos);
}

TEST_CASE("engine killed mid-test: docker_up 0 and fast, then recovery when it returns") {
  PrivatePodman engine;
  TestContainer container({.host = engine.host()});
  ContainerCollector collector(SettingsFor({container.name()}, engine.host()));
  CHECK(FindSample(Scrape(collector), "medic_docker_up") == 1);

  engine.Kill();
  const auto started = std::chrono::steady_clock::now();
  const std::string down = Scrape(collector);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(FindSample(down, "medic_docker_up") == 0);
  CHECK(down.find("container_") == std::string::npos);  // no figures the engine cannot vouch for
  CHECK_FALSE(collector.LastError().empty());

  engine.Start();
  const std::string up = Scrape(collector);
  INFO(up);
  CHECK(FindSample(up, "medic_docker_up") == 1);
  CHECK(FindSample(up, "medic_container_running", Named(container)) == 1);
  CHECK(collector.LastError().empty());
}

TEST_CASE("the medic binary serves container metrics; a dead socket still scrapes 200 quickly") {
  TempDir dir;
  MedicProcess medic("docker: {host: \"unix://" + dir.Join("none.sock") +
                     "\"}\ncollectors:\n  container: {}\n");
  const auto started = std::chrono::steady_clock::now();
  const HttpResult scrape = HttpGet(medic.port(), "/metrics");
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  REQUIRE(scrape.status == 200);
  CHECK(FindSample(scrape.body, "medic_docker_up") == 0);
  CHECK(FindSample(scrape.body, "medic_scrape_collector_success", R"(collector="container")") == 1);

  TestContainer container;
  MedicProcess live("docker: {host: \"" + DockerHost() + "\"}\ncollectors:\n  container:\n" +
                    "    names: [" + container.name() + "]\n");
  const HttpResult ok = HttpGet(live.port(), "/metrics");
  REQUIRE(ok.status == 200);
  CHECK(FindSample(ok.body, "medic_docker_up") == 1);
  CHECK(FindSample(ok.body, "medic_container_running", Named(container)) == 1);
}

TEST_CASE("a container started after the collector appears within a refresh; removed, it goes") {
  const std::string marker = UniqueContainerName();
  ContainerSettings settings = SettingsFor({});
  settings.labels = {{"medic.test", marker}};
  ContainerCollector collector(settings);
  CHECK(FindSample(Scrape(collector), "medic_docker_up") == 1);

  std::optional<TestContainer> late;
  late.emplace(ContainerOptions{.labels = {{"medic.test", marker}}});
  const std::string name = late->name();
  const std::string seen = ScrapeUntil(collector, [&](const std::string& text) {
    return FindSample(text, "container_memory_usage_bytes", Cadvisor(*late)).has_value();
  });
  INFO(seen);
  CHECK(FindSample(seen, "medic_container_running", Named(*late)) == 1);

  late.reset();  // podman rm -f
  const std::string gone = ScrapeUntil(
      collector, [&](const std::string& text) { return text.find(name) == std::string::npos; });
  INFO(gone);
  CHECK(gone.find(name) == std::string::npos);
  CHECK(FindSample(gone, "medic_docker_up") == 1);
}

TEST_CASE("scrapes serve the cached refresh: container_last_seen is when figures were fetched") {
  TestContainer container;
  ContainerSettings settings = SettingsFor({container.name()});
  settings.refresh_interval = 1h;  // only the first refresh happens during this test
  ContainerCollector collector(settings);
  const std::string first = Scrape(collector);
  const auto seen = FindSample(first, "container_last_seen", Cadvisor(container));
  REQUIRE(seen);
  std::this_thread::sleep_for(1100ms);
  const std::string second = Scrape(collector);
  CHECK(FindSample(second, "container_last_seen", Cadvisor(container)) == *seen);
  CHECK(FindSample(second, "container_cpu_usage_seconds_total", Cadvisor(container)) ==
        FindSample(first, "container_cpu_usage_seconds_total", Cadvisor(container)));

  ContainerSettings fast = SettingsFor({container.name()});
  ContainerCollector refreshing(fast);
  const auto early = FindSample(Scrape(refreshing), "container_last_seen", Cadvisor(container));
  REQUIRE(early);
  const std::string later = ScrapeUntil(refreshing, [&](const std::string& text) {
    return FindSample(text, "container_last_seen", Cadvisor(container)) > *early + 0.5;
  });
  CHECK(FindSample(later, "container_last_seen", Cadvisor(container)) > *early + 0.5);
}

TEST_CASE("a stopped then started container is seen through the refresher") {
  TestContainer container;
  ContainerCollector collector(SettingsFor({container.name()}));
  CHECK(FindSample(Scrape(collector), "medic_container_running", Named(container)) == 1);
  container.Stop();
  const std::string stopped = ScrapeUntil(collector, [&](const std::string& text) {
    return FindSample(text, "medic_container_running", Named(container)) == 0;
  });
  INFO(stopped);
  CHECK(FindSample(stopped, "medic_container_running", Named(container)) == 0);
  CHECK_FALSE(FindSample(stopped, "container_memory_usage_bytes", Cadvisor(container)));
  container.Start();
  const std::string started = ScrapeUntil(collector, [&](const std::string& text) {
    return FindSample(text, "container_memory_usage_bytes", Cadvisor(container)).has_value();
  });
  CHECK(FindSample(started, "medic_container_running", Named(container)) == 1);
}

TEST_CASE("cAdvisor's breakdown, spec and labels: from the engine, else from the cgroup") {
  TestContainer container({.memory = "64m",
                           .labels = {{"com.docker.compose.service", "web"},
                                      {"com.docker.compose.project", "review"},
                                      {"secret.team", "not-exported"}},
                           .extra_args = {"--cpus", "0.5", "--memory-reservation", "32m"}});
  ContainerSettings settings = SettingsFor({container.name()});
  settings.host_series = true;
  ContainerCollector collector(settings);
  const std::string text = ScrapeUntil(collector, [&](const std::string& scrape) {
    return scrape.find("container_memory_rss{") != std::string::npos &&
           scrape.find("machine_cpu_cores ") != std::string::npos;
  });
  INFO(text);
  const std::string labels = Cadvisor(container) +
                             ",container_label_com_docker_compose_project=\"review\""
                             ",container_label_com_docker_compose_service=\"web\"";
  CHECK(text.find("secret") == std::string::npos);  // not in the allowlist
  CHECK(FindSample(text, "container_memory_usage_bytes", labels) > 0);
  // podman sends no memory breakdown: these come from the container's cgroup.
  CHECK(FindSample(text, "container_memory_rss", labels) >= 0);
  CHECK(FindSample(text, "container_memory_cache", labels) >= 0);
  CHECK(FindSample(text, "container_memory_max_usage_bytes", labels) > 0);
  // Per device when the cgroup names one, else one series of the container's total.
  CHECK(text.find("container_fs_reads_bytes_total{" + labels) != std::string::npos);
  CHECK(text.find("container_fs_writes_bytes_total{" + labels) != std::string::npos);
  CHECK(FindSample(text, "container_cpu_user_seconds_total", labels) >= 0);
  CHECK(FindSample(text, "container_cpu_system_seconds_total", labels) >= 0);
  CHECK(FindSample(text, "container_cpu_cfs_periods_total", labels) >= 0);
  CHECK(FindSample(text, "container_spec_cpu_quota", labels) == 50000);
  CHECK(FindSample(text, "container_spec_cpu_period", labels) == 100000);
  CHECK(FindSample(text, "container_spec_cpu_shares", labels) > 0);
  CHECK(FindSample(text, "container_spec_memory_reservation_limit_bytes", labels) == 33554432);
  CHECK(FindSample(text, "machine_cpu_cores") >= 1);
  CHECK(FindSample(text, "machine_memory_bytes") > 1e8);
  // The whole host, as cAdvisor's root cgroup.
  CHECK(FindSample(text, "container_memory_usage_bytes", R"(id="/")") > 0);
  CHECK(FindSample(text, "container_cpu_usage_seconds_total", R"(id="/")") > 0);

  // The figures follow the container: 20 MB written into its memory shows in rss or cache.
  const double rss_before = *FindSample(text, "container_memory_rss", labels) +
                            *FindSample(text, "container_memory_cache", labels);
  container.Exec({"dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1048576", "count=20"});
  const std::string after = ScrapeUntil(collector, [&](const std::string& scrape) {
    const auto rss = FindSample(scrape, "container_memory_rss", labels);
    const auto cache = FindSample(scrape, "container_memory_cache", labels);
    return rss && cache && *rss + *cache - rss_before >= 15.0 * 1024 * 1024;
  });
  CHECK(*FindSample(after, "container_memory_rss", labels) +
            *FindSample(after, "container_memory_cache", labels) - rss_before >=
        15.0 * 1024 * 1024);

  // Stopped: the usage and spec series go, as in cAdvisor; the limit and medic's own stay.
  Podman({"stop", "-t", "0", container.name()});
  const std::string stopped = ScrapeUntil(collector, [&](const std::string& scrape) {
    return FindSample(scrape, "medic_container_running", Named(container)) == 0;
  });
  CHECK(FindSample(stopped, "container_memory_rss", labels) == std::nullopt);
  CHECK(FindSample(stopped, "container_spec_cpu_quota", labels) == std::nullopt);
  CHECK(FindSample(stopped, "container_spec_memory_limit_bytes", labels) == 67108864);
}

TEST_CASE("id_label cgroup_path names containers by their cgroup, as cAdvisor does") {
  TestContainer container;
  ContainerSettings settings = SettingsFor({container.name()});
  settings.id_label = ContainerSettings::IdLabel::kCgroupPath;
  settings.label_allowlist.clear();
  ContainerCollector collector(settings);
  const std::string text = ScrapeUntil(collector, [](const std::string& scrape) {
    return scrape.find("container_memory_usage_bytes{") != std::string::npos;
  });
  INFO(text);
  const auto start = text.find("container_memory_usage_bytes{id=\"/");
  REQUIRE(start != std::string::npos);
  const std::string line = text.substr(start, text.find('\n', start) - start);
  CHECK(line.find(container.id()) != std::string::npos);  // ".../libpod-<id>" or "/docker/<id>"
  CHECK(line.find("name=\"" + container.name() + "\"") != std::string::npos);
}
