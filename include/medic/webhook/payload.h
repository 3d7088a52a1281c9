#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace medic::webhook {

using LabelSet = std::map<std::string, std::string>;

// One alert of an Alertmanager webhook notification (payload version "4").
struct Alert {
  std::string status;  // "firing" or "resolved"
  LabelSet labels;
  LabelSet annotations;
  std::string starts_at;  // RFC 3339, as sent
  std::string ends_at;
  std::string generator_url;
  std::string fingerprint;

  std::string AlertName() const;
  // fingerprint + startsAt + status: Alertmanager's repeats and retries share it, so a job
  // keyed on it runs at most once.
  std::string IdempotencyKey() const;
  // The alert as compact JSON, byte for byte what nlohmann's dump() prints for it (sorted keys),
  // written directly: the intake serializes every alert it journals, and building a document
  // first cost more than the journal write itself.
  std::string ToJsonText() const;
};

// One webhook request body.
struct Notification {
  std::string version;
  std::string group_key;
  std::int64_t truncated_alerts = 0;
  std::string status;
  std::string receiver;
  LabelSet group_labels;
  LabelSet common_labels;
  LabelSet common_annotations;
  std::string external_url;
  std::vector<Alert> alerts;
};

// Thrown for a body that is not a valid version-4 payload; what() names the offending field
// (e.g. "alerts[1].labels.severity: expected a string").
class PayloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// JSON nesting allowed in a payload. Alertmanager's is 3 deep; anything far deeper is hostile.
inline constexpr int kMaxPayloadDepth = 32;

// Parses and validates a webhook body. Never recurses with the input's nesting depth, so
// arbitrarily deep documents fail cleanly; invalid UTF-8 is rejected.
Notification ParseNotification(std::string_view body);

}  // namespace medic::webhook
