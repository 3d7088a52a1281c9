#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace medic::test {

// An Alertmanager webhook notification (version 4) carrying one alert with these labels and
// annotations, as Alertmanager would POST it.
std::string WebhookPayload(const nlohmann::json& labels, const std::string& fingerprint,
                           const nlohmann::json& annotations = nlohmann::json::object(),
                           const std::string& status = "firing");

}  // namespace medic::test
