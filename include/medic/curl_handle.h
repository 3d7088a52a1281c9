#pragma once

#include <curl/curl.h>

#include <memory>

namespace medic {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init is not thread-safe: call once from main before any thread uses curl.
// Later calls are no-ops.
void InitCurlOnce();

// A new easy handle; throws std::runtime_error when libcurl cannot allocate one.
CurlEasy NewCurlEasy();

}  // namespace medic
