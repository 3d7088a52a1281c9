#pragma once

#include <map>
#include <string>
#include <string_view>

namespace medic::net {

// Decodes percent escapes; `plus_is_space` for query strings. Invalid escapes stay as sent.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// A request target's percent-decoded path and query parameters ("/probe?target=a%20b").
struct RequestTarget {
  std::string path;
  std::multimap<std::string, std::string> params;
};
RequestTarget ParseRequestTarget(std::string_view target);

}  // namespace medic::net
