#include "medic/collectors/blackbox_probe.h"

#include "medic/net/curl_client.h"
#include "medic/sigpipe_guard.h"
#include "medic/tls/certificate.h"
#include "medic/tls/tls_probe.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <openssl/x509.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace medic {
namespace {

using Clock = std::chrono::steady_clock;

// Health endpoints answer small bodies; stop reading a huge one rather than wait for it.
constexpr std::size_t kMaxBodyBytes = 1 << 20;

LabelPairs With(const LabelPairs& base,
                std::initializer_list<std::pair<std::string, std::string>> extra) {
  LabelPairs labels = base;
  for (const auto& [name, value] : extra) labels.push_back({name, value});
  return labels;
}

void AddGauge(std::vector<prometheus::MetricFamily>& out, const std::string& name,
              const std::string& help, double value, const LabelPairs& labels) {
  MetricFamilyBuilder::Gauge(name, help).Add(value, labels).MoveInto(out);
}

// Go's tls.VersionName: what blackbox puts in probe_tls_version_info{version}.
std::string GoTlsVersion(const std::string& openssl_version) {
  if (openssl_version == "TLSv1.3") return "TLS 1.3";
  if (openssl_version == "TLSv1.2") return "TLS 1.2";
  if (openssl_version == "TLSv1.1") return "TLS 1.1";
  if (openssl_version == "TLSv1") return "TLS 1.0";
  return openssl_version;
}

std::vector<tls::CertificateInfo> DescribeDer(const std::vector<std::string>& chain) {
  std::vector<tls::CertificateInfo> certificates;
  for (const std::string& der : chain) {
    const auto* data = reinterpret_cast<const unsigned char*>(der.data());
    tls::X509Ptr certificate(d2i_X509(nullptr, &data, static_cast<long>(der.size())));
    if (certificate) certificates.push_back(tls::DescribeCertificate(certificate.get()));
  }
  return certificates;
}

// blackbox's TLS families for a completed handshake: the earliest NotAfter presented, the
// verified chain's, the leaf's identity and the version.
void AddTlsFamilies(std::vector<prometheus::MetricFamily>& out, const std::string& version,
                    const std::vector<tls::CertificateInfo>& presented,
                    const std::vector<tls::CertificateInfo>& verified, const LabelPairs& labels) {
  const auto earliest = [](const std::vector<tls::CertificateInfo>& chain) {
    return std::min_element(chain.begin(), chain.end(),
                            [](const auto& a, const auto& b) { return a.not_after < b.not_after; })
        ->not_after;
  };
  if (!presented.empty()) {
    AddGauge(out, "probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime",
             earliest(presented), labels);
  }
  if (!verified.empty()) {
    AddGauge(out, "probe_ssl_last_chain_expiry_timestamp_seconds",
             "Returns last SSL chain expiry in timestamp", earliest(verified), labels);
  }
  if (!presented.empty()) {
    const tls::CertificateInfo& leaf = presented.front();
    AddGauge(out, "probe_ssl_last_chain_info", "Contains SSL leaf certificate information", 1,
             With(labels, {{"fingerprint_sha256", leaf.fingerprint_sha256},
                           {"issuer", leaf.go_issuer},
                           {"subject", leaf.go_subject},
                           {"subjectalternative", leaf.dns_names}}));
  }
  AddGauge(out, "probe_tls_version_info", "Returns the TLS version used or NaN when unknown", 1,
           With(labels, {{"version", GoTlsVersion(version)}}));
}

// FNV-1a 32 of the address's bytes (4 for IPv4, 16 for IPv6), as blackbox hashes Go's net.IP.
void AddIpAddressHash(std::vector<prometheus::MetricFamily>& out, const std::string& ip,
                      const LabelPairs& labels) {
  unsigned char bytes[16];
  std::size_t size = 0;
  if (::inet_pton(AF_INET, ip.c_str(), bytes) == 1) {
    size = 4;
  } else if (::inet_pton(AF_INET6, ip.c_str(), bytes) == 1) {
    size = 16;
  } else {
    return;
  }
  std::uint32_t hash = 2166136261u;
  for (std::size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 16777619u;
  AddGauge(out, "probe_ip_addr_hash",
           "Specifies the hash of IP address. It's useful to detect if the IP address changes.",
           static_cast<double>(hash), labels);
}

struct ResolvedAddress {
  std::string ip;
  bool ipv6 = false;
};

// blackbox's chooseProtocol: the preferred family first, the other one if allowed. The
// connection below resolves again (a cached answer); this one is for the figures.
std::optional<ResolvedAddress> ResolveTarget(const ProbeModule& module, const std::string& target,
                                             double& seconds) {
  std::string host = target;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  const auto started = Clock::now();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (rc != 0) return std::nullopt;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);
  const int preferred = module.preferred_ip_protocol == "ip4" ? AF_INET : AF_INET6;
  const addrinfo* chosen = nullptr;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == preferred) {
      chosen = entry;
      break;
    }
    if (chosen == nullptr && module.ip_protocol_fallback) chosen = entry;
  }
  if (chosen == nullptr) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  const void* address =
      chosen->ai_family == AF_INET
          ? static_cast<const void*>(
                &reinterpret_cast<const sockaddr_in*>(chosen->ai_addr)->sin_addr)
          : static_cast<const void*>(
                &reinterpret_cast<const sockaddr_in6*>(chosen->ai_addr)->sin6_addr);
  ::inet_ntop(chosen->ai_family, address, text, sizeof text);
  return ResolvedAddress{text, chosen->ai_family == AF_INET6};
}

