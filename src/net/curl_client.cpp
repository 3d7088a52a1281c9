#include "medic/net/curl_client.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <memory>

namespace medic::net {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Multi = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init must run before the first handle and is not thread-safe in every libcurl
// build: once per process (a function-local static is initialised exactly once, the other
// first callers wait). "" when it succeeded.
const std::string& GlobalInitError() {
  static const std::string error = [] {
    const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT);
    return code == CURLE_OK ? std::string()
                            : std::string("curl_global_init failed: ") + curl_easy_strerror(code);
  }();
  return error;
}

// One request in flight. libcurl keeps pointers to it (write callback data, error buffer), so
// it lives at a stable address (unique_ptr) until its handle is cleaned up.
struct Transfer {
  const CurlRequest* request = nullptr;
  CurlResponse* response = nullptr;
  Easy easy;
  Slist headers;
  std::size_t received = 0;  // body bytes counted against max_body_bytes
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  bool added = false;  // part of the multi loop
  bool done = false;
  CURLcode code = CURLE_OK;
};

// Keeps (or only counts) the body up to the request's cap; past it, answering fewer bytes than
// offered makes libcurl stop the transfer with CURLE_WRITE_ERROR, which Finish() reads as
// "truncated", not as a failure.
std::size_t Receive(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  const std::size_t limit = transfer->request->max_body_bytes;
  const std::size_t room = limit - std::min(limit, transfer->received);
  const std::size_t kept = std::min(bytes, room);
  if (transfer->request->keep_body) {
    // An exception must not unwind through libcurl's C frames.
    try {
      transfer->response->body.append(data, kept);
    } catch (...) {
      return 0;
    }
  }
  transfer->received += kept;
  if (bytes > room) {
    transfer->response->truncated = true;
    return 0;
  }
  return bytes;
}

std::string Der(X509* certificate) {
  unsigned char* data = nullptr;
  const int length = i2d_X509(certificate, &data);
  if (length <= 0 || data == nullptr) return {};
  std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  OPENSSL_free(data);
  return der;
}

// The SSL_CTX ex_data slot that points a handshake back at its transfer's CurlTlsSession.
int SessionSlot() {
  static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return slot;
}

// Runs inside OpenSSL on the transfer's thread when a handshake completes: the last one (the
// final redirect's) is what a probe reports. Must not throw through C frames.
void RecordHandshake(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  auto* session =
      static_cast<CurlTlsSession*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), SessionSlot()));
  if (session == nullptr) return;
  try {
    CurlTlsSession fresh;
    fresh.established = true;
    fresh.version = SSL_get_version(ssl);
    if (STACK_OF(X509)* presented = SSL_get_peer_cert_chain(ssl)) {
      for (int i = 0; i < sk_X509_num(presented); ++i) {
        fresh.presented_der.push_back(Der(sk_X509_value(presented, i)));
      }
    }
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
      if (STACK_OF(X509)* verified = SSL_get0_verified_chain(ssl)) {
        for (int i = 0; i < sk_X509_num(verified); ++i) {
          fresh.verified_der.push_back(Der(sk_X509_value(verified, i)));
        }
      }
    }
    *session = std::move(fresh);
  } catch (...) {
  }
}

// libcurl (OpenSSL backend) builds a context per connection and hands it here before the
// handshake.
CURLcode PrepareTlsContext(CURL* /*easy*/, void* context, void* user) {
  auto* ssl_context = static_cast<SSL_CTX*>(context);
  SSL_CTX_set_ex_data(ssl_context, SessionSlot(), user);
  SSL_CTX_set_info_callback(ssl_context, RecordHandshake);
  return CURLE_OK;
}

// Sets options and remembers the first that libcurl refused: a refused protocol restriction or
// timeout must fail the request, not quietly send it without.
class Options {
 public:
  explicit Options(CURL* easy) : easy_(easy) {}
  template <typename Value>
  void Set(CURLoption option, Value value) {
    const CURLcode code = curl_easy_setopt(easy_, option, value);
    if (code != CURLE_OK && failure_ == CURLE_OK) failure_ = code;
  }
  CURLcode failure() const { return failure_; }

 private:
  CURL* easy_;
  CURLcode failure_ = CURLE_OK;
};

