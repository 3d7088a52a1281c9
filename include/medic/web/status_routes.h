#pragma once

#include "medic/net/server.h"
#include "medic/web/status_page.h"

#include <functional>

namespace medic::web {

// Registers GET / (the status page), GET /api/v1/status and the page's stylesheet. The page and
// the API sit behind the web config's basic auth like /metrics; the stylesheet is static and
// public. `build_model` runs per request (it takes the latest scrape, or collects when none is
// recent, and evaluates the thresholds).
void RegisterStatusRoutes(net::HttpServer& server,
                          const std::function<StatusPageModel()>& build_model);

}  // namespace medic::web
