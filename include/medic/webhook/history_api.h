#pragma once

#include "medic/remediation/journal.h"

#include <nlohmann/json.hpp>
#include "medic/net/request.h"
#include "medic/net/response.h"

#include <optional>
#include <string>

namespace medic::webhook {

// GET /api/v1/remediations?limit=&since= : the journal's jobs, newest first, with steps.
// `limit` defaults to 50 (max 1000); `since` is unix seconds or a duration ago ("1h").
// Throws std::invalid_argument naming the bad parameter.
nlohmann::json QueryRemediationHistory(remediation::Journal& journal,
                                       const std::optional<std::string>& limit,
                                       const std::optional<std::string>& since);

// The HTTP wrapper: 200 with the JSON above, 400 for bad parameters, 503 if the journal fails.
void HandleRemediationHistory(remediation::Journal& journal, const net::Request& request,
                              net::Response& response);

}  // namespace medic::webhook
