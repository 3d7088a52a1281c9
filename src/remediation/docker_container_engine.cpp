#include "medic/remediation/docker_container_engine.h"

namespace medic {

std::unique_ptr<remediation::ContainerEngine> MakeRemediationContainerEngine(
    const WebhookSettings&) {
  // Filled in once the Docker client lands (branch docker); until then container steps fail
  // with "no container engine configured".
  return nullptr;
}

}  // namespace medic
