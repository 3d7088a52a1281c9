#include "medic/config_loader.h"

#include "support/test_support.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>

using medic::ConfigError;
using medic::LoadConfigText;

namespace {

// Returns the error message a config text produces, or "" when it loads.
std::string ErrorOf(const std::string& text) {
  try {
    LoadConfigText(text, "medic.yml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the embedded default config loads and watches only the root filesystem") {
  const medic::Config config = medic::LoadDefaultConfig();
  CHECK(config.web.listen_address == "127.0.0.1:9469");
  CHECK(config.web.telemetry_path == "/metrics");
  REQUIRE(config.collectors.filesystem);
  CHECK(config.collectors.filesystem->mountpoints == std::vector<std::string>{"/"});
  CHECK_FALSE(config.collectors.container);
  CHECK_FALSE(config.collectors.redis);
  CHECK_FALSE(config.collectors.cert);
  CHECK_FALSE(config.webhook);
  CHECK(config.remediations.empty());
}

TEST_CASE("the design's config sketch loads with every section") {
  medic::test::TempDir dir;
  dir.Write("token", "s3cret\n");
  dir.Write("slack", "https://hooks.example.invalid/T000\n");
  dir.Write("redis-pass", "hunter2");
  const std::string text = R"(
web:
  listen_address: 127.0.0.1:9469
  telemetry_path: /metrics
  config_file: ""
collectors:
  filesystem: {mountpoints: [/]}
  backup:
    - {name: review-bot, path: /opt/backups/review-bot, glob: "*.tar.gz"}
  probe:
    - {name: review-bot, url: "https://review-bot.example.com/health", timeout: 5s}
  container:
    names: [review-bot, redis]
  cert:
    endpoints:
      - {name: review-bot, address: "review-bot.example.com:443", server_name: review-bot.example.com, timeout: 5s}
    files: [/etc/ssl/certs/review-bot.pem]
  redis: {address: "127.0.0.1:6379", password_file: ")" +
                           dir.Join("redis-pass") + R"(", timeout: 2s}
  logs:
    sources:
      - {name: app, path: /var/log/review-bot/app.log}
      - {name: review-bot, container: review-bot}
    rules:
      - {name: auth_failure, regex: "(?i)unauthorized|authentication failed|forbidden"}
webhook:
  path: /webhook
  bearer_token_file: )" + dir.Join("token") +
                           R"(
  max_body_bytes: 1048576
journal: {path: /var/lib/medic/journal.db, retention: 30d}
targets: [review-bot]
notifiers:
  slack: {url_file: )" + dir.Join("slack") +
                           R"(, format: slack}
remediations:
  - name: service-down
    match: {alertname: ServiceDown, severity: critical}
    target: review-bot
    cooldown: 10m
    max_per_hour: 3
    steps:
      - restart: {timeout: 10s}
      - verify: {url: "http://127.0.0.1:8000/health", attempts: 10, interval: 10s}
      - escalate: recreate
      - notify: slack
  - {name: high-error-rate, match: {alertname: HighErrorRate}, target: review-bot, steps: [diagnostics, {notify: slack}]}
  - {name: high-memory, match: {alertname: HighMemoryUsage}, target: review-bot, steps: [prune, restart, {notify: slack}]}
)";
  const medic::Config config = LoadConfigText(text, "sketch.yml");
  REQUIRE(config.collectors.backup);
  CHECK(config.collectors.backup->at(0).glob == "*.tar.gz");
  REQUIRE(config.collectors.probe);
  CHECK(config.collectors.probe->at(0).timeout == std::chrono::seconds(5));
  REQUIRE(config.collectors.redis);
  CHECK(config.collectors.redis->password == "hunter2");
  REQUIRE(config.collectors.logs);
  CHECK(config.collectors.logs->sources.at(1).container == "review-bot");
  REQUIRE(config.webhook);
  CHECK(config.webhook->bearer_token == "s3cret");
  CHECK(config.journal.retention == std::chrono::hours(24 * 30));
  CHECK(config.notifiers.at("slack").url == "https://hooks.example.invalid/T000");
  CHECK(config.notifiers.at("slack").format == medic::NotifierSettings::Format::kSlack);
  REQUIRE(config.remediations.size() == 3);
  const auto& service_down = config.remediations[0];
  CHECK(service_down.match.size() == 2);
  REQUIRE(service_down.steps.size() == 4);
  CHECK(service_down.steps[1].kind == medic::StepSettings::Kind::kVerify);
  CHECK(service_down.steps[1].attempts == 10);
  CHECK(service_down.steps[2].escalation == "recreate");
  CHECK(service_down.steps[3].notifier == "slack");
  CHECK(config.remediations[2].steps[0].kind == medic::StepSettings::Kind::kPrune);
}

TEST_CASE("container refresh_interval: 15s by default, configurable, at least 100ms") {
  const auto defaults = LoadConfigText("collectors:\n  container: {}\n", "medic.yml");
  REQUIRE(defaults.collectors.container);
  CHECK(defaults.collectors.container->refresh_interval == std::chrono::seconds(15));
  const auto configured = LoadConfigText(
      "collectors:\n  container: {refresh_interval: 7s, disk_usage_interval: 10m}\n", "medic.yml");
  REQUIRE(configured.collectors.container);
  CHECK(configured.collectors.container->refresh_interval == std::chrono::seconds(7));
  CHECK(configured.collectors.container->disk_usage_interval == std::chrono::minutes(10));
  CHECK(ErrorOf("collectors:\n  container: {refresh_interval: 10ms}\n") ==
        "medic.yml:2:33: collectors.container.refresh_interval: must be at least 100ms");
}

TEST_CASE("one docker section serves every part that talks to the engine") {
  const medic::Config config = medic::LoadConfigText(
      "docker: {host: unix:///run/podman/podman.sock, timeout: 7s}\n"
      "collectors:\n  container: {names: [review-bot]}\n"
      "  logs: {sources: [{name: bot, container: review-bot}]}\n"
      "webhook: {bearer_token: t}\n",
      "medic.yml");
  CHECK(config.docker.host == "unix:///run/podman/podman.sock");
  CHECK(config.docker.timeout == std::chrono::seconds(7));
  CHECK(config.collectors.container->docker.host == config.docker.host);
  CHECK(config.collectors.container->docker.timeout == std::chrono::seconds(7));
  CHECK(config.collectors.logs->docker.host == config.docker.host);
  // Absent: empty host ($DOCKER_HOST, else the docker CLI's default socket), 5s.
  const medic::Config defaults = medic::LoadConfigText("collectors: {container: {}}\n", "m.yml");
  CHECK(defaults.docker.host.empty());
  CHECK(defaults.collectors.container->docker.timeout == std::chrono::seconds(5));
  CHECK(ErrorOf("docker: {host: tcp://127.0.0.1:2375}\n") ==
        "medic.yml:1:16: docker.host: only unix:// Docker hosts are supported");
  CHECK(ErrorOf("docker: {hots: unix:///x.sock}\n").find("docker.hots") != std::string::npos);
}

TEST_CASE("the old per-section engine keys are refused with a pointer to docker:") {
  const std::string moved =
      "moved: the Docker engine is configured once, in the top-level section ";
  const std::string container =
      ErrorOf("collectors:\n  container:\n    docker_host: unix:///x.sock\n");
  CHECK(container.rfind("medic.yml:3:", 0) == 0);
  CHECK(container.find("collectors.container.docker_host: " + moved +
                       "docker.host (used by every part that talks to the engine)") !=
        std::string::npos);
  CHECK(ErrorOf("collectors:\n  container: {timeout: 5s}\n")
            .find("collectors.container.timeout: " + moved + "docker.timeout") !=
        std::string::npos);
  CHECK(ErrorOf("collectors:\n  logs:\n    docker_host: unix:///x.sock\n")
            .find("collectors.logs.docker_host: " + moved + "docker.host") != std::string::npos);
  CHECK(ErrorOf("webhook:\n  bearer_token: t\n  docker_host: unix:///x.sock\n")
            .find("webhook.docker_host: " + moved + "docker.host") != std::string::npos);
}

TEST_CASE("malformed YAML names the line") {
  const std::string error = ErrorOf("web:\n  listen_address: [unclosed\n");
  CHECK(error.find("medic.yml:") == 0);
  CHECK(error.find("invalid YAML") != std::string::npos);
}

TEST_CASE("an unknown key is rejected with its path, line and column") {
  const std::string error = ErrorOf("web:\n  listen_address: 127.0.0.1:1\n  listen_adress: x\n");
  CHECK(error ==
        "medic.yml:3:3: web.listen_adress: unknown key \"listen_adress\" (allowed here: "
        "auth_throttle_exempt, config_file, idle_timeout, listen_address, "
        "max_auth_failures_per_minute, max_concurrent_probes, max_connections, "
        "max_connections_per_peer, "
        "max_header_bytes, max_header_fields, max_request_body_bytes, max_requests_per_peer, "
        "read_timeout, "
        "shutdown_timeout, status_max_age, telemetry_path, tls_handshake_timeout, worker_threads, "
        "write_timeout)");
}

TEST_CASE("web.status_max_age: how old a scrape the status page may show, 15s by default") {
  CHECK(medic::LoadConfigText("{}\n", "medic.yml").web.status_max_age == std::chrono::seconds(15));
  CHECK(medic::LoadConfigText("web: {status_max_age: 1m}\n", "medic.yml").web.status_max_age ==
        std::chrono::minutes(1));
  CHECK(medic::LoadConfigText("web: {status_max_age: 0s}\n", "medic.yml").web.status_max_age ==
        std::chrono::seconds(0));
}

TEST_CASE("wrong types and bad values name the key") {
  CHECK(ErrorOf("collectors:\n  probe:\n    - {name: a, url: http://x, timeout: 5x}\n") ==
        "medic.yml:3:41: collectors.probe[0].timeout: invalid duration \"5x\" (use e.g. 500ms, "
        "10s, 5m, 1h, 7d)");
  CHECK(ErrorOf("collectors:\n  filesystem: {mountpoints: relative}\n")
            .find("collectors.filesystem.mountpoints: expected a list") != std::string::npos);
  CHECK(ErrorOf("collectors:\n  filesystem: {mountpoints: [relative]}\n")
            .find("must be an absolute path") != std::string::npos);
  CHECK(ErrorOf("web: {listen_address: nohost}\n").find("expected host:port") != std::string::npos);
  CHECK(ErrorOf("collectors:\n  process: maybe\n")
            .find("collectors.process: expected true or false") != std::string::npos);
  CHECK(ErrorOf("collectors:\n  probe:\n    - {name: a, url: ftp://x}\n")
            .find("must be an http:// or https:// URL") != std::string::npos);
  CHECK(ErrorOf("collectors:\n  probe:\n    - {url: http://x}\n")
            .find("missing required key \"name\"") != std::string::npos);
  CHECK(ErrorOf("collectors:\n  backup:\n    - {name: a, path: /x}\n    - {name: a, path: /y}\n")
            .find("duplicate name \"a\"") != std::string::npos);
  CHECK(ErrorOf("web: {telemetry_path: /a}\nweb: {telemetry_path: /b}\n").find("duplicate key") !=
        std::string::npos);
  CHECK(ErrorOf("- just\n- a list\n").find("must be a mapping") != std::string::npos);
}

TEST_CASE("an invalid log rule regex is rejected with the rule name") {
  const std::string error = ErrorOf(
      "collectors:\n  logs:\n    sources: [{name: app, path: /tmp/x.log}]\n    rules:\n"
      "      - {name: broken, regex: \"(unclosed\"}\n");
  CHECK(error.find("medic.yml:5:") == 0);
  CHECK(error.find("collectors.logs.rules[0].regex: invalid regex for rule \"broken\"") !=
        std::string::npos);
}

TEST_CASE("secrets come from files or the environment, and failures name the key") {
  medic::test::TempDir dir;
  CHECK(ErrorOf("webhook:\n  bearer_token_file: /nonexistent/token\n")
            .find("webhook.bearer_token_file: cannot read secret file") != std::string::npos);
  dir.Write("empty", "");
  CHECK(ErrorOf("webhook:\n  bearer_token_file: " + dir.Join("empty") + "\n").find("is empty") !=
        std::string::npos);
  CHECK(ErrorOf("webhook:\n  bearer_token: a\n  bearer_token_file: b\n").find("not both") !=
        std::string::npos);
  ::setenv("MEDIC_TEST_TOKEN", "from-env", 1);
  const auto config = LoadConfigText("webhook:\n  bearer_token: ${MEDIC_TEST_TOKEN}\n", "x");
  CHECK(config.webhook->bearer_token == "from-env");
  ::unsetenv("MEDIC_TEST_UNSET_VARIABLE");
  CHECK(ErrorOf("webhook:\n  bearer_token: ${MEDIC_TEST_UNSET_VARIABLE}\n")
            .find("environment variable \"MEDIC_TEST_UNSET_VARIABLE\" is not set") !=
        std::string::npos);
  CHECK(LoadConfigText("webhook:\n  bearer_token: a$$b\n", "x").webhook->bearer_token == "a$b");
}

TEST_CASE("remediations are checked against the allowlist, notifiers and step names") {
  const std::string base = "targets: [review-bot]\n";
  CHECK(ErrorOf("notifiers:\n  chat: {url: \"https://chat.invalid/x\", format: teams}\n")
            .find("format must be slack, json or auto, got \"teams\"") != std::string::npos);
  CHECK(ErrorOf(base + "remediations:\n  - {name: r, match: {alertname: A}, target: other, "
                       "steps: [restart]}\n")
            .find("remediations[0].target: target \"other\" is not in the targets: allowlist") !=
        std::string::npos);
  CHECK(ErrorOf(base + "remediations:\n  - {name: r, match: {alertname: A}, target: review-bot, "
                       "steps: [{notify: nowhere}]}\n")
            .find("unknown notifier \"nowhere\"") != std::string::npos);
  CHECK(ErrorOf(base + "remediations:\n  - {name: r, match: {alertname: A}, target: review-bot, "
                       "steps: [reboot]}\n")
            .find("unknown step \"reboot\"") != std::string::npos);
  CHECK(ErrorOf(base + "remediations:\n  - {name: r, target: review-bot, steps: [restart]}\n")
            .find("needs match") != std::string::npos);
  CHECK(ErrorOf(base + "remediations:\n  - {name: r, match: {alertname: A}, target: review-bot, "
                       "steps: [{exec: [rm, -rf]}]}\n")
            .find("argv[0] must be an absolute path") != std::string::npos);
  const auto config =
      LoadConfigText(base +
                         "remediations:\n  - name: r\n    matchers: ['alertname=~\"Service.*\"', "
                         "'env!=\"dev\"']\n    target_label: name\n    silent: true\n    steps:\n  "
                         "    - exec: {argv: "
                         "[/bin/true, x], timeout: 5s}\n",
                     "x");
  CHECK(config.remediations[0].silent);
  // A remediation whose outcomes could reach nobody is refused, naming what to add.
  const std::string unheard = ErrorOf(base +
                                      "remediations:\n  - {name: r, match: {alertname: A}, "
                                      "target: review-bot, steps: [restart]}\n");
  CHECK(unheard.find("medic.yml:3:5: remediations[0]: remediation \"r\" could tell nobody") == 0);
  CHECK(unheard.find("define one under notifiers:") != std::string::npos);
  REQUIRE(config.remediations.at(0).match.size() == 2);
  CHECK(config.remediations[0].match[0].kind == medic::LabelMatcher::Kind::kRegex);
  CHECK(config.remediations[0].match[0].value == "Service.*");
  CHECK(config.remediations[0].match[1].kind == medic::LabelMatcher::Kind::kNotEqual);
  CHECK(config.remediations[0].steps[0].argv == std::vector<std::string>{"/bin/true", "x"});
}

TEST_CASE("a missing file is a clear error") {
  try {
    medic::LoadConfigFile("/nonexistent/medic.yml");
    FAIL("expected an error");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()) == "/nonexistent/medic.yml: cannot open configuration file");
  }
}

