#pragma once

#include "medic/flags.h"

namespace medic::commands {

// `medic report capacity|security|performance [--prometheus URL] [--range 7d|30d]
// [--output markdown|json]`: the seed's weekly/monthly reports. Returns 0 when the report was
// written, 3 (could not run) on bad arguments or an unreachable Prometheus.
int RunReport(const Flags& flags);

}  // namespace medic::commands
