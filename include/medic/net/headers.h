#pragma once

#include <map>
#include <string>
#include <string_view>

namespace medic::net {

// HTTP field names compare case-insensitively (RFC 9110 §5.1).
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view left, std::string_view right) const;
};

using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// The first value of `name`, or "" when the field is absent.
std::string HeaderValue(const Headers& headers, std::string_view name);

}  // namespace medic::net