TEST_CASE("the shipped config wires the seed's three remediations") {
  // deploy/medic.example.yml is what the service unit and the image install; it reads its
  // secrets from /run/secrets, pointed at dummy files here.
  medic::test::TempDir dir;
  dir.Write("medic-webhook-token", "token\n");
  dir.Write("slack-webhook-url", "https://hooks.slack.invalid/services/T/B/X\n");
  std::string text =
      medic::test::ReadFile(std::string(MEDIC_SOURCE_DIR) + "/deploy/medic.example.yml");
  REQUIRE(!text.empty());
  for (auto at = text.find("/run/secrets/"); at != std::string::npos;
       at = text.find("/run/secrets/", at)) {
    text.replace(at, 13, dir.path() + "/");
  }
  const auto config = medic::LoadConfigText(text, "medic.example.yml");
  using Kind = medic::StepSettings::Kind;
  const auto chain = [&config](const std::string& alertname) {
    std::vector<Kind> kinds;
    for (const auto& remediation : config.remediations) {
      for (const auto& matcher : remediation.match) {
        if (matcher.label == "alertname" && matcher.value == alertname) {
          for (const auto& step : remediation.steps) kinds.push_back(step.kind);
        }
      }
    }
    return kinds;
  };
  CHECK(chain("ServiceDown") ==
        std::vector<Kind>{Kind::kRestart, Kind::kVerify, Kind::kEscalate, Kind::kNotify});
  CHECK(chain("HighErrorRate") == std::vector<Kind>{Kind::kDiagnostics, Kind::kNotify});
  CHECK(chain("HighMemoryUsage") == std::vector<Kind>{Kind::kPrune, Kind::kRestart, Kind::kNotify});
  REQUIRE(config.webhook);  // auth on: the webhook reads its bearer token
  CHECK(config.webhook->bearer_token == "token");
}

