#include "support/webhook_payload.h"

namespace medic::test {

std::string WebhookPayload(const nlohmann::json& labels, const std::string& fingerprint,
                           const nlohmann::json& annotations, const std::string& status) {
  const nlohmann::json alert = {{"status", status},
                                {"labels", labels},
                                {"annotations", annotations},
                                {"startsAt", "2026-11-29T03:00:00Z"},
                                {"endsAt", "0001-01-01T00:00:00Z"},
                                {"generatorURL", ""},
                                {"fingerprint", fingerprint}};
  return nlohmann::json{{"version", "4"},
                        {"groupKey", "g"},
                        {"truncatedAlerts", 0},
                        {"status", status},
                        {"receiver", "medic"},
                        {"groupLabels", nlohmann::json::object()},
                        {"commonLabels", nlohmann::json::object()},
                        {"commonAnnotations", nlohmann::json::object()},
                        {"externalURL", ""},
                        {"alerts", nlohmann::json::array({alert})}}
      .dump();
}

}  // namespace medic::test