CURLcode Configure(Transfer& transfer) {
  const CurlRequest& request = *transfer.request;
  Options options(transfer.easy.get());
  // libcurl reads 0 as "no timeout": every call has one, at least a millisecond.
  const long timeout_ms = std::max<long>(1, static_cast<long>(request.timeout.count()));
  options.Set(CURLOPT_URL, request.url.c_str());
  // Called from many threads: no SIGALRM for resolver timeouts (the threaded resolver is used).
  options.Set(CURLOPT_NOSIGNAL, 1L);
  options.Set(CURLOPT_TIMEOUT_MS, timeout_ms);
  options.Set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // Config and alert data choose URLs: never file://, dict://, gopher:// and the like, also
  // not through a redirect.
  options.Set(CURLOPT_PROTOCOLS_STR, "http,https");
  options.Set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  options.Set(CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  if (request.follow_redirects) options.Set(CURLOPT_MAXREDIRS, request.max_redirects);
  options.Set(CURLOPT_USERAGENT, request.user_agent.c_str());
  options.Set(CURLOPT_WRITEFUNCTION, Receive);
  options.Set(CURLOPT_WRITEDATA, &transfer);
  options.Set(CURLOPT_ERRORBUFFER, transfer.error_buffer.data());
  if (!request.body.empty()) {
    options.Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    options.Set(CURLOPT_POSTFIELDS, request.body.data());
    if (request.method != "POST") options.Set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method == "HEAD") {
    options.Set(CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    options.Set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  for (const std::string& header : request.headers) {
    // Appending returns the list's head (the same one once there is a list), or null and
    // leaves the list as it was.
    curl_slist* head = curl_slist_append(transfer.headers.get(), header.c_str());
    if (head == nullptr) return CURLE_OUT_OF_MEMORY;
    if (!transfer.headers) transfer.headers.reset(head);
  }
  if (transfer.headers) options.Set(CURLOPT_HTTPHEADER, transfer.headers.get());
  if (!request.ca_file.empty()) options.Set(CURLOPT_CAINFO, request.ca_file.c_str());
  if (request.insecure_skip_verify) {
    options.Set(CURLOPT_SSL_VERIFYPEER, 0L);
    options.Set(CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (request.ip_family == CurlRequest::IpFamily::kV4) {
    options.Set(CURLOPT_IPRESOLVE, static_cast<long>(CURL_IPRESOLVE_V4));
  } else if (request.ip_family == CurlRequest::IpFamily::kV6) {
    options.Set(CURLOPT_IPRESOLVE, static_cast<long>(CURL_IPRESOLVE_V6));
  }
  if (request.capture_tls) {
    options.Set(CURLOPT_SSL_CTX_FUNCTION, PrepareTlsContext);
    options.Set(CURLOPT_SSL_CTX_DATA, static_cast<void*>(&transfer.response->tls));
  }
  return options.failure();
}

void Fail(CurlResponse& response, const std::string& error) {
  response.error = error;
  response.error_detail = error;
}

void Finish(Transfer& transfer, const std::string& loop_error) {
  CurlResponse& response = *transfer.response;
  CURL* easy = transfer.easy.get();
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &response.total_seconds);
  curl_easy_getinfo(easy, CURLINFO_NAMELOOKUP_TIME, &response.timings.name_lookup);
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME, &response.timings.connect);
  curl_easy_getinfo(easy, CURLINFO_APPCONNECT_TIME, &response.timings.tls_done);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME, &response.timings.start_transfer);
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_TIME, &response.timings.redirect);
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &response.redirects);
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &response.http_version);
  curl_off_t content_length = -1;
  if (curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length) == CURLE_OK) {
    response.content_length = static_cast<double>(content_length);
  }
  response.body_bytes = transfer.received;
  const char* effective_url = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK &&
      effective_url != nullptr) {
    response.effective_url = effective_url;
  }
  const char* primary_ip = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &primary_ip) == CURLE_OK &&
      primary_ip != nullptr) {
    response.primary_ip = primary_ip;
  }
  if (!transfer.done) {
    Fail(response, loop_error.empty() ? "the transfer did not finish" : loop_error);
  } else if (transfer.code == CURLE_WRITE_ERROR && response.truncated) {
    // Receive() stopped reading at the cap: the answer arrived, cut short.
  } else if (transfer.code != CURLE_OK) {
    response.error = curl_easy_strerror(transfer.code);
    response.error_detail =
        transfer.error_buffer[0] != '\0' ? transfer.error_buffer.data() : response.error;
  }
}

}  // namespace

std::vector<CurlResponse> PerformAll(std::span<const CurlRequest> requests) {
  std::vector<CurlResponse> responses(requests.size());
  if (requests.empty()) return responses;
  if (const std::string& error = GlobalInitError(); !error.empty()) {
    for (CurlResponse& response : responses) Fail(response, error);
    return responses;
  }
  Multi multi(curl_multi_init());
  if (!multi) {
    for (CurlResponse& response : responses) Fail(response, "curl_multi_init failed");
    return responses;
  }
  // Declared after `multi`, so destroyed before it (curl_easy_cleanup also takes a handle out
  // of its multi, should an exception leave one in).
  std::vector<std::unique_ptr<Transfer>> transfers;
  transfers.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = &requests[i];
    transfer->response = &responses[i];
    transfer->easy.reset(curl_easy_init());
    const CURLcode setup = transfer->easy ? Configure(*transfer) : CURLE_FAILED_INIT;
    if (setup != CURLE_OK) {
      Fail(responses[i], std::string("cannot set up the request: ") + curl_easy_strerror(setup));
    } else if (const CURLMcode added = curl_multi_add_handle(multi.get(), transfer->easy.get());
               added != CURLM_OK) {
      Fail(responses[i], curl_multi_strerror(added));
    } else {
      transfer->added = true;
    }
    transfers.push_back(std::move(transfer));
  }

  std::string loop_error;
  int running = 0;
  do {
    CURLMcode code = curl_multi_perform(multi.get(), &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      for (auto& transfer : transfers) {
        if (transfer->easy.get() != message->easy_handle) continue;
        transfer->done = true;
        transfer->code = message->data.result;
      }
    }
    // The wait ends on socket activity or libcurl's next timer (a transfer's timeout), so the
    // second is only an upper bound between checks.
    if (code == CURLM_OK && running > 0) {
      code = curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
    }
    if (code != CURLM_OK) {
      loop_error = curl_multi_strerror(code);
      break;
    }
  } while (running > 0);

  for (auto& transfer : transfers) {
    if (!transfer->added) continue;
    Finish(*transfer, loop_error);
    curl_multi_remove_handle(multi.get(), transfer->easy.get());
  }
  return responses;
}

CurlResponse Perform(const CurlRequest& request) {
  return std::move(PerformAll(std::span(&request, 1)).front());
}

}  // namespace medic::net
