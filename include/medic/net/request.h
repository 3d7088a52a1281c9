#pragma once

#include "medic/net/headers.h"

#include <map>
#include <string>
#include <string_view>

namespace medic::net {

// One parsed HTTP/1.x request as handlers see it: path and query already percent-decoded,
// the body complete (de-chunked) and within the server's cap.
struct Request {
  std::string method;
  std::string target;  // as sent on the request line
  std::string path;
  std::multimap<std::string, std::string> params;  // from the query string
  std::string version;                             // "HTTP/1.1" or "HTTP/1.0"
  Headers headers;
  std::string body;
  std::string remote_addr;
  int remote_port = 0;

  bool HasHeader(std::string_view name) const { return headers.find(name) != headers.end(); }
  std::string Header(std::string_view name) const { return HeaderValue(headers, name); }
  bool HasParam(const std::string& name) const { return params.count(name) > 0; }
  // The first value of query parameter `name`, or "".
  std::string Param(const std::string& name) const;
};

}  // namespace medic::net
