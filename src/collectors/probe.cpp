#include "medic/collectors/probe.h"

#include "medic/metric_family_builder.h"
#include "medic/net/curl_client.h"

#include <spdlog/spdlog.h>

namespace medic {
namespace {

// Health endpoints answer small bodies; stop reading a huge one rather than wait for it.
constexpr std::size_t kMaxBodyBytes = 1 << 20;

net::CurlRequest RequestFor(const ProbeTarget& target) {
  net::CurlRequest request;
  request.method = target.method;
  request.url = target.url;
  request.timeout = target.timeout;
  request.max_body_bytes = kMaxBodyBytes;
  request.keep_body = false;  // the status decides
  // Like blackbox_exporter's http prober and `curl -L`: a health URL may move behind a redirect.
  request.follow_redirects = true;
  request.max_redirects = 5;
  request.user_agent = "medic-probe";
  request.ca_file = target.ca_file;
  request.insecure_skip_verify = target.insecure_skip_verify;
  return request;
}

bool StatusAccepted(const ProbeTarget& target, long status) {
  if (target.expected_status != 0) return status == target.expected_status;
  return status >= 200 && status < 300;
}

}  // namespace

std::vector<ProbeResult> RunProbes(const std::vector<ProbeTarget>& targets) {
  std::vector<net::CurlRequest> requests;
  requests.reserve(targets.size());
  for (const ProbeTarget& target : targets) requests.push_back(RequestFor(target));
  const std::vector<net::CurlResponse> responses = net::PerformAll(requests);
  std::vector<ProbeResult> results(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const net::CurlResponse& response = responses[i];
    ProbeResult& result = results[i];
    result.http_status = static_cast<int>(response.status);
    result.duration_seconds = response.total_seconds;
    if (!response.error.empty()) {
      // The detailed message: the page and the log say which host refused or timed out.
      result.error = response.error_detail;
    } else if (!StatusAccepted(targets[i], response.status)) {
      result.error = "unexpected HTTP status " + std::to_string(response.status);
    } else {
      result.success = true;
    }
  }
  return results;
}

ProbeCollector::ProbeCollector(std::vector<ProbeTarget> targets) : targets_(std::move(targets)) {}

std::vector<prometheus::MetricFamily> ProbeCollector::Collect() {
  const std::vector<ProbeResult> results = RunProbes(targets_);
  auto success = MetricFamilyBuilder::Gauge("medic_probe_success",
                                            "Whether the health probe succeeded (1) or not (0).");
  auto duration = MetricFamilyBuilder::Gauge("medic_probe_duration_seconds",
                                             "How long the health probe took in seconds.");
  auto status = MetricFamilyBuilder::Gauge("medic_probe_http_status_code",
                                           "HTTP status code of the probe's response (0: none).");
  for (std::size_t i = 0; i < targets_.size(); ++i) {
    const LabelPairs labels{{"target", targets_[i].name}};
    const ProbeResult& result = results[i];
    if (!result.success) spdlog::debug("probe {} failed: {}", targets_[i].name, result.error);
    success.Add(result.success ? 1 : 0, labels);
    duration.Add(result.duration_seconds, labels);
    status.Add(result.http_status, labels);
  }
  std::vector<prometheus::MetricFamily> families;
  for (auto* family : {&success, &duration, &status}) family->MoveInto(families);
  return families;
}

}  // namespace medic