TEST_CASE("backup globs reach into dated directories and name the bad key") {
  const auto config = LoadConfigText(
      "collectors:\n  backup:\n    - {name: review-bot, path: /opt/backups/review-bot, glob: "
      "\"*/*\", set: [config, data, db]}\n",
      "medic.yml");
  REQUIRE(config.collectors.backup);
  CHECK(config.collectors.backup->at(0).glob == "*/*");
  CHECK(config.collectors.backup->at(0).set == std::vector<std::string>{"config", "data", "db"});

  const std::string prefix = "collectors:\n  backup:\n    - name: a\n      path: /x\n";
  const std::string mixed = ErrorOf(prefix + "      glob: \"a**b/*.tar.gz\"\n");
  CHECK(mixed.find("medic.yml:5:") == 0);
  CHECK(mixed.find("collectors.backup[0].glob: glob \"a**b/*.tar.gz\": \"**\" must be a whole "
                   "path segment") != std::string::npos);
  CHECK(ErrorOf(prefix + "      glob: /opt/backups/*.tar.gz\n")
            .find("collectors.backup[0].glob: glob \"/opt/backups/*.tar.gz\" must be relative") !=
        std::string::npos);
  CHECK(ErrorOf(prefix + "      glob: \"*//x\"\n").find("empty path segment") != std::string::npos);
  CHECK(ErrorOf(prefix + "      set: []\n").find("collectors.backup[0].set: list the parts") !=
        std::string::npos);
  const std::string duplicate = ErrorOf(prefix + "      set: [config, db, config]\n");
  CHECK(duplicate.find("medic.yml:5:") == 0);
  CHECK(duplicate.find("collectors.backup[0].set[2]: duplicate part \"config\"") !=
        std::string::npos);
  CHECK(ErrorOf(prefix + "      set: [\"db-*\"]\n").find("leave out glob characters") !=
        std::string::npos);
  CHECK(ErrorOf(prefix + "      sets: [db]\n").find("sets") != std::string::npos);
}

