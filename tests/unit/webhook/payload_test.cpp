#include "medic/webhook/payload.h"

#include <doctest/doctest.h>

#include <string>

using medic::webhook::ParseNotification;
using medic::webhook::PayloadError;
using nlohmann::json;

namespace {

json ValidPayload() {
  return json::parse(R"({
    "version": "4",
    "groupKey": "{}:{alertname=\"ServiceDown\"}",
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "medic",
    "groupLabels": {"alertname": "ServiceDown"},
    "commonLabels": {"alertname": "ServiceDown", "severity": "critical"},
    "commonAnnotations": {"summary": "review-bot is down"},
    "externalURL": "http://127.0.0.1:9093",
    "alerts": [
      {"status": "firing",
       "labels": {"alertname": "ServiceDown", "severity": "critical", "name": "review-bot"},
       "annotations": {"summary": "review-bot is down"},
       "startsAt": "2026-11-29T03:00:00.123Z",
       "endsAt": "0001-01-01T00:00:00Z",
       "generatorURL": "http://prometheus/graph",
       "fingerprint": "c0ffee1234567890"}
    ]
  })");
}

std::string ErrorFor(const std::string& body) {
  try {
    ParseNotification(body);
  } catch (const PayloadError& error) {
    return error.what();
  }
  return "";
}

std::string ErrorFor(const json& body) { return ErrorFor(body.dump()); }

}  // namespace

TEST_CASE("a valid version 4 payload parses with every field") {
  const auto notification = ParseNotification(ValidPayload().dump());
  CHECK(notification.version == "4");
  CHECK(notification.status == "firing");
  CHECK(notification.receiver == "medic");
  CHECK(notification.common_labels.at("severity") == "critical");
  CHECK(notification.external_url == "http://127.0.0.1:9093");
  REQUIRE(notification.alerts.size() == 1);
  const auto& alert = notification.alerts[0];
  CHECK(alert.AlertName() == "ServiceDown");
  CHECK(alert.labels.at("name") == "review-bot");
  CHECK(alert.annotations.at("summary") == "review-bot is down");
  CHECK(alert.fingerprint == "c0ffee1234567890");
  CHECK(alert.IdempotencyKey() == "c0ffee1234567890|2026-11-29T03:00:00.123Z|firing");
}

TEST_CASE("truncatedAlerts is read") {
  auto payload = ValidPayload();
  payload["truncatedAlerts"] = 7;
  CHECK(ParseNotification(payload.dump()).truncated_alerts == 7);
  payload["truncatedAlerts"] = -1;
  CHECK(ErrorFor(payload).find("truncatedAlerts") != std::string::npos);
  payload["truncatedAlerts"] = "3";
  CHECK(ErrorFor(payload).find("truncatedAlerts") != std::string::npos);
}

TEST_CASE("malformed JSON is rejected with a position") {
  CHECK(ErrorFor(std::string("{\"version\": \"4\",")).rfind("malformed JSON", 0) == 0);
  CHECK(ErrorFor(std::string("")).rfind("malformed JSON", 0) == 0);
  CHECK(ErrorFor(std::string("not json")).rfind("malformed JSON", 0) == 0);
  CHECK(ErrorFor(std::string("[1,2]")).find("expected a JSON object") != std::string::npos);
}

TEST_CASE("a number too large for a double is malformed JSON, not an escaping exception") {
  // Found by fuzz/webhook_payload_fuzz: nlohmann reports 1e400 as out_of_range, not parse_error,
  // and it escaped ParseNotification, turning a bad body into a 500 instead of a 400.
  CHECK(ErrorFor(std::string("{\"version\": \"4\", \"truncatedAlerts\": 1e400}"))
            .rfind("malformed JSON: number overflow", 0) == 0);
  CHECK(ErrorFor(std::string("88888888888888888000E0346")).rfind("malformed JSON", 0) == 0);
  CHECK(ErrorFor(std::string("[-1e99999]")).rfind("malformed JSON", 0) == 0);
}

