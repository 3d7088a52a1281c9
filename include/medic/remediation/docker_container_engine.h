#pragma once

#include "medic/config.h"
#include "medic/remediation/container_engine.h"

#include <memory>

namespace medic {

// The ContainerEngine remediation steps use, talking to the Docker Engine API at
// settings.host (Docker or podman's compatible service).
std::unique_ptr<remediation::ContainerEngine> MakeRemediationContainerEngine(
    const DockerSettings& settings);

}  // namespace medic
