// The real binary with every kind of secret configured (webhook bearer token, webhook basic
// auth password, a notifier URL with its token in the path): none of them appears in the log
// (at debug level, after rejected and accepted posts and a sent notification), on the status
// page, in the JSON APIs or in /metrics. Oversized request headers are refused without harm.
#include "support/alertmanager.h"
#include "support/test_support.h"
#include "support/webhook_payload.h"

#include <doctest/doctest.h>

#include <chrono>

using namespace medic::test;
using namespace std::chrono_literals;

namespace {

const std::string kToken = "tok-7f3a9c1e5b";
const std::string kPassword = "pw-d41d8cd98f";
const std::string kNotifierSecret = "T0SECRET/B0SECRET/XyZsecretPath";

std::string Config(const TempDir& dir, const NotificationReceiver& receiver) {
  dir.Write("token", kToken + "\n");
  dir.Write("password", kPassword + "\n");
  dir.Write("slack-url", receiver.url() + "/services/" + kNotifierSecret + "\n");
  return "data_dir: " + dir.path() +
         "\n"
         "collectors: {filesystem: {mountpoints: [/]}}\n"
         "webhook:\n"
         "  bearer_token_file: " +
         dir.Join("token") +
         "\n"
         "  basic_auth: {username: alertmanager, password_file: " +
         dir.Join("password") +
         "}\n"
         "notifiers:\n"
         "  slack: {url_file: " +
         dir.Join("slack-url") +
         ", attempts: 1}\n"
         "targets: [review-bot]\n"
         "remediations:\n"
         "  - name: tell\n"
         "    match: {alertname: HighErrorRate}\n"
         "    target: review-bot\n"
         "    steps: [{notify: slack}]\n";
}

void ExpectNoSecret(const std::string& where, const std::string& text) {
  for (const std::string& secret : {kToken, kPassword, std::string("XyZsecretPath")}) {
    INFO(where << " must not contain " << secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("no configured secret leaks into logs, the page, the APIs or /metrics") {
  TempDir dir;
  NotificationReceiver receiver;
  MedicProcess medic(Config(dir, receiver), {"--log.level=debug"});
  const std::string payload = WebhookPayload({{"alertname", "HighErrorRate"}}, "5ec7e7");
  // Rejected: no credentials, a wrong bearer token, a wrong password (basic alertmanager:nope).
  CHECK(HttpPost(medic.port(), "/webhook", payload, "application/json").status == 401);
  CHECK(HttpPost(medic.port(), "/webhook", payload, "application/json",
                 {{"Authorization", "Bearer " + kToken + "x"}})
            .status == 401);
  CHECK(HttpPost(medic.port(), "/webhook", payload, "application/json",
                 {{"Authorization", "Basic YWxlcnRtYW5hZ2VyOm5vcGU="}})
            .status == 401);
  // Accepted with the token; the notify step sends to the secret URL.
  REQUIRE(HttpPost(medic.port(), "/webhook", payload, "application/json",
                   {{"Authorization", "Bearer " + kToken}})
              .status == 200);
  REQUIRE(WaitFor([&] { return !receiver.bodies().empty(); }, 20s));

  for (const char* path : {"/", "/api/v1/status", "/api/v1/remediations", "/metrics",
                           "/api/v1/diagnostics", "/api/v1/offenders"}) {
    const auto response = HttpGet(medic.port(), path);
    CHECK_MESSAGE(response.status == 200, path);
    ExpectNoSecret(path, response.body);
  }
  const auto metrics = HttpGet(medic.port(), "/metrics").body;
  CHECK(FindSample(metrics, "medic_webhook_requests_total", R"(code="401")") == 3);
  ExpectNoSecret("log", medic.Log());
}

TEST_CASE("an oversized request header is refused and the server keeps answering") {
  TempDir dir;
  NotificationReceiver receiver;
  MedicProcess medic(Config(dir, receiver));
  const auto huge = HttpGet(medic.port(), "/metrics", {{"X-Padding", std::string(64 * 1024, 'a')}});
  INFO("status " << huge.status << " error " << huge.error);
  CHECK(huge.status != 200);
  CHECK(HttpGet(medic.port(), "/metrics").status == 200);
}