bool StatusValid(const ProbeModule& module, long status) {
  if (module.valid_status_codes.empty()) return status >= 200 && status < 300;
  return std::find(module.valid_status_codes.begin(), module.valid_status_codes.end(), status) !=
         module.valid_status_codes.end();
}

void ProbeHttp(const ProbeModule& module, const std::string& target, Duration timeout,
               const LabelPairs& labels, BlackboxProbeOutcome& outcome) {
  net::CurlRequest request;
  request.method = module.method;
  request.url = target.find("://") == std::string::npos ? "http://" + target : target;
  request.timeout = timeout;
  request.max_body_bytes = kMaxBodyBytes;
  request.keep_body = false;
  request.follow_redirects = !module.no_follow_redirects;
  request.max_redirects = 10;                 // Go's http.Client default, which blackbox keeps
  request.user_agent = "Go-http-client/1.1";  // blackbox's; some health checks allow-list it
  request.ca_file = module.tls_config.ca_file;
  request.insecure_skip_verify = module.tls_config.insecure_skip_verify;
  request.capture_tls = true;
  if (!module.ip_protocol_fallback) {
    request.ip_family = module.preferred_ip_protocol == "ip4" ? net::CurlRequest::IpFamily::kV4
                                                              : net::CurlRequest::IpFamily::kV6;
  }
  for (const auto& [name, value] : module.headers) {
    std::string header = name;
    header.append(": ").append(value);
    request.headers.push_back(std::move(header));
  }
  const net::CurlResponse response = net::Perform(request);

  auto& out = outcome.families;
  const auto& t = response.timings;
  const bool answered = response.status != 0;
  const bool ssl = response.tls.established && response.effective_url.rfind("https://", 0) == 0;
  // Phases as blackbox sums them; each is 0 when the transfer did not get that far.
  const double connect_end = t.connect > 0 ? t.connect : t.name_lookup;
  const double tls_end = ssl && t.tls_done > 0 ? t.tls_done : connect_end;
  auto phases =
      MetricFamilyBuilder::Gauge("probe_http_duration_seconds",
                                 "Duration of http request by phase, summed over all redirects");
  phases.Add(answered ? std::max(0.0, t.connect - t.name_lookup) : 0,
             With(labels, {{"phase", "connect"}}));
  phases.Add(answered ? std::max(0.0, t.start_transfer - tls_end) : 0,
             With(labels, {{"phase", "processing"}}));
  phases.Add(t.name_lookup, With(labels, {{"phase", "resolve"}}));
  phases.Add(answered && ssl ? std::max(0.0, t.tls_done - connect_end) : 0,
             With(labels, {{"phase", "tls"}}));
  phases.Add(answered ? std::max(0.0, response.total_seconds - t.start_transfer) : 0,
             With(labels, {{"phase", "transfer"}}));
  phases.MoveInto(out);
  AddGauge(out, "probe_dns_lookup_time_seconds",
           "Returns the time taken for probe dns lookup in seconds", t.name_lookup, labels);
  AddGauge(out, "probe_failed_due_to_regex", "Indicates if probe failed due to regex", 0, labels);
  AddGauge(out, "probe_http_content_length", "Length of http content response",
           answered ? response.content_length : 0, labels);
  AddGauge(out, "probe_http_redirects", "The number of redirects",
           static_cast<double>(response.redirects), labels);
  AddGauge(out, "probe_http_ssl", "Indicates if SSL was used for the final redirect",
           answered && ssl ? 1 : 0, labels);
  AddGauge(out, "probe_http_status_code", "Response HTTP status code",
           static_cast<double>(response.status), labels);
  AddGauge(out, "probe_http_uncompressed_body_length", "Length of uncompressed response body",
           static_cast<double>(response.body_bytes), labels);
  double version = 0;
  if (answered) {
    switch (response.http_version) {
      case CURL_HTTP_VERSION_1_0:
        version = 1.0;
        break;
      case CURL_HTTP_VERSION_1_1:
        version = 1.1;
        break;
      case CURL_HTTP_VERSION_2_0:
        version = 2.0;
        break;
      case CURL_HTTP_VERSION_3:
        version = 3.0;
        break;
      default:
        break;
    }
  }
  AddGauge(out, "probe_http_version", "Returns the version of HTTP of the probe response", version,
           labels);
  if (!response.primary_ip.empty()) {
    AddGauge(out, "probe_ip_protocol", "Specifies whether probe ip protocol is IP4 or IP6",
             response.primary_ip.find(':') == std::string::npos ? 4 : 6, labels);
    AddIpAddressHash(out, response.primary_ip, labels);
  }
  if (answered && ssl) {
    AddTlsFamilies(out, response.tls.version, DescribeDer(response.tls.presented_der),
                   DescribeDer(response.tls.verified_der), labels);
  }
  if (!response.error.empty() && !answered) {
    outcome.error = response.error_detail;
  } else if (!StatusValid(module, response.status)) {
    outcome.error = "invalid HTTP response status code " + std::to_string(response.status);
  } else if (module.fail_if_ssl && ssl) {
    outcome.error = "final request was over SSL";
  } else if (module.fail_if_not_ssl && !ssl) {
    outcome.error = "final request was not over SSL";
  } else {
    outcome.success = true;
  }
}

