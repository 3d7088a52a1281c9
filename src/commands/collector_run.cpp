#include "medic/commands/collector_run.h"

#include "medic/collector_factory.h"
#include "medic/commands/check.h"

#include <chrono>
#include <memory>

namespace medic::commands {

CollectorRun RunCollectorsOnce(const Flags& flags, CollectorRunOptions options) {
  CollectorRun run;
  run.config = LoadCommandConfig(flags);
  Config collected = run.config;
  if (options.skip_logs) collected.collectors.logs.reset();
  auto registry = std::make_shared<CollectorRegistry>(collected.collectors.timeout);
  for (auto& collector : BuildCollectors(collected)) registry->Add(std::move(collector));
  // The logs collector (a snapshot `medic report`) counts what it tails from its start: the
  // counts of this run (from_beginning sources: the whole file).
  run.families = registry->Collect();
  run.statuses = registry->Statuses();
  run.finished_at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return run;
}

}  // namespace medic::commands
