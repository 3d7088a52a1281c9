#pragma once

#include "medic/collectors/container_cache.h"
#include "medic/config.h"
#include "medic/metric_family_builder.h"

#include <string>
#include <string_view>

namespace medic {

// cAdvisor's label name for a Docker label key: "container_label_" + the key with every
// character outside [a-zA-Z0-9_] replaced by '_' ("com.docker.compose.service" ->
// "container_label_com_docker_compose_service").
std::string ContainerLabelName(std::string_view key);

// The labels cAdvisor puts on a container's series: id (the engine's id, or the cgroup path
// with id_label: cgroup_path, when known), image, name, and container_label_* for the Docker
// labels `label_allowlist` lets through. Two keys that sanitise to the same name keep the
// first in key order, so a series never carries a label twice.
LabelPairs CadvisorLabels(const ContainerSettings& settings,
                          const ContainerObservation& observation,
                          const docker::ContainerDetails& details);

}  // namespace medic