TEST_CASE("a journal section without a path keeps the journal under data_dir; sizes take units") {
  const auto config = LoadConfigText(
      "data_dir: /srv/medic\njournal: {retention: 7d, max_bytes: 64MiB, "
      "max_alert_bytes: 8KiB}\n",
      "t.yml");
  CHECK(config.journal.path == "/srv/medic/journal.db");
  CHECK(config.journal.max_bytes == 64ull << 20);
  CHECK(config.journal.max_alert_bytes == 8u << 10);
  CHECK(LoadConfigText("journal: {max_bytes: 1073741824}\n", "t.yml").journal.max_bytes ==
        1ull << 30);
  CHECK(LoadConfigText("", "t.yml").journal.max_bytes == 256ull << 20);
  for (const char* bad : {"journal: {max_bytes: 10}\n", "journal: {max_bytes: 5 parsecs}\n",
                          "journal: {max_bytes: -1MiB}\n", "journal: {max_bytes: 99999999TiB}\n"}) {
    try {
      LoadConfigText(bad, "t.yml");
      FAIL("accepted " << bad);
    } catch (const ConfigError& error) {
      CHECK(std::string(error.what()).find("journal.max_bytes") != std::string::npos);
    }
  }
}

TEST_CASE("web.auth_throttle_exempt takes CIDR networks and names a bad one") {
  CHECK(LoadConfigText("web: {auth_throttle_exempt: [10.0.0.5/32, '2001:db8::/32']}\n", "t.yml")
            .web.auth_throttle_exempt.size() == 2);
  const std::string error = ErrorOf("web:\n  auth_throttle_exempt: [10.1.2.0/40]\n");
  CHECK(error.find("web.auth_throttle_exempt") != std::string::npos);
  CHECK(error.find("10.1.2.0/40") != std::string::npos);
}

