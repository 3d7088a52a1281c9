#pragma once

#include "medic/duration.h"

#include <string>

namespace medic::remediation {

struct HttpResponse {
  long status = 0;    // 0: no response
  std::string body;   // at most 64 KiB
  std::string error;  // transport error, if any
};

// Small libcurl calls for verify and notify. Every call has a total timeout; redirects are
// not followed (a notification URL must not bounce secrets elsewhere).
HttpResponse HttpGetUrl(const std::string& url, Duration timeout);
HttpResponse HttpPostJson(const std::string& url, const std::string& json_body, Duration timeout);

}  // namespace medic::remediation
