#include "medic/collectors/cert.h"

#include "medic/collectors/blackbox_probe.h"
#include "medic/metric_family_builder.h"
#include "medic/sigpipe_guard.h"
#include "medic/tls/certificate.h"
#include "medic/tls/tls_probe.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <tuple>

namespace medic {
namespace {

struct Families {
  MetricFamilyBuilder not_after = MetricFamilyBuilder::Gauge(
      "medic_cert_not_after_timestamp_seconds",
      "NotAfter of each certificate presented by an endpoint or found in a file, Unix seconds.");
  MetricFamilyBuilder not_before = MetricFamilyBuilder::Gauge(
      "medic_cert_not_before_timestamp_seconds",
      "NotBefore of each certificate presented by an endpoint or found in a file, Unix seconds.");
  MetricFamilyBuilder earliest = MetricFamilyBuilder::Gauge(
      "medic_cert_earliest_expiry_timestamp_seconds",
      "Earliest NotAfter among the certificates presented or in the file, Unix seconds.");
  MetricFamilyBuilder last_chain = MetricFamilyBuilder::Gauge(
      "medic_cert_last_chain_expiry_timestamp_seconds",
      "Earliest NotAfter in the verified chain (when it breaks for clients), Unix seconds.");
  MetricFamilyBuilder success = MetricFamilyBuilder::Gauge(
      "medic_cert_probe_success",
      "Whether the certificates could be read (handshake or file) (1) or not (0).");
  MetricFamilyBuilder verify_ok = MetricFamilyBuilder::Gauge(
      "medic_cert_verify_ok", "Whether the endpoint's chain verified, hostname included.");
  MetricFamilyBuilder verify_error = MetricFamilyBuilder::Gauge(
      "medic_cert_verify_error_info", "Why the endpoint's chain failed verification.");
  MetricFamilyBuilder tls_version = MetricFamilyBuilder::Gauge(
      "medic_cert_tls_version_info", "TLS version negotiated with the endpoint.");
  MetricFamilyBuilder duration = MetricFamilyBuilder::Gauge(
      "medic_cert_probe_duration_seconds", "How long reading the certificates took in seconds.");

  // A bundle or chain can hold the same certificate twice; a series must appear once.
  std::set<std::tuple<std::string, std::string, std::string, std::string>> seen;

  void AddCertificates(const std::string& target,
                       const std::vector<tls::CertificateInfo>& certificates) {
    for (const tls::CertificateInfo& certificate : certificates) {
      if (!seen.emplace(target, certificate.subject, certificate.issuer, certificate.serial)
               .second) {
        continue;
      }
      const LabelPairs labels{{"target", target},
                              {"subject", certificate.subject},
                              {"issuer", certificate.issuer},
                              {"serial", certificate.serial}};
      not_after.Add(certificate.not_after, labels);
      not_before.Add(certificate.not_before, labels);
    }
    if (!certificates.empty()) {
      earliest.Add(EarliestExpiry(certificates), {{"target", target}});
    }
  }

  static double EarliestExpiry(const std::vector<tls::CertificateInfo>& certificates) {
    return std::min_element(certificates.begin(), certificates.end(),
                            [](const auto& a, const auto& b) { return a.not_after < b.not_after; })
        ->not_after;
  }

