#pragma once

#include "medic/alert/alert.h"
#include "medic/config.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace medic::remediation {

// Two Prometheus replicas raise one incident as two alerts: their replica labels differ, so
// Alertmanager fingerprints them apart, and each replica evaluates on its own clock, so their
// startsAt differ too. The journal folds such copies into one incident (one run): alerts of a
// remediation whose labels are equal once `ignore_labels` are set aside, whose fingerprints
// differ, and whose startsAt lie within `window_seconds` of each other, unless the incident
// had resolved before the later one started. The same fingerprint with a new startsAt is
// Alertmanager's next incident of one series and is never folded.
struct ReplicaFolding {
  bool enabled = false;
  std::vector<std::string> ignore_labels;
  double window_seconds = 0;

  static ReplicaFolding From(const std::optional<FleetSettings>& fleet);
};

// What replicas of one alert share: a digest of its labels without `ignore_labels` (16 hex
// digits; FNV-1a over names and values, a byte that UTF-8 never holds between them).
std::string ReplicaGroupKey(const LabelSet& labels, const std::vector<std::string>& ignore_labels);

// An alert's RFC 3339 timestamp (startsAt, endsAt) as unix seconds; nullopt when unparsable.
std::optional<double> AlertTimeSeconds(std::string_view rfc3339);

}  // namespace medic::remediation
