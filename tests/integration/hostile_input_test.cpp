// ctest-labels: tsan
// The real medic binary against what an attacker or an operator does to it: bytes that are not
// UTF-8 in a watched log, credentials changed and reloaded (or rotated on disk), a flood of
// wrong passwords, alerts with megabytes of annotations, and small protocol oddities. Each case
// goes on to what happens next: the scrape after the bad line, the request after the reload,
// the right password after the flood, the alert after the journal filled up.
#include "support/prometheus_server.h"
#include "support/test_support.h"
#include "support/webhook_payload.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

using namespace std::chrono_literals;
using medic::test::FindSample;
using medic::test::HttpGet;
using medic::test::HttpPost;
using medic::test::MedicProcess;
using medic::test::RunCommand;
using medic::test::TempDir;
using medic::test::WaitFor;

namespace {

// Sends `request` from `source_address` (any 127.0.0.0/8 address stands for another peer) and
// returns everything the server answers until it closes the connection or 10 s pass.
std::string RawExchange(int port, const std::string& request,
                        const std::string& source_address = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in source{};
  source.sin_family = AF_INET;
  ::inet_pton(AF_INET, source_address.c_str(), &source.sin_addr);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) == 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd ready{fd, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      char buffer[4096];
      const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got <= 0) break;
      answer.append(buffer, static_cast<std::size_t>(got));
    }
  }
  ::close(fd);
  return answer;
}

bool ParsesAsJson(const std::string& text) {
  try {
    return !nlohmann::json::parse(text).is_discarded();
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

int StatusOf(const std::string& answer) {
  if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) return 0;
  return std::atoi(answer.c_str() + 9);
}

std::string Base64(const std::string& text) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i + 1 == text.size()) {
    const unsigned n = static_cast<unsigned char>(text[i]) << 16;
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == text.size()) {
    const unsigned n = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8);
    out += std::string{kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63],
                       kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

std::string BasicAuth(const std::string& user, const std::string& password) {
  return "Basic " + Base64(user + ":" + password);
}

std::string PromtoolCheck(const std::string& exposition) {
  const auto check = medic::test::PromtoolCheckMetrics(exposition);
  return check.exit_code == 0 ? ""
                              : check.output + " (exit " + std::to_string(check.exit_code) + ")";
}

