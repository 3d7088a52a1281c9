#include "medic/collectors/probe.h"

#include "medic/collectors/blackbox_probe.h"
#include "medic/metric_family_builder.h"
#include "medic/net/curl_client.h"

#include <spdlog/spdlog.h>

#include <future>

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

ProbeModule ProbeModuleFor(const ProbeTarget& target) {
  ProbeModule module;
  module.name = "http_2xx";
  module.method = target.method;
  if (target.expected_status != 0) module.valid_status_codes = {target.expected_status};
  module.timeout = target.timeout;
  module.tls_config.ca_file = target.ca_file;
  module.tls_config.insecure_skip_verify = target.insecure_skip_verify;
  return module;
}

std::vector<prometheus::MetricFamily> ProbeCollector::Collect() {
  // Each target waits on the network: all run at once, so N slow targets cost one timeout.
  std::vector<std::future<BlackboxProbeOutcome>> runs;
  runs.reserve(targets_.size());
  for (const ProbeTarget& target : targets_) {
    runs.push_back(std::async(std::launch::async, [&target] {
      const ProbeModule module = ProbeModuleFor(target);
      return RunBlackboxProbe(module, target.url, target.timeout,
                              {{"target", target.name}, {"module", module.name}});
    }));
  }
  std::vector<prometheus::MetricFamily> families;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    BlackboxProbeOutcome outcome = runs[i].get();
    if (!outcome.success) spdlog::debug("probe {} failed: {}", targets_[i].name, outcome.error);
    MergeFamilies(families, std::move(outcome.families));
  }
  return families;
}

}  // namespace medic
