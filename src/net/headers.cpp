#include "medic/net/headers.h"

#include "medic/net/field_text.h"

#include <algorithm>

namespace medic::net {
bool CaseInsensitiveLess::operator()(std::string_view left, std::string_view right) const {
  return std::lexicographical_compare(left.begin(), left.end(), right.begin(), right.end(),
                                      [](char a, char b) { return AsciiLower(a) < AsciiLower(b); });
}

std::string HeaderValue(const Headers& headers, std::string_view name) {
  const auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

}  // namespace medic::net
