#include "medic/remediation/notifier.h"

#include <doctest/doctest.h>

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
