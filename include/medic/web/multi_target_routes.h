#pragma once

#include "medic/config.h"
#include "medic/net/server.h"

#include <cstddef>
#include <functional>
#include <memory>

namespace medic::web {

// The probe's timeout as blackbox computes it: the module's (0: none), bounded by Prometheus's
// X-Prometheus-Scrape-Timeout-Seconds header less 0.5 s, or 10 s when neither says.
Duration ProbeTimeout(Duration configured, const net::Request& request);

// GET /probe?target=…&module=… (blackbox_exporter's endpoint, modules from medic's `modules`)
// and GET /scrape?target=redis://… (redis_exporter's). Both are behind the web config's auth
// like /metrics and run on the server's probe workers (web.max_concurrent_probes threads,
// started as needed; more requests wait in line), never on the workers /metrics needs. `config`
// returns the running configuration, so a reload changes modules for the next request (the
// thread bound is a restart-required setting).
void RegisterMultiTargetRoutes(net::HttpServer& server,
                               const std::function<std::shared_ptr<const Config>()>& config);

}  // namespace medic::web