TEST_CASE("wrong types name the field") {
  auto payload = ValidPayload();
  payload["version"] = 4;
  CHECK(ErrorFor(payload) == "version: expected a string, got number");

  payload = ValidPayload();
  payload["version"] = "3";
  CHECK(ErrorFor(payload).find("version: unsupported payload version") == 0);

  payload = ValidPayload();
  payload["alerts"] = "many";
  CHECK(ErrorFor(payload) == "alerts: expected an array, got string");

  payload = ValidPayload();
  payload["alerts"] = json::array();
  CHECK(ErrorFor(payload) == "alerts: expected at least one alert");

  payload = ValidPayload();
  payload["alerts"][0]["labels"]["severity"] = 5;
  CHECK(ErrorFor(payload) == "alerts[0].labels.severity: expected a string, got number");

  payload = ValidPayload();
  payload["alerts"][0]["status"] = "exploded";
  CHECK(ErrorFor(payload).find("alerts[0].status: expected \"firing\" or \"resolved\"") == 0);

  payload = ValidPayload();
  payload["alerts"][0].erase("fingerprint");
  CHECK(ErrorFor(payload) == "alerts[0].fingerprint: required field is missing");

  payload = ValidPayload();
  payload["alerts"][0]["startsAt"] = "yesterday";
  CHECK(ErrorFor(payload).find("alerts[0].startsAt: expected an RFC 3339 timestamp") == 0);

  payload = ValidPayload();
  payload["alerts"][0]["labels"] = json::array();
  CHECK(ErrorFor(payload).find("alerts[0].labels: expected an object of strings") == 0);

  payload = ValidPayload();
  payload["commonLabels"] = "x";
  CHECK(ErrorFor(payload).find("commonLabels: expected an object") == 0);

  payload = ValidPayload();
  payload["alerts"][0] = 3;
  CHECK(ErrorFor(payload) == "alerts[0]: expected an object, got number");

  payload = ValidPayload();
  payload.erase("status");
  CHECK(ErrorFor(payload) == "status: required field is missing");
}

TEST_CASE("100k levels of nesting fail cleanly instead of exhausting the stack") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  CHECK(ErrorFor(deep).find("nested deeper than") != std::string::npos);
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(100000, '}');
  CHECK(ErrorFor(objects).find("nested deeper than") != std::string::npos);
  // Unterminated deep nesting too.
  CHECK(!ErrorFor(std::string(100000, '[')).empty());
}

TEST_CASE("the depth limit is 32 nested containers, and brackets inside strings do not count") {
  const auto nested = [](int depth, const std::string& inner) {
    return std::string(depth, '[') + inner + std::string(depth, ']');
  };
  // At the limit the document parses (and is refused for its shape, not its depth).
  CHECK(ErrorFor(nested(medic::webhook::kMaxPayloadDepth, "1")) ==
        "payload: expected a JSON object, got array");
  CHECK(ErrorFor(nested(medic::webhook::kMaxPayloadDepth + 1, "1")) ==
        "malformed JSON: nested deeper than 32 levels");
  // A label value full of brackets and escaped quotes is data, not nesting.
  auto payload = ValidPayload();
  payload["alerts"][0]["annotations"]["description"] =
      std::string(100, '[') + "\"\\\"" + std::string(100, '{');
  const auto notification = ParseNotification(payload.dump());
  CHECK(notification.alerts[0].annotations.at("description").size() == 203);
}

TEST_CASE("invalid UTF-8 is rejected") {
  auto body = ValidPayload().dump();
  const auto at = body.find("review-bot is down");
  REQUIRE(at != std::string::npos);
  body[at] = static_cast<char>(0xC3);  // lead byte without continuation
  body[at + 1] = '(';
  CHECK(ErrorFor(body).rfind("malformed JSON", 0) == 0);
  std::string overlong = ValidPayload().dump();
  overlong.replace(overlong.find("medic"), 1, "\xC0\xAF");
  CHECK(ErrorFor(overlong).rfind("malformed JSON", 0) == 0);
}
