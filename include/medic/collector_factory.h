#pragma once

#include "medic/collector.h"
#include "medic/config.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace medic {

// Every collector name medic knows, in the order they are registered.
const std::vector<std::string>& KnownCollectorNames();

// Applies --collector.NAME / --no-collector.NAME: an enabled collector without a config section
// gets its default settings; a disabled one is removed.
void ApplyCollectorOverrides(CollectorSettings& settings,
                             const std::map<std::string, bool>& overrides);

// The collectors the configuration turns on. Throws std::runtime_error if one cannot be built.
std::vector<std::shared_ptr<Collector>> BuildCollectors(const Config& config);

}  // namespace medic
