#pragma once

#include "medic/config.h"

#include <string>
#include <vector>

namespace medic {

// The settings of `next` that a running medic cannot take without a restart, named by their
// config keys ("web.listen_address", "journal.path", "remediations", ...), compared with the
// configuration it started with. Everything else applies on reload: collectors, thresholds,
// web.shutdown_timeout, the web config file (users, TLS certificate, key, client CA, headers),
// the webhook's credentials and the whole fleet section.
std::vector<std::string> SettingsNeedingRestart(const Config& started, const Config& next);

}  // namespace medic
