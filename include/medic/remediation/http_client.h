#pragma once

#include "medic/duration.h"

#include <cstddef>
#include <string>

namespace medic::remediation {

struct HttpResponse {
  long status = 0;         // 0: no response
  std::string body;        // at most the call's body limit (64 KiB unless asked otherwise)
  std::string error;       // transport error, if any
  bool truncated = false;  // the server sent more than the body limit
};

inline constexpr std::size_t kDefaultMaxResponseBody = std::size_t{64} * 1024;

// Small libcurl calls for verify and notify. Every call has a total timeout; redirects are
// not followed (a notification URL must not bounce secrets elsewhere).
HttpResponse HttpGetUrl(const std::string& url, Duration timeout,
                        std::size_t max_body_bytes = kDefaultMaxResponseBody);
HttpResponse HttpPostJson(const std::string& url, const std::string& json_body, Duration timeout);

}  // namespace medic::remediation
