#pragma once

#include "medic/duration.h"

#include <cstdint>
#include <string>

namespace medic::remediation {

struct PruneReport {
  std::int64_t space_reclaimed_bytes = 0;
  std::string detail;  // what each prune call removed, for the journal
};

// The container operations remediation steps need. Kept this small so the worker can be
// tested against a real engine through one adapter, and the steps read as plain intent.
// Every call throws std::runtime_error with the engine's message on failure.
class ContainerEngine {
 public:
  virtual ~ContainerEngine() = default;
  // Throws when the engine does not accept a new connection or does not answer.
  virtual void Ping() = 0;
  virtual void Restart(const std::string& name, Duration stop_timeout) = 0;
  virtual void Stop(const std::string& name, Duration stop_timeout) = 0;
  virtual void Start(const std::string& name) = 0;
  virtual std::string InspectJson(const std::string& name) = 0;
  virtual std::string LogTail(const std::string& name, std::size_t lines) = 0;
  virtual std::string StatsJson(const std::string& name) = 0;
  virtual std::string SystemDfJson() = 0;
  // Containers, dangling images, networks, build cache.
  virtual PruneReport Prune() = 0;
};

}  // namespace medic::remediation