// Writes `content` to `path` the way Kubernetes and Docker secrets rotate: a new file renamed
// over the old one.
void ReplaceFile(const std::string& path, const std::string& content) {
  {
    std::ofstream out(path + ".new", std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(path + ".new", path);
}

}  // namespace

TEST_CASE("a log line that is not UTF-8 neither blinds the scrape nor breaks the offenders API") {
  TempDir dir;
  dir.Write("app.log", "");
  MedicProcess medic("data_dir: " + dir.path() +  // log offsets stay in the test's directory
                     "\ncollectors:\n"
                     "  filesystem: {mountpoints: [/]}\n"
                     "  logs:\n"
                     "    poll_interval: 50ms\n"
                     "    sources: [{name: app, path: " +
                     dir.Join("app.log") +
                     "}]\n"
                     "    rules:\n"
                     "      - {name: login_failed, regex: 'login failed for (?P<client>\\S+)'}\n");
  {
    std::ofstream log(dir.Join("app.log"), std::ios::app | std::ios::binary);
    log << "login failed for \xff\xfe\xc3(evil\xed\xa0\x80\n"
        << "login failed for caf\xc3\xa9\n"
        << "login failed for trunc\xe2\x82\n";
  }
  REQUIRE(WaitFor(
      [&] {
        return FindSample(HttpGet(medic.port(), "/metrics").body, "medic_log_matches_total",
                          R"(source="app",rule="login_failed")") == 3;
      },
      20s));
  const auto scrape = HttpGet(medic.port(), "/metrics");
  CHECK(PromtoolCheck(scrape.body) == "");
  CHECK(scrape.body.find("caf\xc3\xa9") != std::string::npos);   // valid UTF-8 is kept as is
  CHECK(scrape.body.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD for the invalid bytes

  const auto offenders = HttpGet(medic.port(), "/api/v1/offenders");
  CHECK(offenders.status == 200);
  CHECK(ParsesAsJson(offenders.body));
  const auto status = HttpGet(medic.port(), "/api/v1/status");
  CHECK(status.status == 200);
  const auto page = HttpGet(medic.port(), "/");
  CHECK(page.status == 200);
  CHECK(page.body.find('\xff') == std::string::npos);

  // A real Prometheus takes the scrape: up stays 1 while the entry sits in the top-K.
  medic::test::PrometheusServer prometheus(
      "global: {scrape_interval: 1s}\n"
      "scrape_configs:\n"
      "  - job_name: medic\n"
      "    static_configs: [{targets: ['127.0.0.1:" +
      std::to_string(medic.port()) + "']}]\n");
  REQUIRE(WaitFor(
      [&] {
        const auto answer = prometheus.Query("up{job=\"medic\"}");
        const auto& result = answer["data"]["result"];
        return !result.empty() && result[0]["value"][1] == "1";
      },
      30s));
  // The next bad line after the first good scrape does not change that.
  {
    std::ofstream log(dir.Join("app.log"), std::ios::app | std::ios::binary);
    log << "login failed for \x80\x80\x80\n";
  }
  std::this_thread::sleep_for(3s);
  const auto later = prometheus.Query("up{job=\"medic\"}");
  CHECK(later["data"]["result"][0]["value"][1] == "1");
  CHECK(PromtoolCheck(HttpGet(medic.port(), "/metrics").body) == "");
}

TEST_CASE("a reload applies web users and webhook credentials; token files rotate on disk") {
  TempDir dir;
  dir.Write("web.yml",
            "basic_auth_users:\n  alice: " + medic::test::BcryptHash("old-pass", 4) + "\n");
  dir.Write("token", "old-token\n");
  const std::string config = "data_dir: " + dir.path() +
                             "\n"
                             "collectors: {filesystem: {mountpoints: [/]}}\n"
                             "webhook:\n"
                             "  bearer_token_file: " +
                             dir.Join("token") +
                             "\n"
                             "targets: [review-bot]\n";
  MedicProcess medic(config, {"--web.config.file=" + dir.Join("web.yml")});
  const auto auth = [](const std::string& user, const std::string& password) {
    return std::multimap<std::string, std::string>{{"Authorization", BasicAuth(user, password)}};
  };
  const auto bearer = [](const std::string& token) {
    return std::multimap<std::string, std::string>{{"Authorization", "Bearer " + token}};
  };
  const std::string payload = medic::test::WebhookPayload({{"alertname", "Nothing"}}, "f1");
  CHECK(HttpGet(medic.port(), "/metrics", auth("alice", "old-pass")).status == 200);
  CHECK(
      HttpPost(medic.port(), "/webhook", payload, "application/json", bearer("old-token")).status ==
      200);

  // Alice is removed, bob added; the token file is rotated. Then a reload.
  dir.Write("web.yml",
            "basic_auth_users:\n  bob: " + medic::test::BcryptHash("new-pass", 4) + "\n");
  ReplaceFile(dir.Join("token"), "new-token\n");
  const auto reload =
      HttpPost(medic.port(), "/-/reload", "", "text/plain", auth("alice", "old-pass"));
  CHECK(reload.status == 200);
  // The very next requests see only the new credentials.
  CHECK(HttpGet(medic.port(), "/metrics", auth("alice", "old-pass")).status == 401);
  const auto scrape = HttpGet(medic.port(), "/metrics", auth("bob", "new-pass"));
  CHECK(scrape.status == 200);
  CHECK(FindSample(scrape.body, "medic_config_last_reload_successful") == 1);
  CHECK(
      HttpPost(medic.port(), "/webhook", payload, "application/json", bearer("old-token")).status ==
      401);
  CHECK(
      HttpPost(medic.port(), "/webhook", payload, "application/json", bearer("new-token")).status ==
      200);

  // A secret rotated on disk without any reload is picked up within seconds. (One try after
  // the re-read interval: every wrong try counts against this address's failed-login budget.)
  ReplaceFile(dir.Join("token"), "rotated-token\n");
  std::this_thread::sleep_for(1500ms);
  CHECK(HttpPost(medic.port(), "/webhook", payload, "application/json", bearer("rotated-token"))
            .status == 200);
  CHECK(
      HttpPost(medic.port(), "/webhook", payload, "application/json", bearer("new-token")).status ==
      401);

  // A web config caught empty mid-write is refused: basic auth stays on.
  dir.Write("web.yml", "");
  CHECK(HttpPost(medic.port(), "/-/reload", "", "text/plain", auth("bob", "new-pass")).status ==
        500);
  CHECK(HttpGet(medic.port(), "/metrics").status == 401);
  dir.Write("web.yml",
            "basic_auth_users:\n  bob: " + medic::test::BcryptHash("new-pass", 4) + "\n");

  // What a reload cannot change is named, and the reload gauge says the file is not in effect.
  std::string moved = config;
  moved.replace(moved.find("data_dir: "), 10,
                "journal: {path: " + dir.Join("other.db") + "}\ndata_dir: ");
  dir.Write("medic.yml", moved);
  std::filesystem::copy_file(dir.Join("medic.yml"), medic.config_path(),
                             std::filesystem::copy_options::overwrite_existing);
  const auto partial =
      HttpPost(medic.port(), "/-/reload", "", "text/plain", auth("bob", "new-pass"));
  CHECK(partial.status == 200);
  CHECK(partial.body.find("journal.path") != std::string::npos);
  CHECK(partial.body.find("restart") != std::string::npos);
  const auto after = HttpGet(medic.port(), "/metrics", auth("bob", "new-pass")).body;
  CHECK(FindSample(after, "medic_config_last_reload_successful") == 0);
  CHECK(after.find("medic_config_restart_required{setting=\"journal.path\"} 1") !=
        std::string::npos);
  CHECK(medic.Log().find("journal.path") != std::string::npos);
  CHECK(medic.Log().find("new-pass") == std::string::npos);
}

TEST_CASE("a reload serves a renewed TLS certificate without a restart") {
  TempDir dir;
  const auto make = [&](const std::string& name) {
    const auto made =
        RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                    dir.Join(name + ".key"), "-out", dir.Join(name + ".pem")});
    REQUIRE_MESSAGE(made.exit_code == 0, made.output);
  };
  make("first");
  make("renewed");
  std::filesystem::copy_file(dir.Join("first.pem"), dir.Join("server.pem"));
  std::filesystem::copy_file(dir.Join("first.key"), dir.Join("server.key"));
  dir.Write("web.yml", "tls_server_config:\n  cert_file: " + dir.Join("server.pem") +
                           "\n  key_file: " + dir.Join("server.key") + "\n");
  const int port = medic::test::FreePort();
  medic::test::Subprocess medic(
      {MEDIC_BINARY, "--web.listen-address=127.0.0.1:" + std::to_string(port),
       "--web.config.file=" + dir.Join("web.yml")},
      {.stdout_path = dir.Join("log"), .stderr_path = dir.Join("log")});
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  const auto subject = [&] {
    return RunCommand(
               {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-brief"})
        .output;
  };
  REQUIRE(WaitFor([&] { return subject().find("CN = first") != std::string::npos; }, 20s));
  std::filesystem::copy_file(dir.Join("renewed.pem"), dir.Join("server.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(dir.Join("renewed.key"), dir.Join("server.key"),
                             std::filesystem::copy_options::overwrite_existing);
  ::kill(medic.pid(), SIGHUP);
  CHECK(WaitFor([&] { return subject().find("CN = renewed") != std::string::npos; }, 10s));
  // A certificate that does not match its key is refused; the renewed one keeps being served.
  std::filesystem::copy_file(dir.Join("first.key"), dir.Join("server.key"),
                             std::filesystem::copy_options::overwrite_existing);
  ::kill(medic.pid(), SIGHUP);
  std::this_thread::sleep_for(1s);
  CHECK(subject().find("CN = renewed") != std::string::npos);
  CHECK(RunCommand({"curl", "-sk", url + "/-/healthy"}).output == "Healthy\n");
  const auto scrape = RunCommand({"curl", "-sk", url + "/metrics"}).output;
  CHECK(FindSample(scrape, "medic_config_last_reload_successful") == 0);
  CHECK(medic::test::ReadFile(dir.Join("log")).find("key") != std::string::npos);
}

TEST_CASE("wrong passwords are throttled per peer; the right one still scrapes; NUL is refused") {
  TempDir dir;
  dir.Write("web.yml",
            "basic_auth_users:\n  prometheus: " + medic::test::BcryptHash("s3cret", 12) + "\n");
  MedicProcess medic("collectors: {filesystem: {mountpoints: [/]}}\n",
                     {"--web.config.file=" + dir.Join("web.yml")});
  const auto request = [](const std::string& authorization) {
    return "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: " +
           authorization + "\r\n\r\n";
  };
  // A password with a NUL and trailing junk is not the password.
  CHECK(StatusOf(RawExchange(medic.port(),
                             request(BasicAuth("prometheus", std::string("s3cret\0junk", 11))),
                             "127.0.0.9")) == 401);
  int rejected = 0;
  int throttled = 0;
  std::string retry_after;
  for (int i = 0; i < 30; ++i) {
    const std::string answer = RawExchange(
        medic.port(), request(BasicAuth("prometheus", "guess" + std::to_string(i))), "127.0.0.7");
    const int status = StatusOf(answer);
    if (status == 401) ++rejected;
    if (status == 429) {
      ++throttled;
      const auto at = answer.find("Retry-After: ");
      if (at != std::string::npos)
        retry_after = answer.substr(at + 13, answer.find('\r', at) - at - 13);
    }
  }
  CHECK(rejected >= 5);
  CHECK(rejected <= 12);
  CHECK(throttled == 30 - rejected);
  CHECK(std::atoi(retry_after.c_str()) >= 1);
  // Another peer is not affected, and the right password works while the flooder waits.
  CHECK(StatusOf(RawExchange(medic.port(), request(BasicAuth("prometheus", "s3cret")),
                             "127.0.0.8")) == 200);
  const auto scrape =
      HttpGet(medic.port(), "/metrics", {{"Authorization", BasicAuth("prometheus", "s3cret")}});
  CHECK(scrape.status == 200);
  CHECK(FindSample(scrape.body, "medic_http_auth_failures_total",
                   R"(realm="web",result="throttled")") >= 18);
  CHECK(FindSample(scrape.body, "medic_http_auth_failures_total",
                   R"(realm="web",result="rejected")") >= 6);
  CHECK(PromtoolCheck(scrape.body) == "");

  // Unknown users cost what a known one costs: no user list by timing.
  const auto time_of = [&](const std::string& user, const std::string& peer) {
    const auto start = std::chrono::steady_clock::now();
    CHECK(StatusOf(RawExchange(medic.port(), request(BasicAuth(user, "nope")), peer)) == 401);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  double known = 0;
  double unknown = 0;
  for (int i = 0; i < 3; ++i) {
    known += time_of("prometheus", "127.0.1." + std::to_string(i + 1));
    unknown += time_of("mallory", "127.0.2." + std::to_string(i + 1));
  }
  INFO("known " << known << " s, unknown " << unknown << " s");
  CHECK(unknown > known * 0.6);
}

TEST_CASE("huge alerts are capped; a full journal sheds finished history, then answers 503") {
  TempDir dir;
  dir.Write("token", "t0ken\n");
  const std::string config = "data_dir: " + dir.path() +
                             "\n"
                             "collectors: {filesystem: {mountpoints: [/]}}\n"
                             "webhook: {bearer_token_file: " +
                             dir.Join("token") +
                             "}\n"
                             "journal: {max_bytes: 2MiB}\n"
                             "targets: [review-bot]\n"
                             "remediations:\n"
                             "  - name: stuck\n"
                             "    match: {alertname: Stuck}\n"
                             "    silent: true\n"
                             "    target: review-bot\n"
                             "    steps:\n"
                             "      - exec: {argv: [/bin/sleep, '30'], timeout: 5m}\n";
  MedicProcess medic(config);
  const std::multimap<std::string, std::string> bearer{{"Authorization", "Bearer t0ken"}};
  const std::string huge(900 << 10, 'A');
  // 60 alerts of ~1 MB each, none with a remediation: every one is accepted, and the journal
  // stays near its cap instead of growing by 1 MB per alert.
  for (int i = 0; i < 60; ++i) {
    const auto answer =
        HttpPost(medic.port(), "/webhook",
                 medic::test::WebhookPayload({{"alertname", "Noisy"}, {"n", std::to_string(i)}},
                                             "noisy" + std::to_string(i), {{"description", huge}}),
                 "application/json", bearer);
    REQUIRE(answer.status == 200);
  }
  std::uintmax_t journal_bytes = 0;
  for (const char* name : {"journal.db", "journal.db-wal"}) {
    std::error_code error;
    const auto size = std::filesystem::file_size(dir.Join(name), error);
    if (!error) journal_bytes += size;
  }
  INFO("journal " << journal_bytes << " bytes");
  CHECK(journal_bytes < 8u << 20);
  const auto metrics = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(metrics, "medic_journal_alerts_truncated_total") == 60);
  CHECK(PromtoolCheck(metrics) == "");
  // The stored alert says it was cut.
  const auto stored = RunCommand({"sqlite3", dir.Join("journal.db"),
                                  "SELECT alert_json FROM alerts ORDER BY id DESC LIMIT 1"});
  CHECK(stored.output.find("truncated by medic") != std::string::npos);
  CHECK(stored.output.size() < 64u << 10);

  // Unfinished work is never shed: alerts that queue jobs fill the journal until it says 503.
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 400 && refused == 0; ++i) {
    const auto answer =
        HttpPost(medic.port(), "/webhook",
                 medic::test::WebhookPayload({{"alertname", "Stuck"}, {"n", std::to_string(i)}},
                                             "stuck" + std::to_string(i),
                                             {{"description", std::string(64 << 10, 'B')}}),
                 "application/json", bearer);
    if (answer.status == 200) ++accepted;
    if (answer.status == 503) {
      ++refused;
      CHECK(answer.headers.count("Retry-After") == 1);
      CHECK(answer.body.find("journal") != std::string::npos);
    }
  }
  CHECK(refused == 1);
  CHECK(accepted > 20);
  const auto jobs = RunCommand(
      {"sqlite3", dir.Join("journal.db"), "SELECT count(*) FROM jobs WHERE alertname='Stuck'"});
  CHECK(std::atoi(jobs.output.c_str()) == accepted);
  CHECK(FindSample(HttpGet(medic.port(), "/metrics").body, "medic_journal_full") == 1);
  // The page says so first.
  const auto status = nlohmann::json::parse(HttpGet(medic.port(), "/api/v1/status").body);
  CHECK(status["healing_troubles"].dump().find("journal is full") != std::string::npos);
  // The way out: resolves are still accepted and cancel the queued jobs.
  const auto resolved =
      HttpPost(medic.port(), "/webhook",
               medic::test::WebhookPayload({{"alertname", "Stuck"}, {"n", "1"}}, "stuck1",
                                           nlohmann::json::object(), "resolved"),
               "application/json", bearer);
  CHECK(resolved.status == 200);
  CHECK(resolved.body.find("\"jobs_cancelled\":1") != std::string::npos);
}

TEST_CASE("small things: %ff in a bundle name is a 404; blank lines before a request line") {
  TempDir dir;
  MedicProcess medic("data_dir: " + dir.path() +
                     "\ncollectors: {filesystem: {mountpoints: [/]}}\n");
  const auto missing = HttpGet(medic.port(), "/api/v1/diagnostics/archive?name=%ff");
  CHECK(missing.status == 404);
  CHECK(ParsesAsJson(missing.body));
  CHECK(StatusOf(RawExchange(
            medic.port(),
            "\r\n\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) == 200);
  CHECK(StatusOf(RawExchange(
            medic.port(), "\r\nGET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) ==
        200);
  // A keep-alive client that ends its request with one CRLF too many is still answered twice.
  const std::string two =
      RawExchange(medic.port(),
                  "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n\r\n"
                  "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(two.find("HTTP/1.1 200", two.find("Healthy") + 1) != std::string::npos);
}
