#include "medic/webhook/host_filter.h"

#include <algorithm>

namespace medic::webhook {

namespace {

bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view HostWithoutPort(std::string_view value) {
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string_view::npos) return value;
    const std::string_view rest = value.substr(close + 1);
    if (rest.empty() || (rest.front() == ':' && AllDigits(rest.substr(1)))) {
      return value.substr(1, close - 1);
    }
    return value;
  }
  const auto colon = value.find(':');
  // Two colons or more: an IPv6 address without brackets, which carries no port.
  if (colon == std::string_view::npos || value.find(':', colon + 1) != std::string_view::npos) {
    return value;
  }
  return AllDigits(value.substr(colon + 1)) ? value.substr(0, colon) : value;
}

HostFilter::HostFilter(const FleetSettings& settings)
    : host_label_(settings.host_label),
      act_without_label_(settings.without_host_label == FleetSettings::WithoutHostLabel::kAct) {
  names_.push_back(settings.host);
  for (const auto& alias : settings.aliases) names_.push_back(alias);
}

HostFilter::Verdict HostFilter::Classify(const LabelSet& labels) const {
  const auto found = labels.find(host_label_);
  if (found == labels.end() || found->second.empty()) return Verdict::kNoHostLabel;
  const std::string_view host = HostWithoutPort(found->second);
  for (const auto& name : names_) {
    if (EqualIgnoringAsciiCase(host, name)) return Verdict::kOwn;
  }
  return Verdict::kOtherHost;
}

bool HostFilter::Acts(Verdict verdict) const {
  switch (verdict) {
    case Verdict::kOwn:
      return true;
    case Verdict::kOtherHost:
      return false;
    case Verdict::kNoHostLabel:
      return act_without_label_;
  }
  return false;
}

}  // namespace medic::webhook
