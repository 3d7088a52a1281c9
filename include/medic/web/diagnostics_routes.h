#pragma once

#include "medic/net/server.h"

#include <functional>
#include <string>

namespace medic::web {

// Registers GET /api/v1/diagnostics (the bundle listing, JSON) and
// GET /api/v1/diagnostics/archive?name=<bundle> (that bundle's .tar.gz). Both sit behind the
// web config's basic auth like /metrics: bundles hold container logs and inspect output.
// `data_dir` runs per request so a reload that moves the data directory is followed.
void RegisterDiagnosticsRoutes(net::HttpServer& server,
                               const std::function<std::string()>& data_dir);

}  // namespace medic::web
