#pragma once

#include "medic/collector_registry.h"
#include "medic/config.h"
#include "medic/flags.h"

#include <prometheus/metric_family.h>

#include <vector>

namespace medic::commands {

// One run of every enabled collector, as `medic check` and a snapshot `medic report` see it.
struct CollectorRun {
  Config config;
  std::vector<prometheus::MetricFamily> families;
  std::vector<CollectorStatus> statuses;
  double finished_at = 0;  // unix seconds when the run ended
};

struct CollectorRunOptions {
  // `medic check` reads its log window itself (log_window.h): the logs collector, which counts
  // from where the daemon's offsets stopped, would count the wrong lines. The configuration's
  // logs section stays in CollectorRun::config.
  bool skip_logs = false;
};

// Loads the command's configuration (LoadCommandConfig) and runs every enabled collector once,
// concurrently and bounded by collectors.timeout. Throws on a bad configuration.
CollectorRun RunCollectorsOnce(const Flags& flags, CollectorRunOptions options = {});

}  // namespace medic::commands
