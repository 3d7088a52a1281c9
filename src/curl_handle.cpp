#include "medic/curl_handle.h"

#include <mutex>
#include <stdexcept>

namespace medic {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

CurlEasy NewCurlEasy() {
  InitCurlOnce();
  CurlEasy handle(curl_easy_init());
  if (!handle) throw std::runtime_error("curl_easy_init failed");
  return handle;
}

}  // namespace medic