  std::vector<prometheus::MetricFamily> Build() && {
    std::vector<prometheus::MetricFamily> out;
    for (auto* family : {&not_after, &not_before, &earliest, &last_chain, &success, &verify_ok,
                         &verify_error, &tls_version, &duration}) {
      std::move(*family).MoveInto(out);
    }
    return out;
  }
};

}  // namespace

CertCollector::CertCollector(CertSettings settings) : settings_(std::move(settings)) {
  contexts_.resize(settings_.endpoints.size());
}

std::map<std::string, std::string> CertCollector::LastErrors() const {
  std::lock_guard lock(errors_mutex_);
  return last_errors_;
}

void CertCollector::Remember(const std::string& target, const std::string& error) {
  std::lock_guard lock(errors_mutex_);
  const auto found = last_errors_.find(target);
  if (error.empty()) {
    if (found != last_errors_.end()) {
      spdlog::info("cert {}: readable again", target);
      last_errors_.erase(found);
    }
    return;
  }
  if (found == last_errors_.end() || found->second != error) {
    spdlog::warn("cert {}: probe failed: {}", target, error);
  }
  last_errors_[target] = error;
}

std::vector<prometheus::MetricFamily> CertCollector::Collect() {
  // One thread per endpoint: each waits on the network, so they overlap fully.
  std::vector<std::future<tls::TlsProbeResult>> probes;
  for (std::size_t i = 0; i < settings_.endpoints.size(); ++i) {
    probes.push_back(std::async(std::launch::async, [this, i] {
      SigpipeGuard no_sigpipe;
      const CertEndpoint& endpoint = settings_.endpoints[i];
      if (!contexts_[i]) {
        try {
          contexts_[i] = tls::NewProbeContext(endpoint.ca_file);
        } catch (const std::exception& error) {
          tls::TlsProbeResult failed;
          failed.error = error.what();
          return failed;
        }
      }
      return tls::ProbeTls(endpoint, contexts_[i].get());
    }));
  }

  Families families;
  std::vector<prometheus::MetricFamily> blackbox;
  // Files are read on this thread while the endpoints are in flight.
  for (const std::string& configured : settings_.files) {
    std::vector<std::string> paths;
    try {
      paths = tls::ExpandCertificatePaths(configured);
    } catch (const std::exception& error) {
      Remember(configured, error.what());
      families.success.Add(0, {{"target", configured}});
      continue;
    }
    for (const std::string& path : paths) {
      const auto started = std::chrono::steady_clock::now();
      std::vector<tls::CertificateInfo> certificates;
      std::string error;
      try {
        for (const auto& certificate : tls::LoadPemCertificates(path)) {
          certificates.push_back(tls::DescribeCertificate(certificate.get()));
        }
      } catch (const std::exception& failure) {
        error = failure.what();
      }
      Remember(path, error);
      families.AddCertificates(path, certificates);
      families.success.Add(error.empty() ? 1 : 0, {{"target", path}});
      families.duration.Add(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          {{"target", path}});
    }
  }

  for (std::size_t i = 0; i < probes.size(); ++i) {
    const tls::TlsProbeResult result = probes[i].get();
    const std::string& target = settings_.endpoints[i].name;
    const LabelPairs labels{{"target", target}};
    Remember(target, result.error);
    // What blackbox_exporter's tcp prober with tls: true (its tls_connect module) reports for
    // this endpoint, so dashboards and rules written for blackbox work on medic's endpoints.
    const LabelPairs blackbox_labels{{"target", target}, {"module", "tls_connect"}};
    BlackboxProbeOutcome outcome;
    AddTlsHandshakeOutcome(result, false, blackbox_labels, outcome);
    AddProbeResult(outcome, result.duration_seconds, blackbox_labels);
    MergeFamilies(blackbox, std::move(outcome.families));
    families.success.Add(result.handshake_ok ? 1 : 0, labels);
    families.duration.Add(result.duration_seconds, labels);
    if (!result.handshake_ok) continue;
    families.AddCertificates(target, result.presented_chain);
    families.tls_version.Add(1, {{"target", target}, {"version", result.tls_version}});
    families.verify_ok.Add(result.verify_ok ? 1 : 0, labels);
    if (result.verify_ok && !result.verified_chain.empty()) {
      families.last_chain.Add(Families::EarliestExpiry(result.verified_chain), labels);
    } else if (!result.verify_ok) {
      families.verify_error.Add(1, {{"target", target}, {"reason", result.verify_reason}});
    }
  }
  std::vector<prometheus::MetricFamily> out = std::move(families).Build();
  MergeFamilies(out, std::move(blackbox));
  return out;
}

std::string CertCollector::LastError() const {
  std::string joined;
  for (const auto& [target, error] : LastErrors()) {
    if (!joined.empty()) joined += "; ";
    joined.append(target).append(": ").append(error);
  }
  return joined;
}

}  // namespace medic
