#pragma once

#include "medic/alert/alert.h"

#include <cstddef>

namespace medic {

// Bounds what one alert costs in the journal, the page and every notification: a rule whose
// annotations template a whole log excerpt (or an attacker with a route into Alertmanager) must
// not add a megabyte per alert. When the alert's labels, annotations and URL together pass
// `max_bytes`:
// 1. every value longer than a quarter of `max_bytes` (at least 256 bytes) is cut;
// 2. then annotations, longest first, down to 256 bytes each, until the alert fits;
// 3. then label values the same way (names, the fingerprint and timestamps are never cut).
// A cut value ends in "…[truncated by medic from N bytes]" (N: its size before) at a UTF-8
// boundary. Returns whether
// anything was cut.
bool CapAlertSize(Alert& alert, std::size_t max_bytes);

// Caps every alert of `notification` (CapAlertSize) and its group key and receiver, which the
// journal stores too, to 1 KiB each. Returns how many alerts were cut.
std::size_t CapNotificationSize(Notification& notification, std::size_t max_alert_bytes);

// The bytes CapAlertSize counts: label and annotation names and values and the generator URL.
std::size_t AlertTextBytes(const Alert& alert);

}  // namespace medic
