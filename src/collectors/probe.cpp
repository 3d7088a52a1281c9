#include "medic/collectors/probe.h"

#include "medic/curl_handle.h"
#include "medic/metric_family_builder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace medic {
namespace {

// Health endpoints answer small bodies; stop reading a huge one rather than buffer it.
constexpr std::size_t kMaxBodyBytes = 1 << 20;

struct Transfer {
  CurlEasy handle;
  std::size_t body_bytes = 0;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool done = false;
  CURLcode code = CURLE_OK;
};

std::size_t DiscardBody(char* /*data*/, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  transfer->body_bytes += size * count;
  if (transfer->body_bytes > kMaxBodyBytes) return 0;  // aborts with CURLE_WRITE_ERROR
  return size * count;
}

void Configure(Transfer& transfer, const ProbeTarget& target) {
  CURL* curl = transfer.handle.get();
  const curl::Library& api = curl::Api();
  api.easy_setopt(curl, CURLOPT_URL, target.url.c_str());
  api.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(target.timeout.count()));
  api.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(target.timeout.count()));
  api.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  api.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  api.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  api.easy_setopt(curl, CURLOPT_USERAGENT, "medic-probe");
  api.easy_setopt(curl, CURLOPT_WRITEFUNCTION, DiscardBody);
  api.easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  api.easy_setopt(curl, CURLOPT_ERRORBUFFER, transfer.error_buffer);
  if (target.method == "HEAD") {
    api.easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (target.method != "GET") {
    api.easy_setopt(curl, CURLOPT_CUSTOMREQUEST, target.method.c_str());
  }
  if (!target.ca_file.empty()) api.easy_setopt(curl, CURLOPT_CAINFO, target.ca_file.c_str());
  if (target.insecure_skip_verify) {
    api.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    api.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
}

bool StatusAccepted(const ProbeTarget& target, int status) {
  if (target.expected_status != 0) return status == target.expected_status;
  return status >= 200 && status < 300;
}

// Without libcurl the other collectors still answer; this one fails its scrape, saying why.
const curl::Library& LoadCurl() {
  try {
    return curl::Api();
  } catch (const std::runtime_error& error) {
    throw CollectorError(error.what());
  }
}

}  // namespace

std::vector<ProbeResult> RunProbes(const std::vector<ProbeTarget>& targets) {
  std::vector<ProbeResult> results(targets.size());
  if (targets.empty()) return results;
  const curl::Library& api = LoadCurl();
  CurlMulti multi(api.multi_init());
  if (!multi) throw CollectorError("curl_multi_init failed");
  std::vector<std::unique_ptr<Transfer>> transfers;
  for (const ProbeTarget& target : targets) {
    auto transfer = std::make_unique<Transfer>();
    transfer->handle = NewCurlEasy();
    Configure(*transfer, target);
    api.easy_setopt(transfer->handle.get(), CURLOPT_PRIVATE, transfer.get());
    api.multi_add_handle(multi.get(), transfer->handle.get());
    transfers.push_back(std::move(transfer));
  }
  int running = 0;
  do {
    api.multi_perform(multi.get(), &running);
    int queued = 0;
    while (CURLMsg* message = api.multi_info_read(multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* transfer = nullptr;
      api.easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
      transfer->done = true;
      transfer->code = message->data.result;
    }
    if (running > 0) api.multi_poll(multi.get(), nullptr, 0, 100, nullptr);
  } while (running > 0);

  for (std::size_t i = 0; i < targets.size(); ++i) {
    Transfer& transfer = *transfers[i];
    ProbeResult& result = results[i];
    long status = 0;
    double seconds = 0;
    api.easy_getinfo(transfer.handle.get(), CURLINFO_RESPONSE_CODE, &status);
    api.easy_getinfo(transfer.handle.get(), CURLINFO_TOTAL_TIME, &seconds);
    result.http_status = static_cast<int>(status);
    result.duration_seconds = seconds;
    if (transfer.code != CURLE_OK && transfer.code != CURLE_WRITE_ERROR) {
      result.error = transfer.error_buffer[0] != '\0' ? transfer.error_buffer
                                                      : api.easy_strerror(transfer.code);
    } else if (!StatusAccepted(targets[i], result.http_status)) {
      result.error = "unexpected HTTP status " + std::to_string(result.http_status);
    } else {
      result.success = true;
    }
    api.multi_remove_handle(multi.get(), transfer.handle.get());
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
