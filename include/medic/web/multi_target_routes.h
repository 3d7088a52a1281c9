#pragma once

#include "medic/config.h"
#include "medic/net/server.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>

namespace medic::web {

// How many /probe and /scrape requests run at once; a request past the bound is refused (503)
// at once instead of queueing behind the others for a web worker.
class ProbeGate {
 public:
  class Slot {
   public:
    explicit Slot(ProbeGate* gate) : gate_(gate) {}
    Slot(Slot&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gate_ != nullptr) gate_->in_flight_.fetch_sub(1);
    }
    explicit operator bool() const { return gate_ != nullptr; }

   private:
    ProbeGate* gate_;
  };

  // nullptr-like Slot when `limit` requests are already running.
  Slot TryEnter(std::size_t limit);

 private:
  std::atomic<std::size_t> in_flight_{0};
};

// The probe's timeout as blackbox computes it: the module's (0: none), bounded by Prometheus's
// X-Prometheus-Scrape-Timeout-Seconds header less 0.5 s, or 10 s when neither says.
Duration ProbeTimeout(Duration configured, const net::Request& request);

// GET /probe?target=…&module=… (blackbox_exporter's endpoint, modules from medic's `modules`)
// and GET /scrape?target=redis://… (redis_exporter's). Both are behind the web config's auth
// like /metrics and share one ProbeGate of web.max_concurrent_probes. `config` returns the
// running configuration, so a reload changes modules and bounds for the next request.
void RegisterMultiTargetRoutes(net::HttpServer& server,
                               const std::function<std::shared_ptr<const Config>()>& config);

}  // namespace medic::web
