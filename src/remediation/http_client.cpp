#include "medic/remediation/http_client.h"

#include "medic/curl_handle.h"

#include <algorithm>

namespace medic::remediation {

namespace {

struct BoundedBody {
  std::string* body;
  std::size_t limit;
  bool* truncated;
};

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BoundedBody*>(user);
  const size_t bytes = size * count;
  const std::size_t room = sink->limit - std::min(sink->limit, sink->body->size());
  if (bytes > room) *sink->truncated = true;
  sink->body->append(data, std::min(bytes, room));
  return bytes;
}

HttpResponse Perform(const std::string& url, const std::string* post_body, Duration timeout,
                     std::size_t max_body_bytes = kDefaultMaxResponseBody) {
  HttpResponse response;
  InitCurlOnce();
  CurlEasy curl(curl_easy_init());
  if (!curl) {
    response.error = "curl_easy_init failed";
    return response;
  }
  CurlSlist headers;
  BoundedBody sink{&response.body, max_body_bytes, &response.truncated};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "medic/" MEDIC_VERSION);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  if (post_body != nullptr) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, post_body->c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    response.error = curl_easy_strerror(code);
    return response;
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace

HttpResponse HttpGetUrl(const std::string& url, Duration timeout, std::size_t max_body_bytes) {
  return Perform(url, nullptr, timeout, max_body_bytes);
}

HttpResponse HttpPostJson(const std::string& url, const std::string& json_body, Duration timeout) {
  return Perform(url, &json_body, timeout);
}

}  // namespace medic::remediation
