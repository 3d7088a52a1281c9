#pragma once

#include "medic/collector_registry.h"

#include <string>
#include <utility>
#include <vector>

namespace medic::http {

struct LandingPageModel {
  std::string version;
  std::string revision;
  std::string config_source;
  std::string telemetry_path;
  std::vector<std::pair<std::string, std::string>> links;  // href, label
  std::vector<CollectorStatus> collectors;
};

// A small self-contained HTML page (no external assets; every value escaped).
std::string RenderLandingPage(const LandingPageModel& model);

}  // namespace medic::http
