#include "medic/json_text.h"

#include "medic/valid_utf8.h"

namespace medic {
namespace {

// Replaces every string (keys included) by its ValidUtf8 repair, so JSON and the exposition
// print the same text for the same bytes.
nlohmann::json Repaired(const nlohmann::json& value) {
  if (value.is_string()) return ValidUtf8(value.get_ref<const std::string&>());
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(Repaired(item));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) out[ValidUtf8(key)] = Repaired(item);
    return out;
  }
  return value;
}

}  // namespace

std::string JsonText(const nlohmann::json& value, int indent) {
  try {
    return value.dump(indent);
  } catch (const nlohmann::json::type_error&) {
    // Only a string that is not valid UTF-8 makes dump() throw: repair the copy and print that.
    return Repaired(value).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace medic
