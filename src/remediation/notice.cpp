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
    {"engine_unreachable", "WAITING for the Docker engine",
     "Bring the engine back (systemctl status docker, or podman.socket; check medic's docker.host "
     "and the socket's permissions). medic runs the remediation by itself as soon as the engine "
     "answers; if <target> must be up sooner, start it by hand once the engine is back."},
    {"engine_gave_up", "GAVE UP waiting for the Docker engine",
     "Nothing was done to <target>. Bring the engine back (systemctl status docker, or "
     "podman.socket; check medic's docker.host and the socket's permissions), then heal <target> "
     "by hand (docker start <target>). If Alertmanager re-sends the alert while it still fires, "
     "medic tries again then."},
    {"gave_up", "GAVE UP",
     "Manual action needed: medic will not try again for this incident. Check the container "
     "(docker logs, docker inspect) and the steps below."},
    {"skipped_cooldown", "NOT RUN YET (cooldown)",
     "medic healed this target a moment ago and waits for the cooldown to end; it runs then if "
     "the alert still fires. To heal it now: docker restart <target>. If the service flaps, look "
     "for the cause."},
    {"skipped_circuit", "NOT RUN (auto-healing is off for this target)",
     "Act by hand now (docker restart <target>), and find out why it keeps needing healing. "
     "POST /api/v1/circuits/reset?target=<target> turns auto-healing back on with a fresh "
     "budget, and medic then runs this incident if its alert still fires."},
    {"skipped_duplicate", "ALREADY RUNNING",
     "Nothing to do: the re-sent alert is the same incident and its run is in progress."},
    {"circuit_open", "giving up",
     "Auto-healing is off for this remediation on this target: it used its max_per_hour budget. "
     "Find out why the target keeps needing it; POST /api/v1/circuits/reset?target=<target> "
     "turns it back on with a fresh budget."},
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
