#include "medic/curl_handle.h"

#include <stdexcept>

namespace medic {

CurlEasy NewCurlEasy() {
  CurlEasy handle(curl::Api().easy_init());
  if (!handle) throw std::runtime_error("curl_easy_init failed");
  return handle;
}

}  // namespace medic
