#pragma once

#include "medic/remediation/journal.h"
#include "medic/remediation/notifier.h"

namespace medic::remediation {

// The message a human gets about an incident medic did not heal (failed, gave up), did not
// run (cooldown, circuit, already running) or stopped healing (circuit open): what happened,
// then what the person should do. `detail` is written by the engine with the facts (times,
// counts, the failing step); this adds the words around it.
NotificationMessage RenderNotice(const NoticeRecord& notice);

}  // namespace medic::remediation
