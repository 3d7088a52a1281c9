// `medic report` on the built binary against a real Prometheus whose TSDB holds three days of
// generated history (loaded with promtool before it starts), so trends are exact: a disk that
// loses 2 GiB a day, a container at 92% of its memory limit, 30 auth failures a day.
#include "support/prometheus_server.h"
#include "support/test_support.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <functional>

namespace {

using medic::test::PrometheusServer;
using medic::test::RunCommand;

constexpr double kStep = 120;        // one sample every 2 minutes
constexpr double kSpan = 3 * 86400;  // three days of history
constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kMiB = 1024.0 * 1024;

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// OpenMetrics text: every family's samples together, each series in time order, ending close
// enough to now that instant queries still see the newest sample (5 minute lookback).
class History {
 public:
  explicit History(double end) : end_(end) {}

  // `value(i, n)`: the value of sample i of n (0 = oldest).
  void Add(const std::string& family, const std::string& type, const std::string& labels,
           const std::function<double(int, int)>& value) {
    if (family != last_family_) {
      text_ += "# TYPE " + family + " " + type + "\n";
      last_family_ = family;
    }
    const std::string name = type == "counter" ? family + "_total" : family;
    const int samples = static_cast<int>(kSpan / kStep) + 1;
    for (int i = 0; i < samples; ++i) {
      char line[512];
      std::snprintf(line, sizeof(line), "%s%s %.6f %.3f\n", name.c_str(),
                    labels.empty() ? "" : ("{" + labels + "}").c_str(), value(i, samples),
                    end_ - kSpan + i * kStep);
      text_ += line;
    }
  }
  std::string Text() const { return text_ + "# EOF\n"; }

