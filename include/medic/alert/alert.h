#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// The Alertmanager alert model (webhook payload version "4"), shared by everything that handles
// alerts: the webhook parses into it, the router matches it, the journal stores it and the
// remediation engine acts on it.
namespace medic {

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

}  // namespace medic