TEST_CASE("the server's limits under web: parse with units, and bad values name the key") {
  const auto config = medic::LoadConfigText(
      "web:\n  idle_timeout: 2s\n  tls_handshake_timeout: 3s\n  max_header_bytes: 8KiB\n"
      "  max_header_fields: 50\n  max_connections: 1000\n  max_connections_per_peer: 20\n"
      "  worker_threads: 2\n",
      "medic.yml");
  CHECK(config.web.idle_timeout == std::chrono::seconds(2));
  CHECK(config.web.tls_handshake_timeout == std::chrono::seconds(3));
  CHECK(config.web.max_header_bytes == 8192);
  CHECK(config.web.max_header_fields == 50);
  CHECK(config.web.max_connections == 1000);
  CHECK(config.web.max_connections_per_peer == 20);
  CHECK(config.web.worker_threads == 2);
  CHECK(ErrorOf("web:\n  max_connections: 3\n").find("medic.yml:2:20: web.max_connections") == 0);
  CHECK(ErrorOf("web:\n  worker_threads: 0\n").find("web.worker_threads") != std::string::npos);
  CHECK(ErrorOf("web:\n  idle_timeout: soon\n").find("web.idle_timeout") != std::string::npos);
  for (const char* key :
       {"read_timeout", "write_timeout", "idle_timeout", "tls_handshake_timeout"}) {
    CAPTURE(key);
    CHECK(ErrorOf(std::string("web:\n  ") + key + ": 0s\n").find("must be more than 0s") !=
          std::string::npos);
  }
  CHECK(ErrorOf("web:\n  max_header_bytes: 10\n").find("web.max_header_bytes") !=
        std::string::npos);
}

