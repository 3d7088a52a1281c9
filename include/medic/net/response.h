#pragma once

#include "medic/net/headers.h"

#include <string>
#include <string_view>

namespace medic::net {

// What a handler fills in: status, headers and the whole body. The server frames it
// (Content-Length, Connection) and gzips it when the client accepts that.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  void SetContent(std::string content, std::string_view content_type);
  // Replaces every earlier value of `name`. A name or value with CR or LF is dropped.
  void SetHeader(const std::string& name, const std::string& value);
  bool HasHeader(std::string_view name) const { return headers.find(name) != headers.end(); }
};

// "Not Found" for 404 and so on; "Unknown" for codes medic never sends.
std::string_view StatusText(int status);

// The plain-text body medic sends with an error status it generates itself ("404 page not
// found\n").
std::string ErrorBody(int status);

}  // namespace medic::net
