#pragma once

#include "medic/curl_library.h"

#include <curl/curl.h>

#include <memory>

namespace medic {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl::Api().easy_cleanup(handle); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* handle) const { curl::Api().multi_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl::Api().slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// A new easy handle; throws std::runtime_error when libcurl cannot be loaded (see
// curl_library.h) or cannot allocate one.
CurlEasy NewCurlEasy();

}  // namespace medic
