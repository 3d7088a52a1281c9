#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace medic {

// Every JSON document medic writes (API answers, notifications, engine requests, state files)
// goes through here: strings that are not valid UTF-8 print repaired by ValidUtf8 (U+FFFD per
// invalid sequence, exactly as on /metrics) instead of making dump() throw and the answer a 500.
// Valid documents print in one pass; only a document that needs repair is copied.
std::string JsonText(const nlohmann::json& value, int indent = -1);

}  // namespace medic
