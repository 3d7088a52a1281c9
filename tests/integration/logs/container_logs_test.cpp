// Container log sources against the real podman engine (Docker-compatible API).

#include "medic/collectors/logs.h"
#include "medic/logs/container_source.h"

#include "support/podman_env.h"
#include "support/test_support.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using medic::LogsCollector;
using medic::LogSettings;
using namespace medic::test;

namespace {

// Prints 3 auth failures on stdout and 3 on stderr at every start, then idles.
ContainerOptions Printer() {
  ContainerOptions options;
  options.command = {"sh", "-c",
                     "trap 'exit 0' TERM; for i in 1 2 3; do "
                     "echo \"203.0.113.9 - - GET /admin 401 Unauthorized $i\"; "
                     "echo \"sshd: authentication failed for root $i\" >&2; done; "
                     "while true; do sleep 1; done"};
  return options;
}

LogSettings Settings(const std::string& container, bool from_beginning, const TempDir& dir) {
  LogSettings settings;
  settings.sources.push_back({"bot", "", container, from_beginning});
  settings.docker.host = DockerHost();
  settings.poll_interval = 100ms;
  settings.state_file = dir.Join("offsets.json");
  return settings;
}

// Waits for `rounds` more poll rounds: the second starts after this call.
void AfterPolls(const LogsCollector& collector, std::uint64_t rounds = 2) {
  const std::uint64_t start = collector.PollRounds();
  REQUIRE(WaitFor([&] { return collector.PollRounds() >= start + rounds; }, 30s));
}

void ExpectLines(LogsCollector& collector, std::uint64_t lines) {
  CHECK(WaitFor([&] { return collector.LinesTotal("bot") >= lines; }, 30s));
  AfterPolls(collector, 3);  // several more polls: nothing counted twice
  CHECK(collector.LinesTotal("bot") == lines);
}

bool LogsHaveSixLines(const TestContainer& container) {
  const auto result = Podman({"logs", container.name()});
  std::size_t lines = 0;
  for (char c : result.output) lines += c == '\n';
  return lines >= 6;
}

}  // namespace

TEST_CASE(
    "container logs: stdout and stderr counted exactly; restart and medic restart don't recount") {
  TempDir dir;
  TestContainer bot(Printer());
  REQUIRE(WaitFor([&] { return LogsHaveSixLines(bot); }, 30s));
  {
    LogsCollector collector(Settings(bot.name(), true, dir));
    ExpectLines(collector, 6);
    CHECK(collector.MatchesTotal("bot", "auth_failure") == 6);
    CHECK(collector.OffendersJson()["rules"]["auth_failure"][0]["ip"] == "203.0.113.9");
    CHECK(collector.OffendersJson()["rules"]["auth_failure"][0]["matches"] == 3);
    // Restart (same id): the old lines stay in the log; only the 6 new ones are counted.
    bot.Stop();
    bot.Start();
    ExpectLines(collector, 12);
    CHECK(collector.MatchesTotal("bot", "auth_failure") == 12);
  }
  {  // medic restarted: the state file's timestamp prevents a recount.
    LogsCollector collector(Settings(bot.name(), true, dir));
    AfterPolls(collector, 3);
    CHECK(collector.LinesTotal("bot") == 0);
    bot.Stop();
    bot.Start();
    ExpectLines(collector, 6);
  }
}

TEST_CASE("container logs: start at the end; a missing container is a read error") {
  TempDir dir;
  TestContainer bot(Printer());
  REQUIRE(WaitFor([&] { return LogsHaveSixLines(bot); }, 30s));
  LogSettings settings = Settings(bot.name(), false, dir);
  settings.sources.push_back({"ghost", "", "medic-test-does-not-exist", false});
  LogsCollector collector(settings);
  AfterPolls(collector, 3);
  CHECK(collector.LinesTotal("bot") == 0);
  bot.Stop();
  bot.Start();
  ExpectLines(collector, 6);
  CHECK(collector.MatchesTotal("bot", "auth_failure") == 6);
  bool error_counted = false;
  for (const auto& family : collector.Collect()) {
    if (family.name != "medic_log_read_errors_total") continue;
    for (const auto& metric : family.metric) {
      if (metric.label.at(0).value == "ghost") error_counted = metric.counter.value == 1;
    }
  }
  CHECK(error_counted);
}

TEST_CASE("container logs: lines sharing a whole-second timestamp across polls are all counted") {
  // podman stamps log lines with whole seconds; polling every 100 ms while the container writes
  // every 120 ms puts several polls inside one second, each seeing the same stamp.
  TempDir dir;
  ContainerOptions options;
  options.command = {"sh", "-c",
                     "sleep 1; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do "
                     "echo \"203.0.113.7 - - GET /admin 401 Unauthorized $i\"; usleep 120000; "
                     "done; while true; do sleep 1; done"};
  TestContainer writer(options);
  LogsCollector collector(Settings(writer.name(), true, dir));
  ExpectLines(collector, 20);
  CHECK(collector.MatchesTotal("bot", "auth_failure") == 20);
}
