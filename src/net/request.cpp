#include "medic/net/request.h"

namespace medic::net {

std::string Request::Param(const std::string& name) const {
  const auto found = params.find(name);
  return found == params.end() ? std::string() : found->second;
}

}  // namespace medic::net