 private:
  double end_;
  std::string last_family_;
  std::string text_;
};

std::string GenerateHistory(double end) {
  History h(end);
  const auto constant = [](double v) { return [v](int, int) { return v; }; };
  // capacity
  h.Add("container_memory_usage_bytes", "gauge", R"(name="review-bot")",
        [](int i, int n) { return (300 + 171.04 * i / (n - 1)) * kMiB; });  // peak 92% of 512 MiB
  h.Add("container_memory_usage_bytes", "gauge", R"(name="redis")", constant(128 * kMiB));
  h.Add("container_spec_memory_limit_bytes", "gauge", R"(name="review-bot")", constant(512 * kMiB));
  h.Add("container_spec_memory_limit_bytes", "gauge", R"(name="redis")", constant(512 * kMiB));
  h.Add("container_cpu_usage_seconds", "counter", R"(name="review-bot")",
        [](int i, int) { return 0.25 * kStep * i; });
  h.Add("node_filesystem_size_bytes", "gauge", R"(mountpoint="/srv")", constant(100 * kGiB));
  h.Add("node_filesystem_size_bytes", "gauge", R"(mountpoint="/")", constant(50 * kGiB));
  h.Add("node_filesystem_avail_bytes", "gauge", R"(mountpoint="/srv")",
        [](int i, int) { return 60 * kGiB - 2 * kGiB * (i * kStep / 86400); });
  h.Add("node_filesystem_avail_bytes", "gauge", R"(mountpoint="/")", constant(30 * kGiB));
  h.Add("medic_docker_disk_usage_bytes", "gauge", R"(type="images")",
        [](int i, int n) { return (2 + 1.0 * i / (n - 1)) * kGiB; });
  // security
  h.Add("medic_log_matches", "counter", R"(rule="auth_failure",source="auth")",
        [](int i, int) { return 30 * (i * kStep / 86400); });
  h.Add("medic_log_matches", "counter", R"(rule="error",source="app")",
        [](int i, int) { return 5 * (i * kStep / 86400); });
  h.Add("medic_log_top_offender_matches", "gauge", R"(ip="203.0.113.7",rule="auth_failure")",
        constant(42));
  h.Add("medic_cert_earliest_expiry_timestamp_seconds", "gauge", R"(target="api")",
        constant(end + 10 * 86400));
  h.Add("medic_cert_verify_ok", "gauge", R"(target="api")", constant(1));
  h.Add("medic_cert_probe_success", "gauge", R"(target="api")", constant(1));
  h.Add("medic_webhook_requests", "counter", R"(code="200")",
        [](int i, int) { return static_cast<double>(i); });
  h.Add("medic_webhook_requests", "counter", R"(code="401")",
        [](int i, int n) { return i >= n / 2 ? 4.0 : 0.0; });
  // performance: the probe fails one sample in ten, the cache hits 70%
  h.Add("probe_success", "gauge", R"(module="http_2xx",target="health")",
        [](int i, int) { return i % 10 == 5 ? 0.0 : 1.0; });
  h.Add("probe_duration_seconds", "gauge", R"(module="http_2xx",target="health")",
        [](int i, int) { return i % 10 == 5 ? 1.5 : 0.05; });
  // The cert collector's TLS probe of an endpoint that is down: not a health probe.
  h.Add("probe_success", "gauge", R"(module="tls_connect",target="api")", constant(0));
  h.Add("medic_scrape_collector_duration_seconds", "gauge", R"(collector="redis")", constant(0.01));
  h.Add("medic_scrape_collector_success", "gauge", R"(collector="redis")", constant(1));
  h.Add("redis_keyspace_hits", "counter", "", [](int i, int) { return 70.0 * i; });
  h.Add("redis_keyspace_misses", "counter", "", [](int i, int) { return 30.0 * i; });
  h.Add("medic_remediations", "counter", R"(remediation="restart-bot",result="success")",
        [](int i, int n) { return i >= n / 2 ? 5.0 : 0.0; });
  h.Add("medic_remediations", "counter", R"(remediation="restart-bot",result="failed")",
        [](int i, int n) { return i >= n / 2 ? 2.0 : 0.0; });
  return h.Text();
}

constexpr const char* kPrometheusConfig = "global: {scrape_interval: 1m}\nscrape_configs: []\n";

PrometheusServer& LoadedPrometheus() {
  // One server for every test case of this file: loading and starting it is the slow part.
  static PrometheusServer server(kPrometheusConfig, {},
                                 PrometheusServer::Options{GenerateHistory(Now() - 30), {}});
  return server;
}

std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

medic::test::CommandResult Report(const std::vector<std::string>& args) {
  std::vector<std::string> argv{MEDIC_BINARY, "report"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, std::chrono::seconds(30));
}

const nlohmann::json& Section(const nlohmann::json& report, const std::string& title) {
  for (const auto& section : report["sections"]) {
    if (section["title"] == title) return section;
  }
  FAIL("no section " << title);
  static const nlohmann::json kNone;
  return kNone;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("capacity report from Prometheus history: memory near the limit and days to full") {
  const auto& prometheus = LoadedPrometheus();
  const auto markdown = Report({"capacity", "--prometheus", Url(prometheus.port())});
  INFO(markdown.output);
  REQUIRE(markdown.exit_code == 0);
  CHECK(Contains(markdown.output, "# medic capacity report"));
  CHECK(Contains(markdown.output, "- Range: the last 7d until "));
  CHECK(Contains(markdown.output,
                 "- **FAIL** container review-bot: memory reached 92.0% of the 512.0 MiB limit"));
  CHECK(Contains(markdown.output, "disk /srv: at the growth of the last 7d, full in 27.0 days"));
  CHECK_FALSE(Contains(markdown.output, "container redis:"));  // 25% of its limit
  CHECK_FALSE(Contains(markdown.output, "disk /:"));           // flat, 40% used
  CHECK(Contains(markdown.output, "| / | 50.0 GiB | 40.0% | 40.0% | 0 B/day | not growing |"));

  const auto json = Report({"capacity", "--prometheus", Url(prometheus.port()), "--output=json"});
  INFO(json.output);
  REQUIRE(json.exit_code == 0);
  const auto report = nlohmann::json::parse(json.output);
  CHECK(report["history"] == true);
  for (const auto& row : Section(report, "Container memory")["rows"]) {
    if (row["container"] == "review-bot") {
      CHECK(row["peak_of_limit"].get<double>() == doctest::Approx(0.92).epsilon(0.001));
      CHECK(row["limit"].get<double>() == 512 * kMiB);
    }
  }
  bool srv = false;
  for (const auto& row : Section(report, "Disk")["rows"]) {
    if (row["mountpoint"] != "/srv") continue;
    srv = true;
    CHECK(row["days_to_full"].get<double>() == doctest::Approx(27).epsilon(0.002));
    CHECK(row["growth_per_day"].get<double>() == doctest::Approx(2 * kGiB).epsilon(0.001));
  }
  CHECK(srv);
  const auto& cpu = Section(report, "Container CPU")["rows"];
  REQUIRE(cpu.size() == 1);
  CHECK(cpu[0]["average_cores"].get<double>() == doctest::Approx(0.25).epsilon(0.01));
  const auto& docker = Section(report, "Docker disk usage")["rows"];
  REQUIRE(docker.size() == 1);
  CHECK(docker[0]["change"].get<double>() == doctest::Approx(1 * kGiB).epsilon(0.05));
}

TEST_CASE("security report: auth failures per day, certificate expiry, webhook rejections") {
  const auto& prometheus = LoadedPrometheus();
  const auto result = Report(
      {"security", "--prometheus", Url(prometheus.port()), "--output", "json", "--range", "30d"});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto report = nlohmann::json::parse(result.output);
  CHECK(report["range"] == "30d");
  std::map<std::string, nlohmann::json> by_subject;
  for (const auto& r : report["recommendations"]) by_subject[r["subject"]] = r;
  REQUIRE(by_subject.count("log rule auth_failure"));
  CHECK(by_subject["log rule auth_failure"]["threshold"] == "more than 50 in 7 days");
  CHECK(by_subject["log rule auth_failure"]["finding"] == "90 matches in 7 days");
  CHECK_FALSE(by_subject.count("log rule error"));  // 5 on the worst day, not more than 10
  REQUIRE(by_subject.count("certificate api"));
  CHECK(by_subject["certificate api"]["severity"] == "WARN");
  REQUIRE(by_subject.count("webhook"));
  CHECK(by_subject["webhook"]["finding"] == "4 requests rejected as unauthorised");

  // 30 a day: the last two days are full days of history (the first days of the 30d range have
  // no data and no points).
  const auto& per_day = Section(report, "Authentication failures per day")["rows"];
  REQUIRE(per_day.size() >= 2);
  for (std::size_t i = per_day.size() - 2; i < per_day.size(); ++i) {
    CHECK(per_day[i]["auth_failures"].get<double>() == doctest::Approx(30).epsilon(0.05));
  }
  const auto& offenders = Section(report, "Top offenders")["rows"];
  REQUIRE(offenders.size() == 1);
  CHECK(offenders[0]["ip"] == "203.0.113.7");
}

TEST_CASE("performance report: probe availability, cache hit ratio, failed remediations") {
  const auto& prometheus = LoadedPrometheus();
  const auto result = Report({"performance", "--prometheus", Url(prometheus.port())});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(Contains(result.output, "- **WARN** probe health: succeeded 90.0% of the time"));
  CHECK(Contains(result.output, "- **WARN** redis hit ratio: 70.0% of"));
  CHECK(Contains(result.output, "- **WARN** remediation restart-bot: 2 failed runs"));
  CHECK(Contains(result.output, "| restart-bot | 7 | 5 | 2 | 0 |"));
  CHECK(Contains(result.output, "| health | 90.0% | 0.195 s | 1.500 s |"));
}

TEST_CASE("without --prometheus the report is a snapshot of one collector run") {
  medic::test::TempDir dir;
  dir.Write("medic.yml", "collectors:\n  process: false\n  filesystem: {mountpoints: [/]}\n");
  const auto result = Report({"capacity", "--config.file", dir.Join("medic.yml")});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(Contains(result.output, "- Snapshot at "));
  CHECK(Contains(result.output, "need a Prometheus that scrapes medic"));
  CHECK(Contains(result.output, "| / |"));
}

TEST_CASE("exit 3 with a clear message when the report cannot run") {
  const int closed = medic::test::FreePort();
  const auto unreachable = Report({"capacity", "--prometheus", Url(closed)});
  CHECK(unreachable.exit_code == 3);
  CHECK(Contains(unreachable.output, "Prometheus " + Url(closed)));
  CHECK(Contains(unreachable.output, "Couldn't connect to server"));

  // A real Prometheus error answer: this one may load only 10 samples per query.
  PrometheusServer limited(
      kPrometheusConfig, {},
      PrometheusServer::Options{GenerateHistory(Now() - 30), {"--query.max-samples=10"}});
  const auto refused = Report({"capacity", "--prometheus", Url(limited.port())});
  INFO(refused.output);
  CHECK(refused.exit_code == 3);
  CHECK(Contains(refused.output, "Prometheus " + Url(limited.port())));
  CHECK(Contains(refused.output, "Prometheus error execution"));
  CHECK(Contains(refused.output, "too many samples"));

  const auto not_prometheus =
      Report({"capacity", "--prometheus", Url(LoadedPrometheus().port()) + "/nothing"});
  CHECK(not_prometheus.exit_code == 3);
  CHECK(Contains(not_prometheus.output, "not Prometheus API JSON"));

  const auto unknown = Report({"weekly"});
  CHECK(unknown.exit_code == 3);
  CHECK(Contains(unknown.output, "unknown report \"weekly\""));
  CHECK(Contains(unknown.output, "usage: medic report capacity|security|performance"));
  CHECK(Report({}).exit_code == 3);
  const auto range = Report({"capacity", "--range", "1y"});
  CHECK(range.exit_code == 3);
  CHECK(Contains(range.output, "--range must be 7d or 30d, got \"1y\""));
  CHECK(Report({"capacity", "--output", "yaml"}).exit_code == 3);
  CHECK(Report({"capacity", "extra"}).exit_code == 3);
  CHECK(Report({"capacity", "--prometheus", "127.0.0.1:9090"}).exit_code == 3);
  CHECK(Report({"capacity", "--config.file", "/nonexistent/medic.yml"}).exit_code == 3);
}
