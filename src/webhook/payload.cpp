#include "medic/webhook/payload.h"

#include <string>

namespace medic::webhook {

namespace {

using nlohmann::json;

// Aborts the parse as soon as the document gets too deep. nlohmann's parser keeps its own
// state stack (no recursion), so checking in the callback bounds both stack and memory.
class DepthExceeded : public std::exception {};

json ParseBounded(std::string_view body) {
  json::parser_callback_t limit_depth = [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxPayloadDepth) throw DepthExceeded{};
    return true;
  };
  try {
    return json::parse(body.begin(), body.end(), limit_depth);
  } catch (const DepthExceeded&) {
    throw PayloadError("malformed JSON: nested deeper than " + std::to_string(kMaxPayloadDepth) +
                       " levels");
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

std::string Alert::AlertName() const {
  auto it = labels.find("alertname");
  return it == labels.end() ? std::string() : it->second;
}

std::string Alert::IdempotencyKey() const { return fingerprint + "|" + starts_at + "|" + status; }

nlohmann::json Alert::ToJson() const {
  return {{"status", status},          {"labels", labels},  {"annotations", annotations},
          {"startsAt", starts_at},     {"endsAt", ends_at}, {"generatorURL", generator_url},
          {"fingerprint", fingerprint}};
}

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
