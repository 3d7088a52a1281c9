// Any bytes as an Alertmanager webhook body: a Notification or a PayloadError, nothing else.
// An accepted notification must also survive what the service does with it next: its alerts
// serialise to JSON (the journal stores them) and that JSON parses back to the same alert.
#include "medic/webhook/payload.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool SameAlert(const medic::Alert& left, const medic::Alert& right) {
  return left.status == right.status && left.labels == right.labels &&
         left.annotations == right.annotations && left.starts_at == right.starts_at &&
         left.ends_at == right.ends_at && left.generator_url == right.generator_url &&
         left.fingerprint == right.fingerprint;
}

void CheckRoundTrip(const medic::Notification& notification) {
  for (const auto& alert : notification.alerts) {
    (void)alert.AlertName();
    (void)alert.IdempotencyKey();
    // The journal stores ToJsonText(), the hand-written serializer; it must parse back to the
    // same alert. dump() throws on invalid UTF-8, which the parser promised to reject.
    const std::string wrapper = R"({"version":"4","status":)" +
                                nlohmann::json(alert.status).dump() + R"(,"alerts":[)" +
                                alert.ToJsonText() + "]}";
    const auto reparsed = medic::webhook::ParseNotification(wrapper);
    if (reparsed.alerts.size() != 1 || !SameAlert(reparsed.alerts[0], alert)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  medic::Notification notification;
  try {
    notification = medic::webhook::ParseNotification(body);
  } catch (const medic::webhook::PayloadError&) {
    return 0;  // refused cleanly
  }
  if (notification.version != "4" || notification.alerts.empty()) std::abort();
  CheckRoundTrip(notification);
  return 0;
}
