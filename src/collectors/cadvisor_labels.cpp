#include "medic/collectors/cadvisor_labels.h"

#include <fnmatch.h>

#include <algorithm>

#include <set>

namespace medic {

std::string ContainerLabelName(std::string_view key) {
  std::string name = "container_label_";
  name.reserve(name.size() + key.size());
  for (const char c : key) {
    const bool valid =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    name += valid ? c : '_';
  }
  return name;
}

LabelPairs CadvisorLabels(const ContainerSettings& settings,
                          const ContainerObservation& observation,
                          const docker::ContainerDetails& details) {
  const bool by_cgroup = settings.id_label == ContainerSettings::IdLabel::kCgroupPath &&
                         !observation.cgroup_path.empty();
  LabelPairs labels{{"id", by_cgroup ? observation.cgroup_path : details.id},
                    {"image", details.image},
                    {"name", details.name}};
  if (settings.label_allowlist.empty()) return labels;
  std::set<std::string> taken;
  for (const auto& [label_key, value] : details.labels) {  // std::map: key order
    const std::string& key = label_key;  // a structured binding cannot be captured in C++20
    const bool allowed =
        std::any_of(settings.label_allowlist.begin(), settings.label_allowlist.end(),
                    [&key](const std::string& pattern) {
                      return ::fnmatch(pattern.c_str(), key.c_str(), 0) == 0;
                    });
    if (!allowed || value.empty()) continue;
    std::string name = ContainerLabelName(key);
    if (!taken.insert(name).second) continue;
    labels.push_back({std::move(name), value});
  }
  return labels;
}

}  // namespace medic
