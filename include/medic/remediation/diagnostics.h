#pragma once

#include "medic/remediation/container_engine.h"

#include <functional>
#include <string>

namespace medic::remediation {

struct DiagnosticsRequest {
  std::string data_dir;  // bundles go to <data_dir>/diagnostics/
  std::string remediation;
  std::string target;
  std::string alert_json;
  std::size_t log_lines = 500;
  std::size_t keep = 10;  // bundles (directory + .tar.gz) kept; older ones are deleted
};

struct DiagnosticsResult {
  std::string bundle_dir;
  std::string archive_path;
  std::string summary;  // one line per file, with problems noted
};

// Writes a diagnostics bundle: inspect.json, logs.txt, stats.json, system-df.json,
// filesystem.txt, alert.json, metrics.txt (from `metrics_text`, if given), then a .tar.gz of
// it. A part that fails is written as an "error: ..." file instead, so one broken source
// never loses the rest of the bundle.
DiagnosticsResult WriteDiagnosticsBundle(const DiagnosticsRequest& request, ContainerEngine* engine,
                                         const std::function<std::string()>& metrics_text);

}  // namespace medic::remediation