TEST_CASE("filesystem: node_exporter's discovery and exclusions, checked regexes, mount timeout") {
  const auto defaults = LoadConfigText("collectors:\n  filesystem: {}\n", "medic.yml");
  REQUIRE(defaults.collectors.filesystem);
  CHECK_FALSE(defaults.collectors.filesystem->all_mounts);
  CHECK(defaults.collectors.filesystem->fs_types_exclude == medic::kDefaultFsTypesExclude);
  CHECK(defaults.collectors.filesystem->mount_timeout == std::chrono::seconds(5));
  const auto configured = LoadConfigText(
      "collectors:\n  filesystem:\n    all_mounts: true\n    fs_types_exclude: \"^tmpfs$\"\n"
      "    mount_timeout: 2s\n",
      "medic.yml");
  CHECK(configured.collectors.filesystem->all_mounts);
  CHECK(configured.collectors.filesystem->fs_types_exclude == "^tmpfs$");
  CHECK(configured.collectors.filesystem->mount_timeout == std::chrono::seconds(2));
  CHECK(ErrorOf("collectors:\n  filesystem:\n    mount_points_exclude: \"^(/proc\"\n")
            .find("medic.yml:3:27: collectors.filesystem.mount_points_exclude: invalid regular "
                  "expression") != std::string::npos);
}

