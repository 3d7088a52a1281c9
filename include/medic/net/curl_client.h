#pragma once

#include "medic/duration.h"

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace medic::net {

// One outbound HTTP(S) request to a remote URL (health probes, verify steps, notifications, the
// Prometheus API of `medic report`). Only http:// and https:// are spoken, also after a
// redirect; proxies come from the environment (http_proxy, HTTPS_PROXY, NO_PROXY) as libcurl
// reads them; names resolve to IPv4 and IPv6.
struct CurlRequest {
  std::string method = "GET";  // GET, HEAD, POST or another token sent as is
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when not empty
  // For the whole call: name resolution, connect, TLS, sending and reading the answer.
  Duration timeout = std::chrono::seconds(10);
  // Reading stops past this many body bytes (CurlResponse::truncated): a huge or endless answer
  // costs neither memory nor the rest of the timeout.
  std::size_t max_body_bytes = std::size_t{64} * 1024;
  // A probe needs the status only: the body is counted against max_body_bytes, not kept.
  bool keep_body = true;
  // Off by default: a notification URL must not bounce its payload (or a secret in it) to
  // wherever a Location header points.
  bool follow_redirects = false;
  long max_redirects = 5;
  std::string user_agent = "medic/" MEDIC_VERSION;
  std::string ca_file;                // "": the system trust store
  bool insecure_skip_verify = false;  // no certificate or host name check
  // Which address family a name resolves to: blackbox's preferred_ip_protocol without fallback.
  enum class IpFamily { kAny, kV4, kV6 };
  IpFamily ip_family = IpFamily::kAny;
  // Record the final TLS handshake (CurlResponse::tls): version and chains, for probes.
  bool capture_tls = false;
};

// The TLS session of the last connection of a transfer (the final redirect's).
struct CurlTlsSession {
  bool established = false;
  std::string version;                     // OpenSSL's "TLSv1.3"
  std::vector<std::string> presented_der;  // as the server sent it, leaf first
  std::vector<std::string> verified_der;   // leaf to trust anchor; empty unless verified
};

// Where the time of a transfer went, in seconds since its start (libcurl's *_TIME infos).
struct CurlTimings {
  double name_lookup = 0;
  double connect = 0;
  double tls_done = 0;  // APPCONNECT: 0 without TLS
  double start_transfer = 0;
  double redirect = 0;  // all redirect steps before the final transfer
};

struct CurlResponse {
  // The answer's HTTP status (the last one when redirects are followed); 0 when none arrived.
  // It can be set together with `error` when the body then failed (a timeout mid-body).
  long status = 0;
  std::string body;
  bool truncated = false;  // the answer had more than max_body_bytes; reading stopped there
  // Why the call failed, "" when it did not: libcurl's fixed text for the error code
  // ("Timeout was reached"). It never holds the URL, so it is safe to log for secret URLs.
  std::string error;
  // libcurl's detailed message for the same failure ("Failed to connect to 127.0.0.1 port 9
  // after 0 ms: Couldn't connect to server"); may name the host and port.
  std::string error_detail;
  double total_seconds = 0;  // the whole call, as libcurl measured it
  CurlTimings timings;
  long redirects = 0;
  long http_version = 0;       // CURL_HTTP_VERSION_1_0 / _1_1 / _2_0 / _3, 0 before an answer
  double content_length = -1;  // Content-Length of the answer, -1 when absent
  std::size_t body_bytes = 0;  // received (counted even when not kept)
  std::string effective_url;   // after redirects
  std::string primary_ip;      // the address connected to last
  CurlTlsSession tls;          // when CurlRequest::capture_tls
};

// Performs every request concurrently on the calling thread (one libcurl multi loop), each
// bounded by its own timeout; the answers are in the order of the requests. Never throws for a
// transport failure: that is the answer's `error`.
std::vector<CurlResponse> PerformAll(std::span<const CurlRequest> requests);

// One request, as PerformAll.
CurlResponse Perform(const CurlRequest& request);

}  // namespace medic::net
