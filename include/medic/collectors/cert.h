#pragma once

#include "medic/collector.h"
#include "medic/config.h"
#include "medic/tls/openssl_handles.h"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace medic {

// TLS certificate expiry for endpoints (a live handshake) and PEM files; replaces the seed's
// `openssl s_client | openssl x509 -noout -dates` checks and blackbox_exporter's TLS probe.
// Endpoints are probed concurrently, each bounded by its own timeout, so N slow endpoints cost
// one timeout. A failed target exports medic_cert_probe_success 0 and logs why; it never
// throws.
class CertCollector : public Collector {
 public:
  explicit CertCollector(CertSettings settings);
  std::string_view Name() const override { return "cert"; }
  std::vector<prometheus::MetricFamily> Collect() override;

  // Target → why its latest probe failed (only failed targets).
  std::map<std::string, std::string> LastErrors() const;

 private:
  void Remember(const std::string& target, const std::string& error);

  CertSettings settings_;
  // One client context per endpoint, built on first use and kept (loading CAs is not free).
  std::vector<tls::SslCtxPtr> contexts_;
  mutable std::mutex errors_mutex_;
  std::map<std::string, std::string> last_errors_;
};

}  // namespace medic
