#include "medic/commands/collector_run.h"

#include "medic/collector_factory.h"
#include "medic/commands/check.h"

#include <chrono>
#include <memory>

namespace medic::commands {

CollectorRun RunCollectorsOnce(const Flags& flags) {
  CollectorRun run;
  run.config = LoadCommandConfig(flags);
  auto registry = std::make_shared<CollectorRegistry>(run.config.collectors.timeout);
  for (auto& collector : BuildCollectors(run.config)) registry->Add(std::move(collector));
  // The logs collector counts what it tails from its start, so a one-shot run sees the counts
  // of this run (from_beginning sources: the whole file).
  run.families = registry->Collect();
  run.statuses = registry->Statuses();
  run.finished_at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return run;
}

}  // namespace medic::commands
