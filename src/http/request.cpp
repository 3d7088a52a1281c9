#include "medic/http/request.h"

namespace medic::http {

std::string Request::Param(const std::string& name) const {
  const auto found = params.find(name);
  return found == params.end() ? std::string() : found->second;
}

}  // namespace medic::http
