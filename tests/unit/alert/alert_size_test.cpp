#include "medic/alert/alert_size.h"

#include "medic/valid_utf8.h"

#include <doctest/doctest.h>

using medic::Alert;
using medic::AlertTextBytes;
using medic::CapAlertSize;

TEST_CASE("an alert within the cap is left alone") {
  Alert alert;
  alert.labels = {{"alertname", "ServiceDown"}, {"instance", "review-bot"}};
  alert.annotations = {{"summary", "down"}};
  const Alert before = alert;
  CHECK_FALSE(CapAlertSize(alert, 16384));
  CHECK(alert.labels == before.labels);
  CHECK(alert.annotations == before.annotations);
}

TEST_CASE("a megabyte annotation is cut with a visible marker; labels stay whole") {
  Alert alert;
  alert.labels = {{"alertname", "Noisy"}, {"instance", "review-bot"}};
  alert.annotations = {{"description", std::string(1 << 20, 'A')}, {"summary", "short"}};
  alert.generator_url = "http://prometheus/graph?g0.expr=" + std::string(100000, 'x');
  CHECK(CapAlertSize(alert, 16384));
  CHECK(AlertTextBytes(alert) <= 16384);
  CHECK(alert.labels.at("alertname") == "Noisy");
  CHECK(alert.annotations.at("summary") == "short");
  CHECK(alert.annotations.at("description").find("[truncated by medic from 1048576 bytes]") !=
        std::string::npos);
  CHECK(alert.generator_url.find("truncated by medic") != std::string::npos);
}

TEST_CASE("many mid-sized annotations are cut longest first until the alert fits") {
  Alert alert;
  alert.labels = {{"alertname", "Many"}};
  for (int i = 0; i < 10; ++i) {
    // Built with append: GCC 12's -O2 -Wrestrict misfires on "a" + std::to_string(i).
    std::string name("a");
    name.append(std::to_string(i));
    alert.annotations[name] = std::string(3000 + i * 100, 'x');
  }
  CHECK(CapAlertSize(alert, 16384));
  CHECK(AlertTextBytes(alert) <= 16384);
  CHECK(alert.annotations.at("a0").size() == 3000);  // the shortest survive whole
}

TEST_CASE("a cut lands on a character boundary") {
  Alert alert;
  alert.labels = {{"alertname", "Utf8"}};
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "\xc3\xa9";  // é
  alert.annotations = {{"description", text}};
  CHECK(CapAlertSize(alert, 4096));
  CHECK(medic::IsValidUtf8(alert.annotations.at("description")));
  CHECK(medic::IsValidUtf8(alert.ToJsonText()));
}

TEST_CASE("a notification's group key and receiver are capped too") {
  medic::Notification notification;
  notification.group_key = std::string(100000, 'g');
  notification.receiver = "medic";
  Alert alert;
  alert.labels = {{"alertname", "Big"}};
  alert.annotations = {{"description", std::string(100000, 'd')}};
  notification.alerts = {alert, alert};
  CHECK(medic::CapNotificationSize(notification, 16384) == 2);
  CHECK(notification.group_key.size() <= 1024);
  CHECK(notification.receiver == "medic");
}
