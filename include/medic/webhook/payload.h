#pragma once

#include "medic/alert/alert.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace medic::webhook {

// Thrown for a body that is not a valid version-4 payload; what() names the offending field
// (e.g. "alerts[1].labels.severity: expected a string").
class PayloadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// JSON nesting allowed in a payload. Alertmanager's is 3 deep; anything far deeper is hostile.
inline constexpr int kMaxPayloadDepth = 32;

// Parses and validates a webhook body into the alert model (alert/alert.h). Never recurses with the
// input's nesting depth, so arbitrarily deep documents fail cleanly; invalid UTF-8 is rejected.
Notification ParseNotification(std::string_view body);

}  // namespace medic::webhook