void ProbeTcp(const ProbeModule& module, const std::string& target, Duration timeout,
              const LabelPairs& labels, BlackboxProbeOutcome& outcome) {
  AddGauge(outcome.families, "probe_failed_due_to_regex", "Indicates if probe failed due to regex",
           0, labels);
  double lookup_seconds = 0;
  const auto resolved = ResolveTarget(module, target, lookup_seconds);
  AddGauge(outcome.families, "probe_dns_lookup_time_seconds",
           "Returns the time taken for probe dns lookup in seconds", lookup_seconds, labels);
  if (!resolved) {
    outcome.error = "error resolving address " + target;
    return;
  }
  AddGauge(outcome.families, "probe_ip_protocol",
           "Specifies whether probe ip protocol is IP4 or IP6", resolved->ipv6 ? 6 : 4, labels);
  AddIpAddressHash(outcome.families, resolved->ip, labels);
  if (!module.tls) {
    outcome.error = tls::ProbeTcpConnect(target, timeout);
    outcome.success = outcome.error.empty();
    return;
  }
  CertEndpoint endpoint;
  endpoint.name = target;
  endpoint.address = target;
  endpoint.server_name = module.tls_config.server_name;
  endpoint.ca_file = module.tls_config.ca_file;
  endpoint.timeout = timeout;
  tls::SslCtxPtr context;
  try {
    context = tls::NewProbeContext(module.tls_config.ca_file);
  } catch (const std::exception& error) {
    outcome.error = error.what();
    return;
  }
  AddTlsHandshakeOutcome(tls::ProbeTls(endpoint, context.get()),
                         module.tls_config.insecure_skip_verify, labels, outcome);
}

}  // namespace

void AddTlsHandshakeOutcome(const tls::TlsProbeResult& result, bool insecure_skip_verify,
                            const LabelPairs& labels, BlackboxProbeOutcome& outcome) {
  if (!result.handshake_ok) {
    outcome.error = result.error;
    return;
  }
  if (!result.verify_ok && !insecure_skip_verify) {
    // Like Go's crypto/tls: an unverified chain fails the handshake, so blackbox reports none
    // of the certificate families.
    outcome.error = "certificate verification failed: " + result.verify_reason;
    return;
  }
  AddTlsFamilies(outcome.families, result.tls_version, result.presented_chain,
                 result.verify_ok ? result.verified_chain : std::vector<tls::CertificateInfo>{},
                 labels);
  outcome.success = true;
}

void AddProbeResult(BlackboxProbeOutcome& outcome, double duration_seconds,
                    const LabelPairs& labels) {
  AddGauge(outcome.families, "probe_success", "Displays whether or not the probe was a success",
           outcome.success ? 1 : 0, labels);
  AddGauge(outcome.families, "probe_duration_seconds",
           "Returns how long the probe took to complete in seconds", duration_seconds, labels);
}

BlackboxProbeOutcome RunBlackboxProbe(const ProbeModule& module, const std::string& target,
                                      Duration timeout, const LabelPairs& labels) {
  SigpipeGuard no_sigpipe;
  BlackboxProbeOutcome outcome;
  const auto started = Clock::now();
  if (module.prober == ProbeModule::Prober::kHttp) {
    ProbeHttp(module, target, timeout, labels, outcome);
  } else {
    ProbeTcp(module, target, timeout, labels, outcome);
  }
  AddProbeResult(outcome, std::chrono::duration<double>(Clock::now() - started).count(), labels);
  return outcome;
}

}  // namespace medic
