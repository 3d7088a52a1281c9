#include "medic/remediation/replica_incident.h"

#include "medic/logs/log_timestamp.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

namespace medic::remediation {

ReplicaFolding ReplicaFolding::From(const std::optional<FleetSettings>& fleet) {
  ReplicaFolding folding;
  if (!fleet) return folding;
  folding.enabled = true;
  folding.ignore_labels = fleet->ignore_labels;
  folding.window_seconds = ToSeconds(fleet->replica_window);
  return folding;
}

std::string ReplicaGroupKey(const LabelSet& labels, const std::vector<std::string>& ignore_labels) {
  std::uint64_t hash = 14695981039346656037ull;
  const auto mix = [&hash](std::string_view text) {
    for (const char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;  // never inside valid UTF-8: "ab"+"c" and "a"+"bc" differ
    hash *= 1099511628211ull;
  };
  for (const auto& [name, value] : labels) {  // a std::map: sorted, so replicas hash alike
    if (std::find(ignore_labels.begin(), ignore_labels.end(), name) != ignore_labels.end()) {
      continue;
    }
    mix(name);
    mix(value);
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::optional<double> AlertTimeSeconds(std::string_view rfc3339) {
  const auto stamp = logs::ParseLogTimestamp(rfc3339);
  if (!stamp) return std::nullopt;
  return static_cast<double>(stamp->seconds) + static_cast<double>(stamp->nanos) / 1e9;
}

}  // namespace medic::remediation
