#include "medic/collector_factory.h"

#include "medic/collectors/backup.h"
#include "medic/collectors/cert.h"
#include "medic/collectors/container.h"
#include "medic/collectors/filesystem.h"
#include "medic/collectors/logs.h"
#include "medic/collectors/probe.h"
#include "medic/collectors/process.h"
#include "medic/collectors/redis.h"

namespace medic {

const std::vector<std::string>& KnownCollectorNames() {
  static const std::vector<std::string> kNames{"filesystem", "backup", "probe", "container",
                                               "cert",       "redis",  "logs",  "process"};
  return kNames;
}

void ApplyCollectorOverrides(CollectorSettings& settings,
                             const std::map<std::string, bool>& overrides) {
  auto apply = [&](const std::string& name, auto& section) {
    const auto found = overrides.find(name);
    if (found == overrides.end()) return;
    if (!found->second) {
      section.reset();
    } else if (!section) {
      section.emplace();
    }
  };
  apply("filesystem", settings.filesystem);
  apply("backup", settings.backup);
  apply("probe", settings.probe);
  apply("container", settings.container);
  apply("cert", settings.cert);
  apply("redis", settings.redis);
  apply("logs", settings.logs);
  if (const auto found = overrides.find("process"); found != overrides.end()) {
    settings.process = found->second;
  }
}

std::vector<std::shared_ptr<Collector>> BuildCollectors(const Config& config) {
  const CollectorSettings& settings = config.collectors;
  std::vector<std::shared_ptr<Collector>> collectors;
  if (settings.filesystem) {
    collectors.push_back(std::make_shared<FilesystemCollector>(*settings.filesystem));
  }
  if (settings.backup) collectors.push_back(std::make_shared<BackupCollector>(*settings.backup));
  if (settings.probe) collectors.push_back(std::make_shared<ProbeCollector>(*settings.probe));
  if (settings.container) {
    collectors.push_back(std::make_shared<ContainerCollector>(*settings.container));
  }
  if (settings.cert) collectors.push_back(std::make_shared<CertCollector>(*settings.cert));
  if (settings.redis) collectors.push_back(std::make_shared<RedisCollector>(*settings.redis));
  if (settings.logs) collectors.push_back(std::make_shared<LogsCollector>(*settings.logs));
  if (settings.process) collectors.push_back(std::make_shared<ProcessCollector>());
  return collectors;
}

}  // namespace medic
