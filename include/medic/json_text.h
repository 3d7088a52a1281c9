#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace medic {

// Every JSON document medic writes (API answers, notifications, engine requests, state files)
// goes through here: strings that are not valid UTF-8 print with U+FFFD in place of the invalid
// bytes (the ValidUtf8 rule) instead of making dump() throw and the answer a 500.
std::string JsonText(const nlohmann::json& value, int indent = -1);

}  // namespace medic
