#pragma once

#include "medic/alert/alert.h"
#include "medic/config.h"

#include <string>
#include <string_view>
#include <vector>

namespace medic::webhook {

// Which alerts of a broadcast are this medic's (fleet:): an alert is about the host its host
// label names. Decided before an alert is journaled, so a foreign alert costs a label lookup
// and a few string compares.
class HostFilter {
 public:
  enum class Verdict { kOwn, kOtherHost, kNoHostLabel };

  explicit HostFilter(const FleetSettings& settings);

  Verdict Classify(const LabelSet& labels) const;
  // Whether an alert with this verdict is acted on (kNoHostLabel: per without_host_label).
  bool Acts(Verdict verdict) const;
  const std::string& host_label() const { return host_label_; }
  // This host's names as configured (host first, then aliases), for logs and the 200 answer.
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::string host_label_;
  std::vector<std::string> names_;
  bool act_without_label_ = false;
};

// The host part of a host label's value: "host-2:9469" → "host-2", "[::1]:9469" → "::1",
// "[::1]" → "::1"; a bare IPv6 address ("::1", "fe80::1") and a name without port stay as
// they are.
std::string_view HostWithoutPort(std::string_view value);

}  // namespace medic::webhook
