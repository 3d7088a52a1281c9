#include "medic/webhook/payload.h"

#include <string>

namespace medic::webhook {

namespace {

using nlohmann::json;

// Refuses a document nested deeper than kMaxPayloadDepth before nlohmann builds anything: one
// pass over the bytes (string contents skipped) is far cheaper than a parser callback on every
// value, and bounds the DOM's depth, so neither parsing nor destroying it can exhaust the stack.
void CheckDepth(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // an escaped quote does not end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxPayloadDepth) {
        throw PayloadError("malformed JSON: nested deeper than " +
                           std::to_string(kMaxPayloadDepth) + " levels");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

json ParseBounded(std::string_view body) {
  CheckDepth(body);
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& error) {
    // parse_error for bad syntax, but also out_of_range for a number no double holds (1e400):
    // both are a malformed body.
    std::string message = error.what();
    // Strip nlohmann's "[json.exception.parse_error.101] " prefix; keep the position info.
    if (auto end = message.find("] "); end != std::string::npos) message.erase(0, end + 2);
    throw PayloadError("malformed JSON: " + message);
  }
}

const char* TypeName(const json& value) { return value.type_name(); }

const json* Member(const json& object, const std::string& key, const std::string& path,
                   bool required) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) throw PayloadError(path + key + ": required field is missing");
    return nullptr;
  }
  return &*it;
}

std::string String(const json& object, const std::string& key, const std::string& path,
                   bool required) {
  const json* value = Member(object, key, path, required);
  if (value == nullptr) return {};
  if (!value->is_string()) {
    throw PayloadError(path + key + ": expected a string, got " + TypeName(*value));
  }
  return value->get<std::string>();
}

LabelSet Labels(const json& object, const std::string& key, const std::string& path,
                bool required) {
  const json* value = Member(object, key, path, required);
  LabelSet labels;
  if (value == nullptr) return labels;
  if (!value->is_object()) {
    throw PayloadError(path + key + ": expected an object of strings, got " + TypeName(*value));
  }
  for (const auto& [name, label_value] : value->items()) {
    if (!label_value.is_string()) {
      throw PayloadError(path + key + "." + name + ": expected a string, got " +
                         TypeName(label_value));
    }
    labels.emplace(name, label_value.get<std::string>());
  }
  return labels;
}

std::string Status(const json& object, const std::string& path) {
  std::string status = String(object, "status", path, true);
  if (status != "firing" && status != "resolved") {
    throw PayloadError(path + "status: expected \"firing\" or \"resolved\", got \"" + status +
                       "\"");
  }
  return status;
}

// Loose RFC 3339 shape check ("2026-01-02T03:04:05..."); Alertmanager always sends this form.
bool LooksLikeTimestamp(const std::string& text) {
  if (text.size() < 20) return false;
  auto digits = [&](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
    }
    return true;
  };
  return digits(0, 4) && text[4] == '-' && digits(5, 2) && text[7] == '-' && digits(8, 2) &&
         (text[10] == 'T' || text[10] == 't') && digits(11, 2) && text[13] == ':' &&
         digits(14, 2) && text[16] == ':' && digits(17, 2);
}

Alert ParseAlert(const json& value, const std::string& path) {
  if (!value.is_object()) {
    throw PayloadError(path.substr(0, path.size() - 1) + ": expected an object, got " +
                       TypeName(value));
  }
  Alert alert;
  alert.status = Status(value, path);
  alert.labels = Labels(value, "labels", path, true);
  alert.annotations = Labels(value, "annotations", path, false);
  alert.starts_at = String(value, "startsAt", path, true);
  if (!LooksLikeTimestamp(alert.starts_at)) {
    throw PayloadError(path + "startsAt: expected an RFC 3339 timestamp, got \"" +
                       alert.starts_at.substr(0, 64) + "\"");
  }
  alert.ends_at = String(value, "endsAt", path, false);
  alert.generator_url = String(value, "generatorURL", path, false);
  alert.fingerprint = String(value, "fingerprint", path, true);
  if (alert.fingerprint.empty() || alert.fingerprint.size() > 128) {
    throw PayloadError(path + "fingerprint: expected 1 to 128 characters");
  }
  return alert;
}

}  // namespace

Notification ParseNotification(std::string_view body) {
  const json document = ParseBounded(body);
  if (!document.is_object()) {
    throw PayloadError(std::string("payload: expected a JSON object, got ") + TypeName(document));
  }
  Notification notification;
  notification.version = String(document, "version", "", true);
  if (notification.version != "4") {
    throw PayloadError("version: unsupported payload version \"" +
                       notification.version.substr(0, 16) + "\" (expected \"4\")");
  }
  notification.group_key = String(document, "groupKey", "", false);
  if (const json* truncated = Member(document, "truncatedAlerts", "", false)) {
    if (!truncated->is_number_integer() || truncated->get<std::int64_t>() < 0) {
      throw PayloadError("truncatedAlerts: expected a non-negative integer");
    }
    notification.truncated_alerts = truncated->get<std::int64_t>();
  }
  notification.status = Status(document, "");
  notification.receiver = String(document, "receiver", "", false);
  notification.group_labels = Labels(document, "groupLabels", "", false);
  notification.common_labels = Labels(document, "commonLabels", "", false);
  notification.common_annotations = Labels(document, "commonAnnotations", "", false);
  notification.external_url = String(document, "externalURL", "", false);
  const json* alerts = Member(document, "alerts", "", true);
  if (!alerts->is_array()) {
    throw PayloadError(std::string("alerts: expected an array, got ") + TypeName(*alerts));
  }
  if (alerts->empty()) throw PayloadError("alerts: expected at least one alert");
  notification.alerts.reserve(alerts->size());
  for (std::size_t i = 0; i < alerts->size(); ++i) {
    notification.alerts.push_back(ParseAlert((*alerts)[i], "alerts[" + std::to_string(i) + "]."));
  }
  return notification;
}

}  // namespace medic::webhook
