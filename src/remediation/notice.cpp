#include "medic/remediation/notice.h"

#include <string_view>

namespace medic::remediation {
namespace {

struct NoticeWords {
  std::string_view kind;
  std::string_view headline;  // after "[medic] "
  std::string_view advice;    // what the person should do
};

constexpr NoticeWords kWords[] = {
    {"failed", "FAILED, will retry",
     "Nothing to do yet: medic tries again while the alert fires and reports the outcome. "
     "Look now if the service matters more than the wait."},
    {"gave_up", "GAVE UP",
     "Manual action needed: medic will not try again for this incident. Check the container "
     "(docker logs, docker inspect) and the steps below."},
    {"skipped_cooldown", "NOT RUN (cooldown)",
     "medic healed this target a moment ago; it tries again when the cooldown ends. If the "
     "service flaps, look for the cause."},
    {"skipped_circuit", "NOT RUN (auto-healing is off for this target)",
     "Act by hand now. POST /api/v1/circuits/reset?target=<target> closes the circuit, but the "
     "hour's runs still count: within the hour, the next run may open it again."},
    {"skipped_duplicate", "ALREADY RUNNING",
     "Nothing to do: the re-sent alert is the same incident and its run is in progress."},
    {"circuit_open", "giving up",
     "Auto-healing is off for this remediation on this target: it ran max_per_hour times. Find "
     "out why the target keeps needing it; POST /api/v1/circuits/reset?target=<target> closes "
     "the circuit (the hour's runs still count)."},
};

}  // namespace

NotificationMessage RenderNotice(const NoticeRecord& notice) {
  const NoticeWords* words = nullptr;
  for (const auto& candidate : kWords) {
    if (candidate.kind == notice.kind) words = &candidate;
  }
  NotificationMessage message;
  const std::string headline = words ? std::string(words->headline) : notice.kind;
  if (notice.kind == "circuit_open") {
    message.title =
        "[medic] giving up on " + notice.target + ": " + notice.remediation + " " + notice.detail;
  } else {
    message.title = "[medic] " + headline + ": " + notice.remediation + " on " + notice.target +
                    (notice.alertname.empty() ? "" : " for " + notice.alertname);
    message.fields.emplace_back("what happened", notice.detail);
  }
  message.fields.emplace_back("target", notice.target);
  message.fields.emplace_back("remediation", notice.remediation);
  if (words) {
    std::string advice(words->advice);
    const std::string placeholder = "<target>";
    for (auto at = advice.find(placeholder); at != std::string::npos;
         at = advice.find(placeholder, at + notice.target.size())) {
      advice.replace(at, placeholder.size(), notice.target);
    }
    message.fields.emplace_back("what to do", advice);
  }
  return message;
}

}  // namespace medic::remediation
