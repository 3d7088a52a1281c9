#pragma once

#include "medic/config.h"
#include "medic/metric_family_builder.h"
#include "medic/tls/tls_probe.h"

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace medic {

struct BlackboxProbeOutcome {
  bool success = false;
  std::string error;  // why it failed, for the log and the landing page ("" on success)
  std::vector<prometheus::MetricFamily> families;
};

// Runs `module` against `target` as blackbox_exporter 0.23 does and returns its families with
// its names, HELP texts and label values (probe_success, probe_duration_seconds,
// probe_http_duration_seconds{phase}, probe_http_status_code, probe_http_ssl, probe_ssl_*,
// probe_tls_version_info{version="TLS 1.3"}, …). `labels` go on every series (empty on
// /probe, where Prometheus's relabelling sets `instance`; {target, module} on /metrics).
// http targets are URLs (scheme optional, http:// assumed); tcp targets are host:port.
// Never throws for a failed probe.
BlackboxProbeOutcome RunBlackboxProbe(const ProbeModule& module, const std::string& target,
                                      Duration timeout, const LabelPairs& labels);

// blackbox's tcp prober with tls: true, from a handshake already made (the cert collector's):
// the certificate families only when the chain verified (or verification is skipped), as Go's
// crypto/tls fails the handshake otherwise; sets success and error.
void AddTlsHandshakeOutcome(const tls::TlsProbeResult& result, bool insecure_skip_verify,
                            const LabelPairs& labels, BlackboxProbeOutcome& outcome);
// probe_success and probe_duration_seconds, which every prober ends with.
void AddProbeResult(BlackboxProbeOutcome& outcome, double duration_seconds,
                    const LabelPairs& labels);

}  // namespace medic