TEST_CASE("container: cAdvisor options with their defaults, and bad values name the key") {
  const auto defaults = LoadConfigText("collectors:\n  container: {}\n", "medic.yml");
  const medic::ContainerSettings& container = *defaults.collectors.container;
  CHECK(container.label_allowlist == std::vector<std::string>{"com.docker.compose.*"});
  CHECK(container.id_label == medic::ContainerSettings::IdLabel::kContainerId);
  CHECK_FALSE(container.host_series);
  CHECK(container.cgroup_root == "/sys/fs/cgroup");
  const auto configured = LoadConfigText(
      "collectors:\n  container:\n    label_allowlist: []\n    id_label: cgroup_path\n"
      "    host_series: true\n    proc_root: /host/proc\n    cgroup_root: \"\"\n",
      "medic.yml");
  CHECK(configured.collectors.container->label_allowlist.empty());
  CHECK(configured.collectors.container->id_label ==
        medic::ContainerSettings::IdLabel::kCgroupPath);
  CHECK(configured.collectors.container->host_series);
  CHECK(configured.collectors.container->proc_root == "/host/proc");
  CHECK(configured.collectors.container->cgroup_root.empty());
  CHECK(ErrorOf("collectors:\n  container: {id_label: docker}\n") ==
        "medic.yml:2:25: collectors.container.id_label: must be container_id or cgroup_path");
  CHECK(ErrorOf("collectors:\n  container: {proc_root: proc}\n")
            .find("collectors.container.proc_root: must be an absolute path") != std::string::npos);
}

TEST_CASE("fleet: absent acts on every alert; present defaults host to the hostname") {
  CHECK_FALSE(LoadConfigText("web: {}\n", "medic.yml").fleet);
  const medic::Config config = LoadConfigText("fleet: {}\n", "medic.yml");
  REQUIRE(config.fleet);
  char hostname[256] = {};
  REQUIRE(::gethostname(hostname, sizeof(hostname) - 1) == 0);
  CHECK(config.fleet->host == hostname);
  CHECK(config.fleet->host_label == "instance");
  CHECK(config.fleet->aliases.empty());
  CHECK(config.fleet->ignore_labels == std::vector<std::string>{"replica", "prometheus_replica"});
  CHECK(config.fleet->replica_window == std::chrono::minutes(2));
  CHECK(config.fleet->without_host_label == medic::FleetSettings::WithoutHostLabel::kIgnore);

  const medic::Config full = LoadConfigText(
      "fleet:\n  host: host-2\n  aliases: [host-2.example.com, 10.0.0.2, \"::1\"]\n"
      "  host_label: node\n  without_host_label: act\n  ignore_labels: [replica, cluster]\n"
      "  replica_window: 30s\n",
      "medic.yml");
  REQUIRE(full.fleet);
  CHECK(full.fleet->host == "host-2");
  CHECK(full.fleet->aliases == std::vector<std::string>{"host-2.example.com", "10.0.0.2", "::1"});
  CHECK(full.fleet->host_label == "node");
  CHECK(full.fleet->without_host_label == medic::FleetSettings::WithoutHostLabel::kAct);
  CHECK(full.fleet->ignore_labels == std::vector<std::string>{"replica", "cluster"});
  CHECK(full.fleet->replica_window == std::chrono::seconds(30));
}

TEST_CASE("fleet: a bad key, host, label or window names the key and the line") {
  const std::string port = ErrorOf("web: {}\nfleet:\n  host: \"host-2:9469\"\n");
  CHECK(port.rfind("medic.yml:3:", 0) == 0);
  CHECK(port.find("fleet.host:") != std::string::npos);
  CHECK(port.find("no port") != std::string::npos);
  CHECK(ErrorOf("fleet: {host: \"[::1]\"}\n").find("fleet.host:") != std::string::npos);
  CHECK(ErrorOf("fleet: {aliases: [\"a b\"]}\n").find("fleet.aliases") != std::string::npos);
  CHECK(ErrorOf("fleet: {host_label: \"1bad\"}\n").find("fleet.host_label:") != std::string::npos);
  CHECK(ErrorOf("fleet: {without_host_label: maybe}\n").find("must be ignore or act") !=
        std::string::npos);
  CHECK(ErrorOf("fleet: {ignore_labels: [instance]}\n").find("alerts of different hosts") !=
        std::string::npos);
  CHECK(ErrorOf("fleet: {ignore_labels: [alertname]}\n").find("alertname cannot be ignored") !=
        std::string::npos);
  CHECK(ErrorOf("fleet: {replica_window: 2h}\n").find("fleet.replica_window: at most 1h") !=
        std::string::npos);
  CHECK(ErrorOf("fleet: {hostname: x}\n").find("fleet.hostname") != std::string::npos);
}
