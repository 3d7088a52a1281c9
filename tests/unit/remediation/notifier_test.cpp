#include "medic/remediation/notifier.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

using medic::NotifierSettings;
using medic::remediation::NotificationMessage;
using medic::remediation::RenderNotification;
using medic::remediation::UsesSlackFormat;

TEST_CASE("a notifier's format: slack or json as configured, auto by the URL's shape") {
  NotifierSettings settings;
  settings.url = "https://hooks.slack.com/services/T0/B0/X";
  CHECK(UsesSlackFormat(settings));
  settings.url = "https://chat.example.invalid/hooks/abc";  // Mattermost's shape
  CHECK(UsesSlackFormat(settings));
  settings.url = "https://relay.example.invalid/medic";
  CHECK_FALSE(UsesSlackFormat(settings));
  settings.format = NotifierSettings::Format::kSlack;  // a Slack-compatible receiver elsewhere
  CHECK(UsesSlackFormat(settings));
  settings.url = "https://hooks.slack.com/services/T0/B0/X";
  settings.format = NotifierSettings::Format::kJson;
  CHECK_FALSE(UsesSlackFormat(settings));
}

TEST_CASE("both formats carry every field: what happened and what to do are never lost") {
  NotificationMessage message;
  message.title = "[medic] WAITING for the Docker engine: service-down on review-bot";
  message.fields = {{"what happened", "cannot reach the Docker engine"},
                    {"what to do", "bring the engine back"}};
  const auto slack = RenderNotification(message, true);
  CHECK(slack["text"] == message.title);
  REQUIRE(slack["attachments"][0]["fields"].size() == 2);
  CHECK(slack["attachments"][0]["fields"][1]["title"] == "what to do");
  CHECK(slack["attachments"][0]["fields"][1]["value"] == "bring the engine back");
  const auto json = RenderNotification(message, false);
  CHECK(json["source"] == "medic");
  CHECK(json["text"] == message.title);
  CHECK(json["fields"]["what happened"] == "cannot reach the Docker engine");
  CHECK(json["fields"]["what to do"] == "bring the engine back");
}

TEST_CASE("a notification is never sent on through a redirect") {
  httplib::Server server;
  std::atomic<int> hook_posts{0};
  std::atomic<int> elsewhere_posts{0};
  server.Post("/hooks/abc", [&](const httplib::Request&, httplib::Response& res) {
    ++hook_posts;
    res.set_redirect("/elsewhere", 307);  // 307 would repeat the POST with its body
  });
  server.Post("/elsewhere",
              [&](const httplib::Request&, httplib::Response&) { ++elsewhere_posts; });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });

  NotifierSettings settings;
  settings.name = "chat";
  settings.url = "http://127.0.0.1:" + std::to_string(port) + "/hooks/abc";
  settings.timeout = std::chrono::seconds(5);
  NotificationMessage message;
  message.title = "[medic] test";
  const auto result =
      medic::remediation::SendNotification(settings, message, std::chrono::milliseconds(1));
  server.stop();
  serving.join();
  CHECK_FALSE(result.delivered);
  CHECK(result.attempts == 1);  // a 3xx is not retried
  CHECK(result.detail == "not delivered after 1 attempt(s): HTTP 307");
  CHECK(hook_posts == 1);
  CHECK(elsewhere_posts == 0);
}
