#include "medic/alert/alert.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using nlohmann::json;

namespace {

medic::Alert SampleAlert() {
  medic::Alert alert;
  alert.status = "firing";
  alert.labels = {{"alertname", "ServiceDown"}, {"severity", "critical"}, {"name", "review-bot"}};
  alert.starts_at = "2026-11-29T03:00:00.123Z";
  alert.ends_at = "0001-01-01T00:00:00Z";
  alert.generator_url = "http://prometheus/graph";
  alert.fingerprint = "c0ffee1234567890";
  return alert;
}

}  // namespace

TEST_CASE("an alert's name and idempotency key") {
  medic::Alert alert = SampleAlert();
  CHECK(alert.AlertName() == "ServiceDown");
  CHECK(alert.IdempotencyKey() == "c0ffee1234567890|2026-11-29T03:00:00.123Z|firing");
  alert.labels.erase("alertname");
  CHECK(alert.AlertName().empty());
}

TEST_CASE("an alert's JSON text is exactly nlohmann's compact dump, escapes included") {
  medic::Alert alert = SampleAlert();
  const std::string tricky =
      "quote \" backslash \\ tab \t nl \n cr \r bs \b ff \f "
      "bell \x07 unit \x1f del \x7f utf8 \xc3\xa9 \xe2\x82\xac";
  alert.labels["tricky"] = tricky;
  const std::string text = alert.ToJsonText();
  const json reparsed = json::parse(text);
  CHECK(reparsed.dump() == text);
  CHECK(reparsed["labels"]["tricky"] == tricky);
  CHECK(reparsed["annotations"] == json::object());
  CHECK(reparsed["fingerprint"] == "c0ffee1234567890");
  CHECK(reparsed["startsAt"] == "2026-11-29T03:00:00.123Z");
  CHECK(reparsed["status"] == "firing");
  CHECK(reparsed["generatorURL"] == "http://prometheus/graph");
  CHECK(reparsed["endsAt"] == "0001-01-01T00:00:00Z");
  CHECK(reparsed.size() == 7);
}
