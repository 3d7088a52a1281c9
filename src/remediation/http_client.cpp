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
  const curl::Library* loaded = nullptr;
  try {
    loaded = &curl::Api();
  } catch (const std::runtime_error& error) {
    response.error = error.what();
    return response;
  }
  const curl::Library& api = *loaded;
  CurlEasy curl(api.easy_init());
  if (!curl) {
    response.error = "curl_easy_init failed";
    return response;
  }
  CurlSlist headers;
  BoundedBody sink{&response.body, max_body_bytes, &response.truncated};
  CURL* handle = curl.get();
  api.easy_setopt(handle, CURLOPT_URL, url.c_str());
  api.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  api.easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  api.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  api.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);
  api.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(handle, CURLOPT_USERAGENT, "medic/" MEDIC_VERSION);
  api.easy_setopt(handle, CURLOPT_WRITEFUNCTION, Collect);
  api.easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  if (post_body != nullptr) {
    headers.reset(api.slist_append(nullptr, "Content-Type: application/json"));
    api.easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
    api.easy_setopt(handle, CURLOPT_POSTFIELDS, post_body->c_str());
    api.easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_body->size()));
  }
  const CURLcode code = api.easy_perform(handle);
  if (code != CURLE_OK) {
    response.error = api.easy_strerror(code);
    return response;
  }
  api.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
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
