#include "medic/webhook/history_api.h"
#include "medic/json_text.h"

#include "medic/duration.h"

#include <charconv>
#include <stdexcept>

namespace medic::webhook {

nlohmann::json QueryRemediationHistory(remediation::Journal& journal,
                                       const std::optional<std::string>& limit,
                                       const std::optional<std::string>& since) {
  std::size_t count = 50;
  if (limit) {
    std::size_t parsed = 0;
    const auto* end = limit->data() + limit->size();
    auto [ptr, ec] = std::from_chars(limit->data(), end, parsed);
    if (ec != std::errc() || ptr != end || parsed == 0 || parsed > 1000) {
      throw std::invalid_argument("limit: expected an integer from 1 to 1000");
    }
    count = parsed;
  }
  double from = 0;
  if (since && !since->empty()) {
    if (auto ago = ParseDuration(*since)) {
      from = remediation::UnixNow() - ToSeconds(*ago);
    } else {
      try {
        std::size_t used = 0;
        from = std::stod(*since, &used);
        if (used != since->size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        throw std::invalid_argument("since: expected unix seconds or a duration like 1h");
      }
    }
  }
  return {{"remediations", journal.History(count, from)}};
}

void HandleRemediationHistory(remediation::Journal& journal, const net::Request& request,
                              net::Response& response) {
  auto param = [&](const char* name) -> std::optional<std::string> {
    if (!request.HasParam(name)) return std::nullopt;
    return request.Param(name);
  };
  try {
    const auto body = QueryRemediationHistory(journal, param("limit"), param("since"));
    response.status = 200;
    response.SetContent(JsonText(body), "application/json");
  } catch (const std::invalid_argument& error) {
    response.status = 400;
    response.SetContent(JsonText(nlohmann::json{{"error", error.what()}}), "application/json");
  } catch (const std::exception& error) {
    response.status = 503;
    response.SetContent(JsonText(nlohmann::json{{"error", error.what()}}), "application/json");
  }
}

}  // namespace medic::webhook
