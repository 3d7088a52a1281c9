// Every collector on, against real servers, and the whole exposition through
// `promtool check metrics`: a name or HELP text one collector gets wrong fails here even when
// the default config (filesystem and process only) is clean.
#include "support/podman_env.h"
#include "support/redis_server.h"
#include "support/test_pki.h"
#include "support/test_support.h"
#include "support/webhook_payload.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace std::chrono_literals;
using medic::test::FindSample;
using medic::test::HttpGet;
using medic::test::HttpPost;
using medic::test::MedicProcess;
using medic::test::WaitFor;

TEST_CASE("every collector on: the scrape passes promtool check metrics") {
  medic::test::TempDir dir;
  medic::test::RedisServer redis;
  medic::test::TestPki pki;
  const std::string leaf = pki.IssueLeaf("leaf", "localhost", 30);
  medic::test::TlsServer tls(leaf, pki.Path("leaf.key"), pki.intermediate());
  medic::test::TestContainer container(
      {.labels = {{"com.docker.compose.service", "bot"}, {"com.docker.compose.project", "x"}}});
  std::filesystem::create_directories(dir.Join("backups/20261206"));
  dir.Write("backups/20261206/db-20261206.sql", "backup");
  dir.Write("app.log", "GET / 401 Unauthorized from 10.0.0.1\nGET / 200\n");
  dir.Write("token", "secret-token\n");

  const std::string config = "data_dir: " + dir.Join("data") + "\n" + "docker: {host: \"" +
                             medic::test::DockerHost() + "\"}\n" +
                             "collectors:\n"
                             "  filesystem: {mountpoints: [/], all_mounts: true}\n"
                             "  backup:\n"
                             "    - {name: db, path: " +
                             dir.Join("backups") +
                             ", glob: \"*/*\", set: [db, config]}\n"
                             "  probe:\n"
                             "    - {name: self, url: \"http://127.0.0.1:9/health\", timeout: 1s}\n"
                             "  container: {names: [" +
                             container.name() +
                             "], host_series: true, refresh_interval: 1s}\n"
                             "  cert:\n"
                             "    endpoints: [{name: tls, address: \"" +
                             tls.address() + "\", server_name: localhost, ca_file: " + pki.ca() +
                             "}]\n"
                             "    files: [" +
                             leaf +
                             "]\n"
                             "  redis: {address: \"" +
                             redis.address() +
                             "\"}\n"
                             "  logs:\n"
                             "    sources: [{name: app, path: " +
                             dir.Join("app.log") +
                             ", from: beginning}]\n"
                             "webhook: {bearer_token_file: " +
                             dir.Join("token") + "}\n" + "targets: [" + container.name() + "]\n" +
                             "remediations:\n"
                             "  - {name: diag, match: {alertname: HighErrorRate}, target: " +
                             container.name() + ", steps: [diagnostics], silent: true}\n";
  MedicProcess medic(config);
  const auto posted = HttpPost(medic.port(), "/webhook",
                               medic::test::WebhookPayload({{"alertname", "HighErrorRate"}}, "f1"),
                               "application/json", {{"Authorization", "Bearer secret-token"}});
  CHECK(posted.status == 200);

  std::string scrape;
  // Wait for the figures that come from background work: container stats, a finished run.
  REQUIRE(WaitFor(
      [&] {
        scrape = HttpGet(medic.port(), "/metrics").body;
        return scrape.find("container_memory_usage_bytes{") != std::string::npos &&
               scrape.find("medic_remediation_duration_seconds_count") != std::string::npos;
      },
      60s));
  INFO(scrape);
  for (const char* collector :
       {"filesystem", "backup", "probe", "container", "cert", "redis", "logs", "process"}) {
    CAPTURE(collector);
    CHECK(FindSample(scrape, "medic_scrape_collector_success",
                     std::string("collector=\"") + collector + "\"") == 1);
  }
  const auto check = medic::test::PromtoolCheckMetrics(scrape);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(check.output.empty());
}
